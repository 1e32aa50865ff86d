import Foundation
import Media
import Studio

/// A real terminal emulator on a private X server, for end-to-end tests of what a person sees:
/// Xvfb (its own display number, chosen by the server), one xterm or kitty window of a fixed
/// font and size at the top-left corner, keys typed with xdotool (XTEST, as a keyboard types
/// them, not `XSendEvent`, which xterm ignores) and the window read back as pixels with `xwd`.
/// `close()` ends the terminal and the server.
final class TerminalWindow {
    /// Which terminal, and how it is set up.
    enum Emulator {
        /// xterm with `-ti terminalID` (`vt340` answers DA1 with sixel) and `-xrm` resource
        /// lines (e.g. `XTerm*allowWindowOps: true`).
        case xterm(terminalID: String, resources: [String])
        /// kitty (its own graphics protocol), drawn with Mesa's software OpenGL on Xvfb.
        case kitty

        var program: (name: String, package: String) {
            switch self {
            case .xterm: return ("xterm", "xterm")
            case .kitty: return ("kitty", "kitty libgl1-mesa-dri")
            }
        }

        /// The X window class to find the window by.
        var windowClass: String {
            switch self {
            case .xterm: return "xterm"
            case .kitty: return "kitty"
            }
        }

        /// argv starting the terminal at `columns` × `rows` cells, running `command`.
        func argv(columns: Int, rows: Int, command: [String]) -> [String] {
            switch self {
            case .xterm(let terminalID, let resources):
                var argv = ["xterm", "-ti", terminalID, "-fa", TerminalWindow.font, "-fs", "\(TerminalWindow.fontSize)",
                            "-b", "\(TerminalWindow.border)", "-geometry", "\(columns)x\(rows)+0+0"]
                for resource in resources { argv += ["-xrm", resource] }
                return argv + ["-e"] + command
            case .kitty:
                // No user config; padding 1.5 pt (2 px at Xvfb's 96 dpi) like xterm's `-b 2`;
                // cells from the top-left corner, the leftover pixels at the right and bottom.
                let options = ["font_family=\(TerminalWindow.font)", "font_size=\(TerminalWindow.fontSize)",
                               "window_padding_width=1.5", "placement_strategy=top-left",
                               "remember_window_size=no", "initial_window_width=\(columns)c",
                               "initial_window_height=\(rows)c", "enable_audio_bell=no", "cursor_blink_interval=0"]
                return ["kitty", "--config", "NONE"] + options.flatMap { ["-o", $0] } + command
            }
        }
    }

    enum Failure: Error, CustomStringConvertible {
        /// A program the test needs is not installed.
        case toolMissing(String, package: String)
        /// The X server or the window did not come up.
        case notStarted(String, log: String)
        /// A helper command failed.
        case command([String], status: Int32, stderr: String)
        /// The screenshot was not a picture this reader knows.
        case unreadableScreenshot(String)
        /// The window never showed what was awaited.
        case timedOut(waitingFor: String, seconds: Double, lastScreenshot: String)

        var description: String {
            switch self {
            case .toolMissing(let tool, let package):
                return "\(tool) is not installed; `tools/setup.sh` installs it (apt-get install \(package))"
            case .notStarted(let what, let log): return "\(what) did not start: \(log)"
            case .command(let argv, let status, let stderr):
                return "`\(argv.joined(separator: " "))` failed with status \(status): \(stderr)"
            case .unreadableScreenshot(let why): return "the xwd screenshot could not be read: \(why)"
            case .timedOut(let what, let seconds, let path):
                return "timed out after \(Int(seconds)) s waiting for \(what); the last screenshot is \(path)"
            }
        }
    }

    /// The programs besides the terminal and the Debian packages that have them.
    static let tools: [(name: String, package: String)] = [
        ("Xvfb", "xvfb"), ("xdotool", "xdotool"), ("xwd", "x11-apps"),
    ]
    /// The font the terminal draws with (`fonts-dejavu-core`), and its size in points.
    static let font = "DejaVu Sans Mono"
    static let fontSize = 10
    /// The terminal's inner border in pixels, set explicitly so cells can be located.
    static let border = 2

