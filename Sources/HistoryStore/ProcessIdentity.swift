// Who owns a running run: pid, the process's start marker and a per-process token, so a
// later process can tell a live owner from a dead one even when the pid was reused.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The owner of a `running` row.
struct ProcessIdentity: Sendable, Equatable {
    var pid: Int32
    /// When the process started, as the kernel counts it (`/proc/<pid>/stat` field 22 on
    /// Linux); nil where it cannot be read. A reused pid has a different start marker.
    var startMarker: String?
    /// A random token made once per process; equal tokens mean "this very process".
    var token: String

    /// This process.
    static let current = ProcessIdentity(pid: getpid(), startMarker: startMarker(of: getpid()),
                                         token: UUID().uuidString)

    /// Whether the process that wrote this identity is still running.
    func isAlive() -> Bool {
        if token == Self.current.token { return true }
        if kill(pid, 0) != 0 && errno != EPERM { return false }
        // The pid exists. It is the same process only if it started at the same moment.
        guard let recorded = startMarker, let now = Self.startMarker(of: pid) else {
            // Without start markers (non-Linux) a live pid is taken as the owner.
            return true
        }
        return recorded == now
    }

    /// The start time of `pid` in clock ticks since boot, from `/proc/<pid>/stat`.
    static func startMarker(of pid: Int32) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after the command name (which may hold spaces) start at field 3 (state);
        // starttime is field 22, so index 22 - 3 = 19 after the ')'.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? String(fields[19]) : nil
    }
}
