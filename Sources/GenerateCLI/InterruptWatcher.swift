import Dispatch
import Foundation

/// Turns SIGINT and SIGTERM into a callback (once), so a run can be cancelled cleanly
/// instead of the process dying mid-write.
final class InterruptWatcher: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []

    init(_ onInterrupt: @escaping @Sendable () -> Void) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler(handler: onInterrupt)
            source.resume()
            sources.append(source)
        }
    }

    func stop() {
        for source in sources { source.cancel() }
        sources = []
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
