// The studio end to end in a real terminal: the built `zoetrope` binary in a detached tmux
// session (120×40, TERM=xterm-256color, half-block truecolor pictures), driven by keys and
// read from the screen. It generates a clip, watches progress and the preview, stars the run,
// quits (the terminal must come back clean), starts again and finds the starred run in
// history; and a studio killed with SIGKILL mid-run leaves that run interrupted.
//
// Screenshots: with ZOETROPE_E2E_SCREENSHOTS=<folder> the screens are also written there
// (`<name>.txt` plain, `<name>.ansi` with colours) — the README's come from this test.
import Foundation
import TestSupport
import XCTest

final class StudioTmuxTests: XCTestCase {
    /// The model the test generates with: the bundled default, as a person starting the studio
    /// gets it; `ZOETROPE_E2E_MODEL` overrides it for one run.
    static let defaultModel = "tiny-shapes"
    static var model: String { ProcessInfo.processInfo.environment["ZOETROPE_E2E_MODEL"] ?? defaultModel }

    /// The tiny random diffusers pipeline committed with the tests.
    static var fixturePipeline: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/wan/pipeline").path
    }

    /// Everything here waits on slow shared CI machines (2 cores, debug build): generous.
    static let startTimeout = 60.0
    static let runTimeout = 600.0
    static let keyTimeout = 20.0

    let prompt = "a red square moving right"
    var temp: URL!
    var terminal: TmuxTerminal?

    override func setUpWithError() throws {
        temp = FileManager.default.temporaryDirectory.appendingPathComponent("zoetrope-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: temp.appendingPathComponent("config"), withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        terminal?.kill()
        terminal = nil
        try? FileManager.default.removeItem(at: temp)
    }

    func testGenerateWatchStarQuitRestartAndFindInHistory() throws {
        let began = Date()
        let binary = try Self.binary()
        let terminal = TmuxTerminal(tmux: try TmuxTerminal.locate())
        self.terminal = terminal
        try terminal.start(["/usr/bin/env", "PS1=e2e$ ", "/bin/sh"], in: temp)
        try terminal.waitFor("the shell prompt", timeout: Self.keyTimeout) { $0.contains("e2e$") }

        // 1. Start the studio and compose.
        try terminal.type(commandLine(binary, subcommand: "studio", marker: "first"))
        try terminal.press("Enter")
        var screen = try terminal.waitFor("the compose screen", timeout: Self.startTimeout) {
            $0.contains("Zoetrope · compose") && $0.contains("Prompt") && $0.contains("Settings")
        }
        let header = screen.split(separator: "\n").first ?? ""
        XCTAssertTrue(header.contains("model: ") && header.contains((Self.model as NSString).lastPathComponent)
                      && header.contains("queue: 0 running"), "the header names --model:\n\(screen)")
        try terminal.type(prompt)
        screen = try terminal.waitFor("the typed prompt", timeout: Self.keyTimeout) { $0.contains("│ " + prompt) }
        try saveScreenshot("compose")

        // 2. Generate: progress (step i/N) while denoising, then the finished half-block picture.
        try terminal.press("Enter")
        let generating = Date()
        screen = try terminal.waitFor("progress at a step (i/N · … denoising)", timeout: Self.runTimeout) {
            Self.progressStep(in: $0) != nil || $0.contains("failed")
        }
        XCTAssertFalse(screen.contains("failed"), "the run failed:\n\(screen)")
        let (step, count) = try XCTUnwrap(Self.progressStep(in: screen), screen)
        XCTAssertTrue(step >= 1 && step <= count, "step \(step)/\(count)")
        XCTAssertTrue(screen.contains(String(repeating: "░", count: 5)), "a progress bar:\n\(screen)")
        // For the screenshot: the mid-run screen nearest 60 % done that shows an ETA.
        var midRun = (screen: screen, coloured: try terminal.capture(escapes: true), step: step)
        let target = Double(count) * 0.6
        screen = try terminal.waitFor("the finished result", timeout: Self.runTimeout) {
            if let (i, _) = Self.progressStep(in: $0), $0.contains("ETA "),
               abs(Double(i) - target) < abs(Double(midRun.step) - target) || !midRun.screen.contains("ETA "),
               let coloured = try? terminal.capture(escapes: true) {
                midRun = ($0, coloured, i)
            }
            return ($0.contains("Preview · result") && $0.contains("finished in")) || $0.contains("failed")
        }
        XCTAssertFalse(screen.contains("failed"), "the run failed:\n\(screen)")
        try saveScreenshot("running", screen: midRun.screen, coloured: midRun.coloured)
        screen = try terminal.waitFor("the header to show the queue empty", timeout: Self.keyTimeout) {
            $0.contains("queue: 0 running · 0 waiting")
        }
        let generated = Date().timeIntervalSince(generating)
        let coloured = try terminal.waitFor("the preview in half-blocks", timeout: Self.keyTimeout, escapes: true) {
            Self.halfBlocks(in: $0) >= 200
        }
        XCTAssertGreaterThanOrEqual(Self.halfBlocks(in: coloured), 200, "the preview is drawn in half-blocks:\n\(screen)")
        XCTAssertTrue(coloured.contains("48;2;"), "half-blocks carry 24-bit colours")
        try saveScreenshot("finished")

        // 3. Star it: Esc leaves the prompt for commands, f stars the last result.
        try pressEscapeForCommands()
        try terminal.press("f")
        screen = try terminal.waitFor("the star confirmed", timeout: Self.keyTimeout) {
            $0.contains("★ starred") || $0.contains("nothing finished to star")
        }
        XCTAssertTrue(screen.contains("★ starred"), "f stars the finished run:\n\(screen)")

        // 4. Quit: exit status 0 and the terminal as it was.
        try terminal.press("q")
        screen = try terminal.waitFor("the studio to exit", timeout: Self.startTimeout) { Self.exitStatus("first", in: $0) != nil }
        XCTAssertEqual(Self.exitStatus("first", in: screen), 0, screen)
        try assertTerminalRestored(screen)

        // 5. Start again (no subcommand: the studio is the default; no locale: it must still
        //    draw in UTF-8) and find the run in history.
        try terminal.type(commandLine(binary, subcommand: nil, marker: "second", locale: nil))
        try terminal.press("Enter")
        try terminal.waitFor("the compose screen again", timeout: Self.startTimeout) { $0.contains("Zoetrope · compose") }
        try pressEscapeForCommands()
        try terminal.press("h")
        // Wait for the whole history screen (list and run details), not just its first rows:
        // on a loaded machine a capture can land between two parts of one redraw.
        screen = try terminal.waitFor("the run in history", timeout: Self.keyTimeout) {
            $0.contains("History · 1 run") && $0.contains(self.prompt) && $0.contains("status    finished")
        }
        let row = try XCTUnwrap(screen.split(separator: "\n").first { $0.contains(prompt) && $0.contains("17f") }, screen)
        XCTAssertTrue(row.contains("★"), "the run is starred after the restart: \(row)")
        XCTAssertTrue(row.contains("✓"), "the run finished: \(row)")
        XCTAssertTrue(screen.contains("status    finished"), screen)
        let historyColours = try terminal.waitFor("the run's frames in history", timeout: Self.keyTimeout, escapes: true) {
            Self.halfBlocks(in: $0) >= 100
        }
        XCTAssertTrue(historyColours.contains("48;2;"))
        try saveScreenshot("history")
        try terminal.press("q")  // back to compose
        try terminal.waitFor("the compose screen", timeout: Self.keyTimeout) { $0.contains("Zoetrope · compose") }
        try terminal.press("q")
        screen = try terminal.waitFor("the studio to exit again", timeout: Self.startTimeout) {
            Self.exitStatus("second", in: $0) != nil
        }
        XCTAssertEqual(Self.exitStatus("second", in: screen), 0, screen)
        try assertTerminalRestored(screen)
        print("studio e2e: generated \(count) steps in \(String(format: "%.1f", generated)) s; "
              + "whole story \(String(format: "%.1f", Date().timeIntervalSince(began))) s")
    }

    /// Issue #17: a ModelScope-style TextToVideoSDPipeline folder (the tiny random one of
    /// tools/reference/text_to_video_sd_fixtures.py) in the real studio: its own settings (any
    /// frame count, its sampler list starting at DDIM, its clip_skip option), every step
    /// previewed, the result shown and saved to history.
    func testAModelScopeStyleFolderRunsInTheStudio() throws {
        let binary = try Self.binary()
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/text-to-video-sd/pipeline").path
        let terminal = TmuxTerminal(tmux: try TmuxTerminal.locate())
        self.terminal = terminal
        try terminal.start(["/usr/bin/env", "PS1=e2e$ ", "/bin/sh"], in: temp)
        try terminal.waitFor("the shell prompt", timeout: Self.keyTimeout) { $0.contains("e2e$") }
        try terminal.type(commandLine(binary, subcommand: nil, marker: "t2v", model: folder))
        try terminal.press("Enter")
        var screen = try terminal.waitFor("the compose screen with the family's option", timeout: Self.startTimeout) {
            $0.contains("Zoetrope · compose") && $0.contains("ClipSkip")
        }
        XCTAssertTrue(screen.contains("ClipSkip model's 0"), screen)
        XCTAssertTrue(screen.contains("Prompt · up to 77 tokens"), "the family's text length:\n\(screen)")
        try terminal.type(prompt)
        try terminal.waitFor("the typed prompt", timeout: Self.keyTimeout) { $0.contains("│ " + prompt) }
        // Frames: 6 is not 4k + 1, and this family takes it.
        try terminal.press("Tab", "Tab", "Tab", "C-u")
        try terminal.type("6")
        try terminal.press("Tab", "C-u")
        try terminal.type("24x16")
        try terminal.press("Tab", "C-u")
        try terminal.type("4")
        screen = try terminal.waitFor("the settings typed", timeout: Self.keyTimeout) {
            $0.contains("Frames  6 ") && $0.contains("Steps   4") && $0.contains("Size    24×16")
        }
        XCTAssertFalse(screen.contains("frames must be"), screen)
        try terminal.press("Tab", "Tab", "Space")  // CFG → Sampler: the next of this family's samplers
        try terminal.waitFor("the sampler after default", timeout: Self.keyTimeout) { $0.contains("Sampler ddim") }
        try terminal.press("Enter")
        screen = try terminal.waitFor("the finished result", timeout: Self.runTimeout) {
            ($0.contains("Preview · result") && $0.contains("finished in")) || $0.contains("failed")
        }
        XCTAssertFalse(screen.contains("failed"), "the run failed:\n\(screen)")
        let coloured = try terminal.waitFor("the preview in half-blocks", timeout: Self.keyTimeout, escapes: true) {
            Self.halfBlocks(in: $0) >= 100
        }
        XCTAssertTrue(coloured.contains("48;2;"))
        try pressEscapeForCommands()
        try terminal.press("h")
        screen = try terminal.waitFor("the run in history", timeout: Self.keyTimeout) {
            $0.contains("History · 1 run") && $0.contains(self.prompt) && $0.contains("status    finished")
        }
        let row = try XCTUnwrap(screen.split(separator: "\n").first { $0.contains(prompt) && $0.contains("6f") }, screen)
        XCTAssertTrue(row.contains("24×16") && row.contains("4st"), String(row))
        XCTAssertTrue(screen.contains("ddim"), "the sampler is kept:\n\(screen)")
        try terminal.press("q")
        try terminal.waitFor("the compose screen", timeout: Self.keyTimeout) { $0.contains("Zoetrope · compose") }
        try terminal.press("q")
        screen = try terminal.waitFor("the studio to exit", timeout: Self.startTimeout) { Self.exitStatus("t2v", in: $0) != nil }
        XCTAssertEqual(Self.exitStatus("t2v", in: screen), 0, screen)
        try assertTerminalRestored(screen)
    }

    /// kill -9 in the middle of a run: the run's row, written when the job was submitted, is
    /// marked interrupted when the studio starts again (which says so), and history lists it
    /// with its settings.
    func testKilledMidRunLeavesAnInterruptedRunAfterRestart() throws {
        let binary = try Self.binary()
        let terminal = TmuxTerminal(tmux: try TmuxTerminal.locate())
        self.terminal = terminal
        try terminal.start(["/usr/bin/env", "PS1=e2e$ ", "/bin/sh"], in: temp)
        try terminal.waitFor("the shell prompt", timeout: Self.keyTimeout) { $0.contains("e2e$") }
        try terminal.type(commandLine(binary, subcommand: nil, marker: "killed"))
        try terminal.press("Enter")
        try terminal.waitFor("the compose screen", timeout: Self.startTimeout) { $0.contains("Zoetrope · compose") }
        try terminal.type(prompt)
        try terminal.waitFor("the typed prompt", timeout: Self.keyTimeout) { $0.contains("│ " + prompt) }
        // 1000 steps, so the kill surely lands mid-run (the fixture does ~40 steps a second).
        try terminal.press("Tab", "Tab", "Tab", "Tab", "Tab", "C-u")
        try terminal.type("1000")
        try terminal.waitFor("1000 steps", timeout: Self.keyTimeout) { $0.contains("Steps   1000") }
        try terminal.press("Enter")
        let screen = try terminal.waitFor("progress at a step", timeout: Self.runTimeout) {
            Self.progressStep(in: $0) != nil || $0.contains("failed")
        }
        XCTAssertFalse(screen.contains("failed"), "the run failed:\n\(screen)")
        let dataPath = temp.appendingPathComponent("data").path
        let pid = try XCTUnwrap(Self.processID(running: binary, with: dataPath), "the studio's process")
        XCTAssertEqual(Foundation.kill(pid, SIGKILL), 0)
        let deadline = Date().addingTimeInterval(Self.keyTimeout)
        while Foundation.kill(pid, 0) == 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }

        // The killed studio could not restore the terminal: the tty is still raw (Enter sends
        // a bare CR the shell does not end a line on). As a person would: stty sane, with ^J,
        // and wait for the shell's next prompt: a command typed before stty has run reaches
        // the still-raw tty, its Enter stays a bare CR and the line never ends (CI saw this).
        // The shell first reports the kill and prompts (the studio's screen is still up around it).
        let killed = try terminal.waitFor("the shell's prompt after the kill", timeout: Self.keyTimeout) {
            guard let marker = $0.range(of: "killed exited ") else { return false }
            return $0[marker.upperBound...].contains("e2e$")
        }
        let prompts = killed.components(separatedBy: "e2e$").count
        try terminal.type("stty sane")
        try terminal.press("C-j")
        try terminal.waitFor("the shell's prompt after stty sane", timeout: Self.keyTimeout) {
            $0.components(separatedBy: "e2e$").count > prompts
        }
        try terminal.type(commandLine(binary, subcommand: nil, marker: "restarted"))
        try terminal.press("Enter")
        let restarted = try terminal.waitFor("the compose screen with the recovery notice", timeout: Self.startTimeout) {
            $0.contains("Zoetrope · compose") && $0.contains("marked interrupted")
        }
        XCTAssertTrue(restarted.contains("1 run(s) left running by a process that ended were marked interrupted"), restarted)
        // Both start-up notices are listed (only the first used to show); a key closes the box.
        XCTAssertTrue(restarted.contains("2 messages") && restarted.contains("Removed unfinished frames of 1"), restarted)
        try terminal.press("Escape")
        try terminal.waitFor("the notices closed", timeout: Self.keyTimeout) { !$0.contains("any key closes") }
        try pressEscapeForCommands()
        try terminal.press("h")
        let history = try terminal.waitFor("the interrupted run in history", timeout: Self.keyTimeout) {
            $0.contains("History · 1 run") && $0.contains(self.prompt) && $0.contains("status    interrupted")
        }
        let row = try XCTUnwrap(history.split(separator: "\n").first { $0.contains(prompt) && $0.contains("1000st") }, history)
        XCTAssertTrue(row.contains("! "), "marked interrupted: \(row)")
        XCTAssertTrue(history.contains("status    interrupted"), history)
        XCTAssertNotNil(history.range(of: #"seed {6}[0-9]+"#, options: .regularExpression),
                        "the seed chosen before the run is kept:\n\(history)")
        try terminal.press("q")
        try terminal.waitFor("the compose screen", timeout: Self.keyTimeout) { $0.contains("Zoetrope · compose") }
        try terminal.press("q")
        let after = try terminal.waitFor("the studio to exit", timeout: Self.startTimeout) {
            Self.exitStatus("restarted", in: $0) != nil
        }
        XCTAssertEqual(Self.exitStatus("restarted", in: after), 0, after)
    }

    /// ^C (SIGINT) while the studio runs: it dies of the signal, as a program should, and
    /// leaves the terminal as it found it.
    func testInterruptRestoresTheTerminal() throws {
        let binary = try Self.binary()
        let terminal = TmuxTerminal(tmux: try TmuxTerminal.locate())
        self.terminal = terminal
        try terminal.start(["/usr/bin/env", "PS1=e2e$ ", "/bin/sh"], in: temp)
        try terminal.waitFor("the shell prompt", timeout: Self.keyTimeout) { $0.contains("e2e$") }
        try terminal.type(commandLine(binary, subcommand: nil, marker: "interrupted"))
        try terminal.press("Enter")
        try terminal.waitFor("the compose screen", timeout: Self.startTimeout) { $0.contains("Zoetrope · compose") }
        try terminal.press("C-c")
        // SIGINT also stops the shell's command list, so ask for the status afterwards.
        try terminal.waitFor("the shell after ^C", timeout: Self.startTimeout) {
            !$0.contains("Zoetrope · ") && $0.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix("e2e$")
        }
        try terminal.type("echo \"interrupted exited $?\"")
        try terminal.press("Enter")
        let screen = try terminal.waitFor("the exit status", timeout: Self.keyTimeout) {
            Self.exitStatus("interrupted", in: $0) != nil && $0.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix("e2e$")
        }
        XCTAssertEqual(Self.exitStatus("interrupted", in: screen), 128 + SIGINT, "killed by SIGINT:\n\(screen)")
        try assertTerminalRestored(screen)
    }

    /// Issue #20 item 10: with TERM=dumb the studio drew one line and said nothing; with a
    /// TERM curses does not know, initscr printed its own message and exited the process.
    /// Both now end with a message saying what to do, and the terminal as it was.
    func testATerminalThatCannotDrawTheStudioIsNamed() throws {
        let binary = try Self.binary()
        let terminal = TmuxTerminal(tmux: try TmuxTerminal.locate())
        self.terminal = terminal
        try terminal.start(["/usr/bin/env", "PS1=e2e$ ", "/bin/sh"], in: temp)
        try terminal.waitFor("the shell prompt", timeout: Self.keyTimeout) { $0.contains("e2e$") }
        for (term, marker, expected) in [("dumb", "dumb", "cannot move the cursor"),
                                         ("no-such-terminal-42", "unknown", "does not know the terminal")] {
            let line = commandLine(binary, subcommand: "studio", marker: marker)
                .replacingOccurrences(of: "TERM=xterm-256color", with: "TERM=\(term)")
            try terminal.type("clear; " + line)
            try terminal.press("Enter")
            let screen = try terminal.waitFor("the exit status with TERM=\(term)", timeout: Self.startTimeout) {
                Self.exitStatus(marker, in: $0) != nil
            }
            XCTAssertEqual(Self.exitStatus(marker, in: screen), 1, screen)
            let flat = screen.replacingOccurrences(of: "\n", with: "")
            XCTAssertTrue(flat.contains(expected) && flat.contains("TERM=\(term)"), "TERM=\(term):\n\(screen)")
            XCTAssertFalse(screen.contains("Zoetrope · "), screen)
        }
    }

    // MARK: Steps

    /// The shell line that runs the studio in the temp folder and then prints its exit status.
    /// `locale`: LANG for the studio; nil runs it with no locale at all (as in many
    /// containers), where it must still draw UTF-8.
    func commandLine(_ binary: URL, subcommand: String?, marker: String, locale: String? = "C.UTF-8",
                     model: String = StudioTmuxTests.model) -> String {
        let q = Self.shellQuoted
        let localeSetting = locale.map { "LANG=\(q($0))" } ?? "-u LANG -u LC_ALL -u LC_CTYPE"
        let arguments = [subcommand, "--graphics", "truecolor", "--theme", "dark",
                         "--data-dir", q(temp.appendingPathComponent("data").path),
                         "--export-dir", q(temp.appendingPathComponent("exports").path),
                         "--model", q(model)].compactMap { $0 }
        return "env \(localeSetting) TERM=xterm-256color XDG_CONFIG_HOME=\(q(temp.appendingPathComponent("config").path)) "
            // CAN (^X) first: a studio killed in the middle of an escape sequence leaves the
            // terminal's parser inside it, and it would swallow the start of the marker (CI saw
            // the whole "killed exited 137" line vanish); CAN ends any sequence in progress.
            + "\(q(binary.path)) \(arguments.joined(separator: " ")); s=$?; printf '\\030\\n'; echo \"\(marker) exited $s\""
    }

    /// Esc, then waits until the bottom bar shows the command keys (a letter typed at once
    /// after Esc would read as Alt-letter).
    func pressEscapeForCommands() throws {
        try terminal?.press("Escape")
        try terminal?.waitFor("command mode after Esc", timeout: Self.keyTimeout) { $0.contains("edit the focused field") }
    }

    /// After quitting: the normal screen with the shell, the cursor shown, no keypad or
    /// mouse modes left on, and nothing of the studio left behind.
    func assertTerminalRestored(_ screen: String, file: StaticString = #filePath, line: UInt = #line) throws {
        guard let terminal else { return }
        XCTAssertEqual(try terminal.query("#{alternate_on}"), "0", "left the alternate screen", file: file, line: line)
        XCTAssertEqual(try terminal.query("#{cursor_flag}"), "1", "the cursor is visible again", file: file, line: line)
        XCTAssertEqual(try terminal.query("#{keypad_flag}"), "0", "keypad transmit mode is off", file: file, line: line)
        for mode in ["mouse_any_flag", "mouse_standard_flag", "mouse_button_flag", "mouse_all_flag", "mouse_sgr_flag"] {
            XCTAssertEqual(try terminal.query("#{\(mode)}"), "0", "\(mode) is off", file: file, line: line)
        }
        XCTAssertFalse(screen.contains("Zoetrope · "), "the studio's screen is gone:\n\(screen)", file: file, line: line)
        XCTAssertTrue(screen.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix("e2e$"),
                      "the shell prompt is back:\n\(screen)", file: file, line: line)
    }

    /// Writes the current screen to $ZOETROPE_E2E_SCREENSHOTS, if set.
    func saveScreenshot(_ name: String, screen: String? = nil, coloured: String? = nil) throws {
        guard let folder = ProcessInfo.processInfo.environment["ZOETROPE_E2E_SCREENSHOTS"], let terminal else { return }
        let url = URL(fileURLWithPath: folder)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try (screen ?? terminal.capture()).write(to: url.appendingPathComponent("\(name).txt"), atomically: true, encoding: .utf8)
        try (coloured ?? terminal.capture(escapes: true))
            .write(to: url.appendingPathComponent("\(name).ansi"), atomically: true, encoding: .utf8)
    }

    // MARK: Reading the screen

    /// The progress line's "i/N · … denoising" with i ≥ 1, if shown.
    static func progressStep(in screen: String) -> (Int, Int)? {
        for line in screen.split(separator: "\n") where line.contains("denoising") {
            let words = line.split(separator: " ")
            for (word, next) in zip(words, words.dropFirst()) where next == "·" {
                let parts = word.split(separator: "/")
                if parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), i >= 1 { return (i, n) }
            }
        }
        return nil
    }

    /// The exit status the shell printed after the studio with `marker` ended.
    static func exitStatus(_ marker: String, in screen: String) -> Int32? {
        for line in screen.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("\(marker) exited "), let status = Int32(trimmed.dropFirst("\(marker) exited ".count)) {
                return status
            }
        }
        return nil
    }

    /// The process running `binary` with `argument` among its arguments (Linux: /proc).
    static func processID(running binary: URL, with argument: String) throws -> pid_t? {
        let names = try FileManager.default.contentsOfDirectory(atPath: "/proc")
        for name in names {
            guard let pid = pid_t(name), let data = FileManager.default.contents(atPath: "/proc/\(name)/cmdline") else { continue }
            let argv = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if argv.first == binary.path && argv.contains(argument) { return pid }
        }
        return nil
    }

    static func halfBlocks(in screen: String) -> Int {
        screen.reduce(0) { $0 + ($1 == "▀" || $1 == "▄" ? 1 : 0) }
    }

    static func shellQuoted(_ s: String) -> String {
        "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// The `zoetrope` executable built beside the test bundle.
    static func binary() throws -> URL {
        try BuiltProducts.executable("zoetrope")
    }
}
