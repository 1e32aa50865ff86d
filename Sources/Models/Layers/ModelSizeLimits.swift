// Upper bounds on the config values that size a model, checked before anything is built
// from them. Far past every released model of the families here (Wan 2.1 14B: 40 layers of
// 40 heads, 5120 wide; UMT5-XXL: 24 layers, 64 heads of 64; CLIP ViT-bigG: 32 layers, 1280
// wide; VAEs: 2–3 blocks per level), so only a damaged or hostile config meets them — which
// otherwise overflowed (2^62 heads) or built layers until memory ran out (2^62 layers),
// issue #19. Values that size single weights are also checked against the files' shapes by
// strict loading.
public enum ModelSizeLimits {
    /// Transformer layers (or blocks) of one model.
    public static let layers = 1_024
    /// Attention heads of one layer.
    public static let heads = 1_024
    /// Hidden width (heads × head dim).
    public static let width = 65_536
    /// Residual blocks per resolution level of a VAE or UNet.
    public static let blocksPerLevel = 64
}
