"""Writes the UNet3DConditionModel fixtures under Tests/Fixtures/unet3d/ from a tiny random-weight model.

Matches diffusers 0.42.1 `UNet3DConditionModel` (models/unets/unet_3d_condition.py, with the blocks of
unet_3d_blocks.py, `TemporalConvLayer` / `ResnetBlock2D` of resnet.py, `TransformerTemporalModel` of
transformers/transformer_temporal.py and `Transformer2DModel` of transformers/transformer_2d.py) with
torch 2.15.0 on the CPU, single-threaded: the pseudo-3D UNet of ModelScope text-to-video-ms-1.7b and
zeroscope (MODELS.md §1).

The model is the config of diffusers' own model test (MODELS.md §1.5): block_out_channels (4, 8),
norm_num_groups 4, attention_head_dim 2 (= heads 2 / 4 of width 2 in the 3-D blocks, 8 × 2 in
transformer_in), cross_attention_dim 8, layers_per_block 1, CrossAttnDownBlock3D + DownBlock3D,
UpBlock3D + CrossAttnUpBlock3D. Every parameter is perturbed (fixture_common.perturb_parameters), so the
zero-initialised `conv4` of every TemporalConvLayer is live.

Cases in `unet3d/cases.safetensors` (`<case>.sample`, `.timestep` (I64), `.encoder_hidden_states`, `.output`):
- `frames4`, `frames3`, `frames1`: 16 × 16 latents, one sample;
- `nonsquare`: 8 × 12 latents, 3 frames; `odd`: 7 × 10 latents, 2 frames (the up block is given
  diffusers' forced `upsample_size`);
- `batch2`: two samples with different text and different timesteps (TextToVideoSDPipeline batches
  [uncond, cond] like this, with one shared timestep);
- `zeroed_frames3`: the `frames3` inputs through the same model with the output projection of every
  temporal layer zeroed (each TemporalConvLayer's `conv4.3` weight and bias, each
  TransformerTemporalModel's `proj_out` weight and bias, `transformer_in` included). The Swift test
  zeroes the same keys itself.
Internal checkpoints of the `frames3` run (`frames3.<module>.input` / `.output`, plus `.temb` or
`.encoder_hidden_states` where the module takes them, `num_frames` 3): `transformer_in`,
`down_blocks.0.temp_convs.0`, `down_blocks.0.temp_attentions.0`, `down_blocks.0.resnets.0`,
`down_blocks.0.attentions.0`, `down_blocks.0.downsamplers.0`, `up_blocks.0.upsamplers.0`, and
`odd.up_blocks.0.upsamplers.0` (forced output size 7 × 10).

Run through tools/reference/generate_all.sh, or alone:
    .venv/bin/python tools/reference/unet3d_fixtures.py --out Tests/Fixtures
This script owns Tests/Fixtures/unet3d/ and deletes it before writing it again.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import torch
from diffusers import UNet3DConditionModel

from fixture_common import FIXTURES_ROOT, perturb_parameters, plain_config, save_fixture, setup_determinism

SCRIPT = "tools/reference/unet3d_fixtures.py"

# tests/models/unets/test_models_unet_3d_condition.py (MODELS.md §1.5).
UNET_CONFIG = dict(
    block_out_channels=(4, 8),
    norm_num_groups=4,
    down_block_types=("CrossAttnDownBlock3D", "DownBlock3D"),
    up_block_types=("UpBlock3D", "CrossAttnUpBlock3D"),
    cross_attention_dim=8,
    attention_head_dim=2,
    out_channels=4,
    in_channels=4,
    layers_per_block=1,
    sample_size=16,
)
INIT_SEED = 1700
TEXT_LENGTH = 4

# (case, [B, C, F, H, W], timesteps, seed)
CASES = [
    ("frames4", (1, 4, 4, 16, 16), [10], 1),
    ("frames3", (1, 4, 3, 16, 16), [10], 2),
    ("frames1", (1, 4, 1, 16, 16), [10], 3),
    ("nonsquare", (1, 4, 3, 8, 12), [421], 4),
    ("odd", (1, 4, 2, 7, 10), [999], 5),
    ("batch2", (2, 4, 3, 16, 16), [10, 700], 6),
]

# Modules whose inputs and outputs are recorded during the `frames3` run (and `odd` for the upsampler).
CHECKPOINTS = [
    "transformer_in",
    "down_blocks.0.temp_convs.0",
    "down_blocks.0.temp_attentions.0",
    "down_blocks.0.resnets.0",
    "down_blocks.0.attentions.0",
    "down_blocks.0.downsamplers.0",
    "up_blocks.0.upsamplers.0",
]


def seeded_normal(shape, seed: int) -> torch.Tensor:
    generator = torch.Generator("cpu").manual_seed(seed)
    return torch.randn(shape, generator=generator, dtype=torch.float32)


def build_unet() -> UNet3DConditionModel:
    torch.manual_seed(INIT_SEED)
    unet = UNet3DConditionModel(**UNET_CONFIG).eval()
    perturb_parameters(unet, seed=INIT_SEED + 1)
    return unet


def temporal_output_keys(unet: UNet3DConditionModel) -> list[str]:
    """The state-dict keys of every temporal layer's output projection."""
    keys = []
    for name in unet.state_dict():
        if ".temp_convs." in name and ".conv4.3." in name:
            keys.append(name)
        elif (".temp_attentions." in name or name.startswith("transformer_in.")) and ".proj_out." in name:
            keys.append(name)
    return keys