    let columns: Int
    let rows: Int
    /// Where the server's logs, the terminal's output and screenshots go.
    let folder: URL
    private var paths: [String: URL] = [:]
    private var serverPID: pid_t?
    private var terminalPID: pid_t?
    private(set) var display = ""
    private(set) var window = ""

    init(folder: URL, columns: Int = 120, rows: Int = 40) {
        self.folder = folder
        self.columns = columns
        self.rows = rows
    }

    /// Starts the server and the terminal running `command` (argv).
    func start(_ command: [String], in emulator: Emulator) throws {
        for tool in Self.tools + [emulator.program] {
            guard let url = ChildProcess.locate(tool.name) else { throw Failure.toolMissing(tool.name, package: tool.package) }
            paths[tool.name] = url
        }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let displayFile = folder.appendingPathComponent("display").path
        let serverLog = folder.appendingPathComponent("xvfb.log").path
        // -displayfd: the server picks a free display and writes its number once it accepts
        // connections, so there is no race for a number and no polling for a socket.
        serverPID = try ChildProcess.spawn(paths["Xvfb"]!.path,
                                           ["Xvfb", "-displayfd", "3", "-screen", "0", "1600x1000x24", "-nolisten", "tcp", "-noreset"],
                                           environment: ProcessInfo.processInfo.environment,
                                           stdout: serverLog, stderr: serverLog, extraFile: displayFile)
        let number = try waitUntil("the X server", timeout: 30, log: serverLog) { () -> String? in
            guard let text = try? String(contentsOfFile: displayFile, encoding: .utf8), text.hasSuffix("\n") else { return nil }
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        display = ":" + number

        let program = emulator.program.name
        let terminalLog = folder.appendingPathComponent("\(program).log").path
        terminalPID = try ChildProcess.spawn(paths[program]!.path,
                                             emulator.argv(columns: columns, rows: rows, command: command),
                                             environment: environment, stdout: terminalLog, stderr: terminalLog)
        // The first window of the class that is mapped and takes the focus (no window manager:
        // focused, XTEST keys reach it). kitty makes its window before mapping it, and focusing
        // an unmapped window fails (BadMatch): such a window is waited for, not taken.
        window = try waitUntil("the \(program) window", timeout: 30, log: terminalLog) { () -> String? in
            guard let found = try? self.tool("xdotool", ["search", "--onlyvisible", "--class", emulator.windowClass]),
                  found.status == 0, let id = found.stdout.split(separator: "\n").first.map(String.init),
                  let focused = try? self.tool("xdotool", ["windowfocus", "--sync", id]), focused.status == 0
            else { return nil }
            return id
        }
    }

    /// Types `text` as key presses.
    func type(_ text: String) throws {
        try checked("xdotool", ["type", "--delay", "15", "--", text])
    }

    /// Presses keys by X keysym name: `Return`, `Escape`, `question`, `space`, `ctrl+x`.
    func press(_ keys: String...) throws {
        try checked("xdotool", ["key", "--delay", "30", "--"] + keys)
    }

    /// The window's pixels now.
    func screenshot() throws -> RGBImage {
        let path = folder.appendingPathComponent("screen.xwd").path
        try checked("xwd", ["-id", window, "-nobdrs", "-silent", "-out", path])
        return try XWDImage.decode(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Screenshots until `condition` holds (polling every 0.2 s); returns that screenshot, or
    /// throws after `timeout` with the last one written beside the logs.
    @discardableResult
    func waitFor(_ what: String, timeout: Double, _ condition: (RGBImage) throws -> Bool) throws -> RGBImage {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let shot = try screenshot()
            if try condition(shot) { return shot }
            if Date() > deadline {
                let path = folder.appendingPathComponent("timed-out.png")
                try? PNG.write(shot, to: path)
                throw Failure.timedOut(waitingFor: what, seconds: timeout, lastScreenshot: path.path)
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }

    /// The pixels of the cells `cells` in a screenshot of the window.
    func pixels(of cells: Rect, in shot: RGBImage) -> (x: Int, y: Int, width: Int, height: Int) {
        let cell = cellSize(of: shot)
        return (Self.border + cells.column * cell.width, Self.border + cells.row * cell.height,
                cells.width * cell.width, cells.height * cell.height)
    }

    /// A cell's size in pixels, from the window's size (columns × rows cells inside the border).
    func cellSize(of shot: RGBImage) -> (width: Int, height: Int) {
        ((shot.width - 2 * Self.border) / columns, (shot.height - 2 * Self.border) / rows)
    }

    /// Ends the terminal and the server. Safe to call twice.
    func close() {
        for pid in [terminalPID, serverPID].compactMap({ $0 }) {
            Foundation.kill(pid, SIGTERM)
            let deadline = Date().addingTimeInterval(5)
            while ChildProcess.poll(pid) == nil {
                if Date() > deadline { Foundation.kill(pid, SIGKILL); _ = try? ChildProcess.wait(pid, argv: []); break }
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        terminalPID = nil
        serverPID = nil
    }

    deinit { close() }

    // MARK: Helpers

    private var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["DISPLAY"] = display
        environment["TMUX"] = nil
        // As on a person's desktop: `swift test` may run tests with NO_COLOR set, which the
        // studio obeys by drawing without colour.
        environment["NO_COLOR"] = nil
        return environment
    }

    private func tool(_ name: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try ChildProcess.run(paths[name]!.path, [name] + arguments, environment: environment)
    }

    private func checked(_ name: String, _ arguments: [String]) throws {
        let result = try tool(name, arguments)
        guard result.status == 0 else { throw Failure.command([name] + arguments, status: result.status, stderr: result.stderr) }
    }

    private func waitUntil<T>(_ what: String, timeout: Double, log: String, _ probe: () -> T?) throws -> T {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let value = probe() { return value }
            if Date() > deadline {
                throw Failure.notStarted(what, log: (try? String(contentsOfFile: log, encoding: .utf8)) ?? "(no log)")
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }
}

/// Reads the X Window Dump files `xwd` writes (X11's XWDFile.h: a header of 25 big-endian
/// 32-bit fields, the window name, the colour map, then the pixels), for the true-colour
/// ZPixmap dumps of 24- and 32-bit visuals that Xvfb gives. Written here because no package
/// of this machine reads XWD from Swift, and the format is one fixed header.
enum XWDImage {
    static func decode(_ data: Data) throws -> RGBImage {
        let bytes = [UInt8](data)
        func field(_ i: Int) -> Int {
            let o = i * 4
            return Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3])
        }
        guard bytes.count >= 100 else { throw TerminalWindow.Failure.unreadableScreenshot("\(bytes.count) bytes, shorter than the header") }
        let headerSize = field(0), format = field(2), width = field(4), height = field(5)
        let byteOrder = field(7), bitsPerPixel = field(11), bytesPerLine = field(12)
        let masks = (red: field(14), green: field(15), blue: field(16))
        let colourCount = field(19)
        guard format == 2 else { throw TerminalWindow.Failure.unreadableScreenshot("pixmap format \(format), not ZPixmap (2)") }
        guard bitsPerPixel == 32 || bitsPerPixel == 24 else {
            throw TerminalWindow.Failure.unreadableScreenshot("\(bitsPerPixel) bits per pixel; only 24 and 32 are read")
        }
        let start = headerSize + colourCount * 12
        guard width > 0, height > 0, start + bytesPerLine * height <= bytes.count, bytesPerLine >= width * bitsPerPixel / 8 else {
            throw TerminalWindow.Failure.unreadableScreenshot("\(width)×\(height), \(bytesPerLine) bytes a line, \(bytes.count) bytes")
        }
        func channel(_ pixel: Int, _ mask: Int) -> UInt8 {
            guard mask != 0 else { return 0 }
            return UInt8(truncatingIfNeeded: (pixel & mask) >> mask.trailingZeroBitCount)
        }
        let step = bitsPerPixel / 8
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let o = start + y * bytesPerLine + x * step
                var pixel = 0
                for k in 0..<step {
                    // byte order 0: least significant byte first.
                    let byte = Int(bytes[o + k])
                    pixel |= byteOrder == 0 ? byte << (8 * k) : byte << (8 * (step - 1 - k))
                }
                let d = (y * width + x) * 3
                rgb[d] = channel(pixel, masks.red)
                rgb[d + 1] = channel(pixel, masks.green)
                rgb[d + 2] = channel(pixel, masks.blue)
            }
        }
        return try RGBImage(width: width, height: height, pixels: rgb)
    }
}
