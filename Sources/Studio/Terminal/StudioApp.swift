import Foundation
import Engine
import CCursesShim
import Synchronization

/// Events arriving from other threads (engine events, effect results), drained by the UI loop.
/// Guarded by an NSLock (a pthread mutex, whose ordering ThreadSanitizer models) rather than
/// Synchronization's Mutex: one TSan run of the studio in tmux reported a race inside `post`,
/// which the Mutex's contended path, running uninstrumented in the runtime, would explain.
final class Inbox: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [StudioEvent] = []
    func post(_ new: [StudioEvent]) { lock.withLock { events += new } }
    func drain() -> [StudioEvent] {
        lock.withLock {
            defer { events = [] }
            return events
        }
    }
}

/// The UI loop: reads keys with a short timeout on its own thread, merges in engine events
/// and effect results from the inbox, ticks for animation and redraws when something changed
/// (several events, one redraw). Typing never waits on the engine: effects run as tasks.
final class StudioApp: @unchecked Sendable {
    let performer: EffectPerformer
    let themes: ThemeCatalog
    let theme: String
    let tier: GraphicsTier
    let truecolor: Bool
    let colours: ColourSupport
    let warnings: [String]
    /// The model the compose screen starts with.
    let model: String
    let cellPixels: (width: Int, height: Int)?
    let inbox = Inbox()
    /// Effects being carried out (saving a run, starring …), not counting the pumping of a
    /// job's events afterwards.
    private let inFlight = Mutex<Int>(0)
    /// How long quitting waits for effects still in flight (a run just finished is being saved).
    static let quitSaveTimeoutSeconds = 15.0
    /// How long one read waits for a key: the tick rate when idle.
    static let readTimeoutMilliseconds: Int32 = 30

    init(performer: EffectPerformer, themes: ThemeCatalog, theme: String, tier: GraphicsTier, truecolor: Bool,
         colours: ColourSupport, warnings: [String], model: String, cellPixels: (width: Int, height: Int)?) {
        self.performer = performer
        self.themes = themes
        self.theme = theme
        self.tier = tier
        self.truecolor = truecolor
        self.colours = colours
        self.warnings = warnings
        self.model = model
        self.cellPixels = cellPixels
    }

    /// Runs the loop on a dedicated thread (curses and its blocking reads stay off Swift
    /// concurrency's cooperative pool) and returns when the user quits.
    func run() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
            let thread = Thread { [self] in
                do {
                    try loop()
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.name = "zoetrope.ui"
            thread.start()
        }
    }