def inputs(shape, timesteps, seed):
    sample = seeded_normal(shape, seed)
    text = seeded_normal((shape[0], TEXT_LENGTH, UNET_CONFIG["cross_attention_dim"]), seed + 100)
    return sample, torch.tensor(timesteps, dtype=torch.int64), text


def record(unet: UNet3DConditionModel, names: list[str], prefix: str, tensors: dict) -> list:
    """Forward hooks storing each named module's hidden-state input, extra inputs and output."""
    modules = dict(unet.named_modules())
    handles = []
    for name in names:
        def hook(module, args, kwargs, output, name=name):
            hidden = args[0] if args else kwargs["hidden_states"]
            tensors[f"{prefix}.{name}.input"] = hidden
            if name.endswith("resnets.0"):
                tensors[f"{prefix}.{name}.temb"] = args[1] if len(args) > 1 else kwargs["temb"]
            if name.endswith("attentions.0") and "temp_" not in name:
                tensors[f"{prefix}.{name}.encoder_hidden_states"] = kwargs["encoder_hidden_states"]
            tensors[f"{prefix}.{name}.output"] = output[0] if isinstance(output, tuple) else getattr(output, "sample", output)
        handles.append(modules[name].register_forward_hook(hook, with_kwargs=True))
    return handles


@torch.no_grad()
def write(out: Path) -> list[str]:
    unet = build_unet()
    unet.save_pretrained(out / "unet")
    tensors = {}
    rows = []
    for name, shape, timesteps, seed in CASES:
        sample, timestep, text = inputs(shape, timesteps, seed)
        handles = []
        if name == "frames3":
            handles = record(unet, CHECKPOINTS, name, tensors)
        elif name == "odd":
            handles = record(unet, ["up_blocks.0.upsamplers.0"], name, tensors)
        output = unet(sample, timestep, encoder_hidden_states=text).sample
        for handle in handles:
            handle.remove()
        tensors[f"{name}.sample"] = sample
        tensors[f"{name}.timestep"] = timestep
        tensors[f"{name}.encoder_hidden_states"] = text
        tensors[f"{name}.output"] = output
        rows.append(f"| `{name}` | {list(shape)} | {timesteps} | {list(text.shape)} | {list(output.shape)} |")

    zeroed = build_unet()
    state = zeroed.state_dict()
    keys = temporal_output_keys(zeroed)
    for key in keys:
        state[key].zero_()
    sample, timestep, text = inputs(*[(s, t, d) for n, s, t, d in CASES if n == "frames3"][0])
    tensors["zeroed_frames3.sample"] = sample
    tensors["zeroed_frames3.timestep"] = timestep
    tensors["zeroed_frames3.encoder_hidden_states"] = text
    tensors["zeroed_frames3.output"] = zeroed(sample, timestep, encoder_hidden_states=text).sample
    rows.append(f"| `zeroed_frames3` | {list(sample.shape)} | [10] | {list(text.shape)} | "
                f"{list(sample.shape)} (temporal output projections zeroed: {len(keys)} tensors) |")

    save_fixture(
        out / "cases.safetensors",
        tensors,
        SCRIPT,
        {"model": "UNet3DConditionModel", "init_seed": INIT_SEED, "zeroed_keys": keys, **plain_config(unet.config)},
        "UNet3DConditionModel outputs, internal checkpoints of the frames3 run and the zeroed-temporal case for unet3d/unet",
    )
    return rows


def write_readme(out: Path, rows: list[str]) -> None:
    params = sum(p.numel() for p in build_unet().parameters())
    text = (
        "# unet3d/ — `tools/reference/unet3d_fixtures.py` (written by it; do not edit)\n\n"
        "diffusers 0.42.1 `UNet3DConditionModel`, the config of diffusers' model test (MODELS.md §1.5):\n"
        "`block_out_channels (4, 8), norm_num_groups 4, attention_head_dim 2, cross_attention_dim 8,\n"
        f"layers_per_block 1`, CrossAttnDownBlock3D + DownBlock3D / UpBlock3D + CrossAttnUpBlock3D ({params:,} params).\n"
        "Every parameter perturbed (norm weights 1 ± 0.1, zero-initialised `conv4` and biases ± 0.1).\n\n"
        "`unet/` is the model folder; `cases.safetensors` holds, per case, `.sample`, `.timestep` (I64),\n"
        "`.encoder_hidden_states` and `.output` (`unet(sample, timestep, encoder_hidden_states).sample`):\n\n"
        "| case | sample | timestep | encoder_hidden_states | output |\n|---|---|---|---|---|\n"
        + "\n".join(rows) + "\n\n"
        "Checkpoints of the `frames3` run: `frames3.<module>.input` / `.output` for "
        + ", ".join(f"`{name}`" for name in CHECKPOINTS)
        + " (`.temb` for the resnet, `.encoder_hidden_states` [3, 4, 8] for the spatial transformer);"
        " `odd.up_blocks.0.upsamplers.0.input` / `.output` (output size forced to 7 × 10).\n"
    )
    (out / "README.md").write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=FIXTURES_ROOT, help="the Tests/Fixtures folder")
    args = parser.parse_args()
    out = args.out.resolve() / "unet3d"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    setup_determinism()
    rows = write(out)
    write_readme(out, rows)
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"unet3d fixtures: {out} ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
