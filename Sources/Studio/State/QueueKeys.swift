import Foundation
import Engine

/// Keys of the queue panel. Row 0 is the running job (if any), then the waiting ones.
enum QueueKeys {
    static func items(_ state: StudioState) -> [(item: QueueState.Item, running: Bool)] {
        (state.queue.running.map { [($0, true)] } ?? []) + state.queue.waiting.map { ($0, false) }
    }

    static func handle(_ state: inout StudioState, _ key: Key) -> [StudioEffect] {
        let rows = items(state)
        let selected = rows.indices.contains(state.queueSelection) ? rows[state.queueSelection] : nil
        switch key {
        case .character("q"), .escape, .character("u"):
            state.mode = .compose
        case .character("?"): state.overlay = .help
        case .down, .character("j"): state.queueSelection = min(max(0, rows.count - 1), state.queueSelection + 1)
        case .up, .character("k"): state.queueSelection = max(0, state.queueSelection - 1)
        case .character("x"), .delete, .character("d"):
            guard let selected else { return [] }
            if selected.running { return [.cancel(selected.item.id), .refreshQueue] }
            return [.remove(selected.item.id), .refreshQueue]
        case .character("s"): return [.skip, .refreshQueue]
        case .character("p"):
            let pause = !state.queue.pausedAfterCurrent
            state.queue.pausedAfterCurrent = pause
            return [.pauseAfterCurrent(pause), .refreshQueue]
        case .character("K"), .character("J"):
            guard let selected, !selected.running else { return [] }
            let offset = state.queue.running == nil ? 0 : 1
            let position = state.queueSelection - offset + (key == .character("K") ? -1 : 1)
            guard position >= 0, position < state.queue.waiting.count else { return [] }
            state.queueSelection = position + offset
            return [.move(selected.item.id, to: position), .refreshQueue]
        default: break
        }
        return []
    }
}
