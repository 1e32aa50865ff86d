// diffusers 0.42.1 video_processor.py `VideoProcessor.postprocess_video(output_type="np")`, which
// every video pipeline applies to its VAE's output.
import TensorCore

/// Turning decoded video into frames.
public enum VideoProcessor {
    /// `(x / 2 + 0.5).clamp(0, 1)` and `[1, 3, F, H, W]` → `[F, H, W, 3]`.
    public static func postprocess(_ video: Tensor) -> Tensor {
        // video: [1, 3, F, H, W] -> [F, H, W, 3]
        let frames = video.squeezed(axis: 0).permuted([1, 2, 3, 0])
        return frames.map { Swift.min(1, Swift.max(0, $0 / 2 + 0.5)) }
    }
}
