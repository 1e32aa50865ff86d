import Foundation

/// The studio's state, its theme and the screen it draws on: feed it events, carry out the
/// effects it returns, and call `render()` when `needsRedraw`.
public final class StudioCore {
    public private(set) var state: StudioState
    public let screen: Screen
    public let themes: ThemeCatalog
    public let colours: ColourSupport
    public private(set) var needsRedraw = true
    /// Encodes pictures for pixel tiers (nil: cells only).
    var pictureEncoder: PictureEncoder?

    public init(state: StudioState, screen: Screen, themes: ThemeCatalog, colours: ColourSupport) {
        self.state = state
        self.screen = screen
        self.themes = themes
        self.colours = colours
        if state.graphics.usesPixels { pictureEncoder = PictureEncoder(tier: state.graphics) }
    }

    /// Applies one event; returns the effects to carry out.
    @discardableResult
    public func send(_ event: StudioEvent) -> [StudioEffect] {
        if case .tick = event {
            let before = StudioRenderer.windowTitle(state)
            let effects = StudioReducer.reduce(&state, event)
            if animating || before != StudioRenderer.windowTitle(state) { needsRedraw = true }
            return effects
        }
        needsRedraw = true
        return StudioReducer.reduce(&state, event)
    }

    /// Whether time passing changes the picture (playback, ETA countdown).
    var animating: Bool {
        if state.live?.isActive == true { return true }
        if state.playback.playing, state.mode == .compose, (state.live?.frames(atStep: state.playback.scrubStep).count ?? 0) > 1 {
            return true
        }
        return state.mode == .history && state.history.current.map { (state.history.frames[$0.id]?.count ?? 0) > 1 } == true
    }

    public var theme: Theme { themes.theme(named: state.themeName).0 }

    /// Draws the current state onto the screen.
    public func render() {
        let size = screen.size
        if size.columns != state.columns || size.rows != state.rows {
            _ = StudioReducer.reduce(&state, .resize(columns: size.columns, rows: size.rows))
        }
        let frame = StudioRenderer.render(state, theme: theme, colours: colours)
        var overlays: [GraphicsOverlay] = []
        if let encoder = pictureEncoder {
            overlays = encoder.overlays(for: frame.picture)
        }
        screen.present(frame.grid, cursor: frame.cursor, overlays: overlays, title: frame.title)
        needsRedraw = false
    }
}

/// Turns the frame's picture into kitty or sixel bytes, re-encoding only when it changes.
/// Sixel bytes are kept per picture, so a playing clip is encoded once per frame rather than
/// once per frame shown: in a debug build one 544×578 sixel takes ~0.3 s, and a UI loop that
/// busy read Esc and the next key as one Alt chord.
final class PictureEncoder {
    let tier: GraphicsTier
    var cellPixels: (width: Int, height: Int) {
        didSet { if cellPixels != oldValue { encoded.removeAll() } }
    }
    private var last: (rect: Rect, image: PixelImage)?
    static let kittyImageID = 7031
    /// Sixel bytes of recent pictures at their cell size, and the order they were made in.
    private var encoded: [EncodedKey: [UInt8]] = [:]
    private var encodedOrder: [EncodedKey] = []
    /// Enough for a clip of 128 frames playing; ~100 KB each at 544×578.
    static let encodedLimit = 128

    private struct EncodedKey: Hashable {
        var image: PixelImage
        var width: Int
        var height: Int
    }

    init(tier: GraphicsTier, cellPixels: (width: Int, height: Int) = TerminalCapabilities.assumedCellPixels) {
        self.tier = tier
        self.cellPixels = cellPixels
    }

    func overlays(for picture: (rect: Rect, image: PixelImage)?) -> [GraphicsOverlay] {
        guard let picture else {
            defer { last = nil }
            guard let old = last else { return [] }
            if tier == .kitty {
                return [GraphicsOverlay(row: 0, column: 0, bytes: KittyEncoder.delete(id: Self.kittyImageID))]
            }
            // Sixel pixels stay until text covers them: have the cells under the old picture
            // written again (an overlay, another screen, a resize took its place).
            return [Self.erasing(old.rect)]
        }
        if let last, last.rect == picture.rect, last.image == picture.image { return [] }
        // A sixel picture moved or resized: the old place is repainted, then the new one drawn.
        let erase = last.flatMap { old in tier != .kitty && old.rect != picture.rect ? Self.erasing(old.rect) : nil }
        last = picture
        let bytes: [UInt8]
        switch tier {
        case .kitty:
            bytes = KittyEncoder.encode(picture.image, id: Self.kittyImageID, columns: picture.rect.width, rows: picture.rect.height)
        default:
            bytes = sixel(picture.image, width: picture.rect.width * cellPixels.width,
                          height: picture.rect.height * cellPixels.height)
        }
        return (erase.map { [$0] } ?? []) + [GraphicsOverlay(row: picture.rect.row, column: picture.rect.column, bytes: bytes)]
    }

    /// The sixel bytes of `image` at `width × height` pixels, from the cache when made before.
    private func sixel(_ image: PixelImage, width: Int, height: Int) -> [UInt8] {
        let key = EncodedKey(image: image, width: width, height: height)
        if let bytes = encoded[key] { return bytes }
        let bytes = SixelEncoder.encode(image, width: width, height: height)
        if encodedOrder.count >= Self.encodedLimit { encoded[encodedOrder.removeFirst()] = nil }
        encoded[key] = bytes
        encodedOrder.append(key)
        return bytes
    }

    /// How many sixel pictures are kept encoded.
    var encodedCount: Int { encoded.count }

    /// Repaints the cells of `rect` (no picture bytes).
    static func erasing(_ rect: Rect) -> GraphicsOverlay {
        GraphicsOverlay(row: rect.row, column: rect.column, bytes: [], repaintRows: rect.row..<(rect.row + rect.height))
    }

    /// Forgets the picture on screen, so the next frame draws it again (after the terminal
    /// cleared itself: a resize).
    func forget() { last = nil }
}
