"""Writes the AutoencoderKL (SD VAE) fixtures under Tests/Fixtures/autoencoder-kl/ from tiny random-weight models.

Matches diffusers 0.42.1 `AutoencoderKL` (models/autoencoders/autoencoder_kl.py, with `Encoder` / `Decoder`
of vae.py) with torch 2.15.0 on the CPU, single-threaded: the image VAE that TextToVideoSDPipeline
(ModelScope, zeroscope) and AnimateDiffPipeline apply frame by frame to video latents.

Cases (every input non-square, several images per batch):
- `encode_*`: `vae.encode(images).latent_dist` mean and logvar, untiled (one case with odd sides, where
  the encoder's (0,1,0,1) padding before each stride-2 conv matters);
- `decode_*`: `vae.decode(latents).sample`, untiled;
- `tiled_encode` / `tiled_decode`: the same calls after `enable_tiling()` with `tile_sample_min_size` 16
  and `tile_latent_min_size` 8 set on the model (the attributes `_encode` / `_decode` read), so 3 × 4
  overlapping tiles are blended with `blend_v` / `blend_h`;
- `video_*`: `TextToVideoSDPipeline.decode_latents` (`1 / scaling_factor * z`, [B,C,F,H,W] → [B·F,C,H,W],
  decode, back to [B,3,F,H,W]) and `AnimateDiffPipeline.decode_latents` with `decode_chunk_size` 2,
  both run as diffusers' own methods on this VAE.
A second folder (`vae_plain`) has no quant convs and no mid-block attention.

Run through tools/reference/generate_all.sh, or alone:
    .venv/bin/python tools/reference/autoencoder_kl_fixtures.py --out Tests/Fixtures
This script owns Tests/Fixtures/autoencoder-kl/ and deletes it before writing it again.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from types import SimpleNamespace

import torch
from diffusers import AnimateDiffPipeline, AutoencoderKL
from diffusers.pipelines.deprecated.text_to_video_synthesis.pipeline_text_to_video_synth import TextToVideoSDPipeline

from fixture_common import FIXTURES_ROOT, perturb_parameters, plain_config, save_fixture, setup_determinism

SCRIPT = "tools/reference/autoencoder_kl_fixtures.py"

# Two levels (one stride-2 down / ×2 up, spatial factor 2), widths 8 → 16 so the encoder's second
# level and the decoder's second up block have in ≠ out resnets (1×1 conv_shortcut), 4 groups of
# 2 / 4 channels, one resnet per encoder level (two per decoder level), the mid-block attention.
VAE_CONFIG = dict(
    in_channels=3,
    out_channels=3,
    down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
    up_block_types=["UpDecoderBlock2D", "UpDecoderBlock2D"],
    block_out_channels=[8, 16],
    layers_per_block=1,
    act_fn="silu",
    latent_channels=4,
    norm_num_groups=4,
    sample_size=32,
)
PLAIN_VAE_CONFIG = {**VAE_CONFIG, "use_quant_conv": False, "use_post_quant_conv": False, "mid_block_add_attention": False}

TILE_SAMPLE_MIN_SIZE = 16
TILE_LATENT_MIN_SIZE = 8


def seeded_normal(shape, seed: int) -> torch.Tensor:
    generator = torch.Generator("cpu").manual_seed(seed)
    return torch.randn(shape, generator=generator, dtype=torch.float32)


def seeded_uniform(shape, seed: int) -> torch.Tensor:
    generator = torch.Generator("cpu").manual_seed(seed)
    return torch.rand(shape, generator=generator, dtype=torch.float32) * 2 - 1


def build_vae(config: dict, seed: int) -> AutoencoderKL:
    torch.manual_seed(seed)
    vae = AutoencoderKL(**config).eval()
    perturb_parameters(vae, seed=seed + 1)
    return vae


@torch.no_grad()
def write_main(out: Path) -> list[str]:
    vae = build_vae(VAE_CONFIG, seed=900)
    vae.save_pretrained(out / "vae")
    tensors = {}
    rows = []

    # Untiled encode: images [N, 3, H, W] in [-1, 1] → posterior mean / logvar [N, 4, ⌈H/2⌉, ⌈W/2⌉].
    for name, shape, seed in [("encode", (3, 3, 12, 20), 1), ("encode_odd", (2, 3, 13, 9), 2)]:
        images = seeded_uniform(shape, seed)
        posterior = vae.encode(images).latent_dist
        tensors[f"{name}.images"] = images
        tensors[f"{name}.mean"] = posterior.mean
        tensors[f"{name}.logvar"] = posterior.logvar
        rows.append(f"| `{name}` | `.images` {list(shape)} | `.mean`, `.logvar` {list(posterior.mean.shape)} |")

    # Untiled decode: latents [N, 4, h, w] → images [N, 3, 2h, 2w].
    for name, shape, seed in [("decode", (3, 4, 6, 10), 11), ("decode_odd", (2, 4, 7, 5), 12)]:
        latents = seeded_normal(shape, seed)
        images = vae.decode(latents).sample
        tensors[f"{name}.latents"] = latents
        tensors[f"{name}.images"] = images
        rows.append(f"| `{name}` | `.latents` {list(shape)} | `.images` {list(images.shape)} |")

    # Tiled: diffusers reads these attributes in _encode / _decode / tiled_decode.
    vae.enable_tiling()
    vae.tile_sample_min_size = TILE_SAMPLE_MIN_SIZE
    vae.tile_latent_min_size = TILE_LATENT_MIN_SIZE
    # 28 × 44 pixels: tile rows start at 0, 12, 24 and columns at 0, 12, 24, 36 (3 × 4 tiles of ≤ 16 px).
    images = seeded_uniform((2, 3, 28, 44), 21)
    posterior = vae.encode(images).latent_dist
    tensors["tiled_encode.images"] = images
    tensors["tiled_encode.mean"] = posterior.mean
    tensors["tiled_encode.logvar"] = posterior.logvar
    rows.append(f"| `tiled_encode` | `.images` [2, 3, 28, 44] | `.mean`, `.logvar` {list(posterior.mean.shape)} |")
    # 14 × 22 latents: tile rows start at 0, 6, 12 and columns at 0, 6, 12, 18 (3 × 4 tiles of ≤ 8 latents).
    latents = seeded_normal((2, 4, 14, 22), 22)
    decoded = vae.decode(latents).sample
    tensors["tiled_decode.latents"] = latents
    tensors["tiled_decode.images"] = decoded
    rows.append(f"| `tiled_decode` | `.latents` [2, 4, 14, 22] | `.images` {list(decoded.shape)} |")
    vae.disable_tiling()
    vae.tile_sample_min_size = vae.config.sample_size
    vae.tile_latent_min_size = int(vae.config.sample_size / 2 ** (len(vae.config.block_out_channels) - 1))

    # Video decode as the pipelines do it, with diffusers' own methods on a stand-in pipeline object.
    pipeline = SimpleNamespace(vae=vae)
    for name, shape, seed in [("video_3f", (1, 4, 3, 6, 10), 31), ("video_1f", (1, 4, 1, 6, 10), 32),
                              ("video_2f_batch2", (2, 4, 2, 5, 7), 33)]:
        latents = seeded_normal(shape, seed)
        video = TextToVideoSDPipeline.decode_latents(pipeline, latents)
        tensors[f"{name}.latents"] = latents
        tensors[f"{name}.video"] = video
        rows.append(f"| `{name}` | `.latents` {list(shape)} | `.video` {list(video.shape)} (TextToVideoSD) |")
    latents = tensors["video_3f.latents"]
    chunked = AnimateDiffPipeline.decode_latents(pipeline, latents, decode_chunk_size=2)
    tensors["video_3f.video_animatediff_chunk2"] = chunked
    rows.append(f"| `video_3f` | (same latents) | `.video_animatediff_chunk2` {list(chunked.shape)} (AnimateDiff, chunks of 2) |")

    save_fixture(
        out / "vae_cases.safetensors",
        tensors,
        SCRIPT,
        {"model": "AutoencoderKL", "init_seed": 900, "tile_sample_min_size": TILE_SAMPLE_MIN_SIZE,
         "tile_latent_min_size": TILE_LATENT_MIN_SIZE, **plain_config(vae.config)},
        "AutoencoderKL encode / decode, tiled encode / decode and pipeline video decodes for autoencoder-kl/vae",
    )
    return rows


@torch.no_grad()
def write_plain(out: Path) -> list[str]:
    vae = build_vae(PLAIN_VAE_CONFIG, seed=950)
    vae.save_pretrained(out / "vae_plain")
    images = seeded_uniform((2, 3, 10, 14), 41)
    posterior = vae.encode(images).latent_dist
    latents = seeded_normal((2, 4, 5, 3), 42)
    decoded = vae.decode(latents).sample
    tensors = {
        "encode.images": images,
        "encode.mean": posterior.mean,
        "encode.logvar": posterior.logvar,
        "decode.latents": latents,
        "decode.images": decoded,
    }
    save_fixture(
        out / "vae_plain_cases.safetensors",
        tensors,
        SCRIPT,
        {"model": "AutoencoderKL", "init_seed": 950, **plain_config(vae.config)},
        "AutoencoderKL without quant convs or mid-block attention: encode and decode for autoencoder-kl/vae_plain",
    )
    return [
        f"| `encode` | `.images` [2, 3, 10, 14] | `.mean`, `.logvar` {list(posterior.mean.shape)} |",
        f"| `decode` | `.latents` [2, 4, 5, 3] | `.images` {list(decoded.shape)} |",
    ]


def write_readme(out: Path, main_rows: list[str], plain_rows: list[str]) -> None:
    params = sum(p.numel() for p in build_vae(VAE_CONFIG, seed=900).parameters())
    header = "| case | input | output |\n|---|---|---|\n"
    text = (
        "# autoencoder-kl/ — `tools/reference/autoencoder_kl_fixtures.py` (written by it; do not edit)\n\n"
        "diffusers 0.42.1 `AutoencoderKL`, tiny config: `block_out_channels [8, 16], layers_per_block 1,\n"
        f"norm_num_groups 4, latent_channels 4, sample_size 32`, 2 × DownEncoderBlock2D / UpDecoderBlock2D ({params:,} params).\n"
        "Images in [−1, 1]; latents seeded normal. Scaling factor 0.18215 (the default).\n\n"
        "`vae/` + `vae_cases.safetensors` (tiled cases: `tile_sample_min_size 16`, `tile_latent_min_size 8`,\n"
        "overlap 0.25; `video_*` run `TextToVideoSDPipeline.decode_latents` on unscaled latents):\n\n"
        + header + "\n".join(main_rows) + "\n\n"
        "`vae_plain/` + `vae_plain_cases.safetensors` (`use_quant_conv` / `use_post_quant_conv` / "
        "`mid_block_add_attention` false):\n\n"
        + header + "\n".join(plain_rows) + "\n"
    )
    (out / "README.md").write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=FIXTURES_ROOT, help="the Tests/Fixtures folder")
    args = parser.parse_args()
    out = args.out.resolve() / "autoencoder-kl"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    setup_determinism()
    main_rows = write_main(out)
    plain_rows = write_plain(out)
    write_readme(out, main_rows, plain_rows)
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"autoencoder-kl fixtures: {out} ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
