import Dispatch
import Foundation

/// Turns SIGINT and SIGTERM into a cancellation of the run, so it can end cleanly instead of
/// the process dying mid-write — and makes sure the process does end: a second signal, or the
/// run not ending within `grace` seconds of the first, ends it by the signal's default action
/// (issue #19/#20: an engine busy in one long allocation ignored SIGTERM for ten minutes).
/// Once the run has ended (`runEnded()`), signals only mark the interruption while the clip is
/// written, so a finished clip is never cut off half-written.
final class InterruptWatcher: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private let lock = NSLock()
    private var signalsSeen = 0
    private var running = true
    let grace: Double

    /// A serial queue of its own: serial queues get a thread even when the engine's parallel
    /// loops hold every thread of the global pool (a handler on `.global()` waited 13 s).
    private let queue = DispatchQueue(label: "zoetrope.signals")

    init(grace: Double = 2, _ onInterrupt: @escaping @Sendable () -> Void) {
        self.grace = grace
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler { [weak self] in self?.received(sig, onInterrupt) }
            source.resume()
            sources.append(source)
        }
    }

    private func received(_ sig: Int32, _ onInterrupt: @Sendable () -> Void) {
        let (count, stillRunning) = lock.withLock { () -> (Int, Bool) in
            signalsSeen += 1
            return (signalsSeen, running)
        }
        guard stillRunning else { return }
        if count > 1 { Self.endProcess(by: sig) }
        onInterrupt()
        // A thread of its own for the deadline, for the same reason.
        let grace = grace
        Thread { [weak self] in
            Thread.sleep(forTimeInterval: grace)
            guard let self, self.lock.withLock({ self.running }) else { return }
            Self.endProcess(by: sig)
        }.start()
    }

    /// The run is over (finished, failed or cancelled): from now on a signal no longer ends
    /// the process, which is writing what the run made.
    func runEnded() {
        lock.withLock { running = false }
    }

    func stop() {
        for source in sources { source.cancel() }
        sources = []
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }

    /// Ends the process as the signal would have: its default action (terminate), so the
    /// shell sees 128 + signal.
    private static func endProcess(by sig: Int32) {
        FileHandle.standardError.write(Data("\nzoetrope: the run did not stop in time; ending the process\n".utf8))
        signal(sig, SIG_DFL)
        // libdispatch delivers signal sources with the signal blocked; unblocked here, or
        // raise() would leave it pending and the process running.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, sig)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        raise(sig)
    }
}
