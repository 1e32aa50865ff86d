import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Asks the terminal what it can do, on `/dev/tty`, before curses takes it: raw mode, one
/// write, read until DA1's reply or the timeout. Returns the bytes read (empty on failure).
public func queryTerminal(timeoutMilliseconds: Int = 300) -> [UInt8] {
    let fd = open("/dev/tty", O_RDWR | O_NOCTTY)
    guard fd >= 0 else { return [] }
    defer { close(fd) }
    var saved = termios()
    guard tcgetattr(fd, &saved) == 0 else { return [] }
    var raw = saved
    raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
    guard tcsetattr(fd, TCSANOW, &raw) == 0 else { return [] }
    defer { tcsetattr(fd, TCSANOW, &saved) }
    let query = Array(TerminalCapabilities.query.utf8)
    _ = query.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count) }
    var reply: [UInt8] = []
    let deadline = Date().addingTimeInterval(Double(timeoutMilliseconds) / 1000)
    var buffer = [UInt8](repeating: 0, count: 512)
    while !TerminalCapabilities.replyIsComplete(reply) {
        let left = Int(deadline.timeIntervalSinceNow * 1000)
        if left <= 0 { break }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, Int32(left)) > 0 else { break }
        let n = buffer.withUnsafeMutableBufferPointer { read(fd, $0.baseAddress, $0.count) }
        if n <= 0 { break }
        reply += buffer[0..<n]
    }
    return reply
}

/// The cell size in pixels from the window size the kernel keeps for the terminal
/// (`TIOCGWINSZ`: columns, rows and, when the terminal fills them in, pixels), for terminals
/// that do not answer `CSI 16t` (a stock xterm without `allowWindowOps`). nil when it gives
/// no pixel size.
public func windowCellPixels(fd: Int32 = 1) -> (width: Int, height: Int)? {
    var size = winsize()
    guard ioctl(fd, UInt(TIOCGWINSZ), &size) == 0 else { return nil }
    return TerminalCapabilities.cellPixels(columns: Int(size.ws_col), rows: Int(size.ws_row),
                                           widthPixels: Int(size.ws_xpixel), heightPixels: Int(size.ws_ypixel))
}
