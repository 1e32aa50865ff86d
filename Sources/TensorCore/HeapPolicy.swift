// How the C heap serves tensors' buffers.
//
// glibc's malloc serves a block above its mmap threshold (128 KiB at first, raised as blocks are
// freed, never above 32 MiB) with a fresh mmap and unmaps it when it is freed. A model's step
// allocates and frees activations of tens to hundreds of MiB, so every step maps them anew and
// the kernel zero-fills them again a page at a time: unet3d-medium's UNet call (16 × 256²,
// batch 2) took 1.40 M page faults for two steps. Kept in the heap (threshold 1 GiB, freed
// memory not trimmed while a job runs), the same two steps take 0.20 M, and the step went from
// 8.8–11.5 s to 6.6–7.7 s over 2 alternated runs each (`zoetrope-bench unet3d`), with the peak
// resident memory a little lower (791 against 796–807 MiB), since the heap reuses what was freed.
// The engine hands the freed memory back after each job (`releaseFreeMemory`).
import CHeap

public enum HeapPolicy {
    /// Serves blocks up to 1 GiB from the heap and keeps freed memory for reuse. Process-wide and
    /// idempotent; the executables and the engine call it before their first model runs. Returns
    /// false where the C library does not take the settings (not glibc, or a sanitizer's malloc).
    @discardableResult
    public static func keepFreedBlocksForReuse() -> Bool { applied }

    private static let applied: Bool = {
        zoetrope_heap_set_thresholds(1 << 30, Int(Int32.max)) == 1
    }()

    /// Returns the heap's free pages to the system (`malloc_trim`), e.g. after a job, so an idle
    /// studio does not hold its last run's activations.
    public static func releaseFreeMemory() {
        zoetrope_heap_trim()
    }
}
