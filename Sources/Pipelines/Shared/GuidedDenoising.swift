// What the Stable Diffusion family's denoising loops share (diffusers 0.42.1
// TextToVideoSDPipeline / AnimateDiffPipeline `__call__`): the UNet on `[latents] * 2`, scaled by
// the scheduler, with classifier-free guidance on the two halves; and `decode_latents` with
// `postprocess_video`.
import Models
import Schedulers
import TensorCore

/// The guided noise prediction of one step: the denoiser on `latents` repeated `batch` times
/// (1, or 2 for [uncond, cond]) and scaled for step `index`, then `uncond + g·(cond − uncond)`
/// when `batch` is 2. `latents: [1, C, F, h, w]` → `[1, C, F, h, w]`.
func guidedPrediction(latents: Tensor, batch: Int, scheduler: any Scheduler, index: Int, guidance: Float,
                      denoiser: (_ input: Tensor, _ timesteps: [Float]) throws -> Tensor) throws -> Tensor {
    let t = scheduler.timesteps[index]
    // -> model input [batch, C, F, h, w]
    let input = scheduler.scaleModelInput(
        batch == 1 ? latents : Tensor.concatenate([latents, latents], axis: 0), stepIndex: index)
    let prediction = try denoiser(input, [Float](repeating: t, count: batch))
    guard batch == 2 else { return prediction }
    return classifierFreeGuidance(uncond: prediction.sliced(axis: 0, 0..<1), cond: prediction.sliced(axis: 0, 1..<2),
                                  scale: guidance)
}

extension AutoencoderKL {
    /// `decode_latents` then `postprocess_video(output_type="np")`: `latents / scaling_factor`
    /// decoded frame by frame → `[F, H, W, 3]` in [0, 1].
    func decodeFrames(_ latents: Tensor, cancellation: CancellationFlag?,
                      progress: ((_ chunk: Int, _ count: Int) -> Void)?) throws -> Tensor {
        VideoProcessor.postprocess(try decodeVideo(denormalize(latents), cancellation: cancellation, progress: progress))
    }
}