    private func loop() throws {
        let screen = try CursesScreen(truecolor: truecolor)
        defer { screen.close() }
        var state = StudioState(columns: screen.size.columns, rows: screen.size.rows, themeNames: themes.names,
                                theme: theme, graphics: tier, request: JobRequest(model: model, prompt: ""))
        // Every start-up warning is shown (only the first used to be), in a box when they do
        // not fit the status line.
        StudioReducer.showStartupWarnings(&state, warnings)
        let core = StudioCore(state: state, screen: screen, themes: themes,
                              colours: screen.colourCount >= 256 ? colours : (screen.colourCount > 0 ? colours : .none))
        if let cellPixels { core.pictureEncoder?.cellPixels = cellPixels }
        var decoder = KeyDecoder(extraCodes: Self.terminfoKeys())
        dispatch(core.send(.resize(columns: screen.size.columns, rows: screen.size.rows)))
        dispatch([.refreshQueue, .describeModel(ModelReference(model: model))])
        func render() {
            // With 8 or 16 colours the theme's base background is painted (the theme may change).
            screen.basicBackground = BasicColours.base(of: core.theme)
            core.render()
        }
        render()
        var lastTick = Date()
        while !core.state.quitting {
            var timeout = Self.readTimeoutMilliseconds
            // Read everything waiting (fast typing, unbracketed paste) before drawing once.
            for _ in 0..<4096 {
                var value: Int32 = 0
                let result = zc_get_wch(timeout, &value)
                timeout = 0
                if result < 0 {
                    for key in decoder.feed(.timeout) { dispatch(core.send(.key(key))) }
                    break
                }
                if result == 1 && value == zc_key_resize() {
                    screen.invalidate()
                    // The terminal may have cleared the picture, and a font change alters cells.
                    core.pictureEncoder?.forget()
                    if let cells = windowCellPixels() { core.pictureEncoder?.cellPixels = cells }
                    dispatch(core.send(.resize(columns: screen.size.columns, rows: screen.size.rows)))
                } else if result == 1 && value == zc_key_mouse() {
                    if let mouse = Self.readMouse() { dispatch(core.send(.mouse(mouse))) }
                } else {
                    let input: KeyDecoder.Input = result == 1 ? .keyCode(value) : .character(UInt32(bitPattern: value))
                    for key in decoder.feed(input) { dispatch(core.send(.key(key))) }
                }
                if core.state.quitting { break }
            }
            for event in inbox.drain() { dispatch(core.send(event)) }
            let now = Date()
            if now.timeIntervalSince(lastTick) >= 0.04 {
                lastTick = now
                dispatch(core.send(.tick(now)))
            }
            if core.needsRedraw { render() }
        }
        // Leaving: stop what is still running so no half-done work goes on unseen.
        let open = Array(core.state.openJobs.keys)
        let service = performer.service
        let group = DispatchGroup()
        group.enter()
        Task {
            for id in open { await service.cancel(id) }
            group.leave()
        }
        _ = group.wait(timeout: .now() + 1)
        // …and finish what is being saved, so quitting right after a run (or a star) loses
        // nothing: every open job's final event arrives (a run that finished just as q was
        // pressed is written to history) and a pending star lands.
        let deadline = Date().addingTimeInterval(Self.quitSaveTimeoutSeconds)
        while Date() < deadline {
            let events = inbox.drain()
            for event in events { dispatch(core.send(event)) }
            if events.isEmpty && inFlight.withLock({ $0 }) == 0 && core.state.openJobs.isEmpty { break }
            Thread.sleep(forTimeInterval: 0.01)
        }
    }

    /// Carries out effects as tasks; their results come back through the inbox.
    private func dispatch(_ effects: [StudioEffect]) {
        for effect in effects where effect != .quit {
            let performer = self.performer, inbox = self.inbox
            inFlight.withLock { $0 += 1 }
            Task { [self] in
                let (events, job) = await performer.perform(effect)
                inbox.post(events)
                inFlight.withLock { $0 -= 1 }
                if let job {
                    for await event in job.events {
                        performer.observe(event)
                        inbox.post([.engine(event)])
                    }
                }
            }
        }
    }

    private static func readMouse() -> MouseEvent? {
        var y: Int32 = 0, x: Int32 = 0
        var state: UInt = 0
        guard zc_mouse_event(&y, &x, &state) == 0 else { return nil }
        let kind: MouseEvent.Kind
        if state & zc_button4_pressed() != 0 { kind = .wheelUp }
        else if zc_button5_pressed() != 0 && state & zc_button5_pressed() != 0 { kind = .wheelDown }
        else if state & zc_button1_pressed() != 0 { kind = .press }
        else { return nil }
        return MouseEvent(kind, row: Int(y), column: Int(x))
    }

    /// Codes terminfo gives ctrl- and alt-arrows on this terminal.
    private static func terminfoKeys() -> [Int32: Key] {
        var keys: [Int32: Key] = [:]
        for (sequence, key) in [("\u{1B}[1;5D", Key.wordLeft), ("\u{1B}[1;5C", .wordRight),
                                ("\u{1B}[1;3D", .wordLeft), ("\u{1B}[1;3C", .wordRight)] {
            let code = zc_key_for_sequence(sequence)
            if code > 0 { keys[code] = key }
        }
        return keys
    }
}
