import Foundation

/// One dedicated thread for the arithmetic, so long CPU work never occupies Swift
/// concurrency's cooperative pool (which the UI and event delivery need). The thread ends
/// when its owner releases the `WorkerThread`.
final class WorkerThread: Sendable {
    private let queue = WorkQueue()

    init(name: String) {
        let queue = self.queue
        let thread = Thread { queue.drain() }
        thread.name = name
        thread.stackSize = 16 << 20
        thread.start()
    }

    deinit { queue.stop() }

    /// Runs `body` on the worker thread and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            queue.push { continuation.resume(returning: body()) }
        }
    }
}

/// The worker's queue of closures, guarded by a condition variable.
private final class WorkQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var work: [() -> Void] = []   // guarded by `condition`
    private var stopped = false           // guarded by `condition`

    func push(_ item: @escaping () -> Void) {
        condition.lock()
        work.append(item)
        condition.signal()
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    /// Runs queued closures until stopped and empty.
    func drain() {
        while true {
            condition.lock()
            while work.isEmpty && !stopped { condition.wait() }
            if work.isEmpty && stopped {
                condition.unlock()
                return
            }
            let next = work.removeFirst()
            condition.unlock()
            next()
        }
    }
}
