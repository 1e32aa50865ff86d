// Running code that might block forever (an open() on a FIFO) without hanging the test run.
import Foundation

public enum Deadline {
    /// Runs `body` on a thread of its own and waits at most `seconds`: true if it returned in
    /// time. A body that blocks is left behind on its thread; the test goes on and fails.
    public static func finishes(within seconds: Double, _ body: @escaping @Sendable () -> Void) -> Bool {
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            body()
            done.signal()
        }
        thread.start()
        return done.wait(timeout: .now() + seconds) == .success
    }
}
