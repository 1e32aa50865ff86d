"""Writes the UNetMotionModel (AnimateDiff) fixtures under Tests/Fixtures/unet-motion/ from tiny random weights.

Matches diffusers 0.42.1 `UNetMotionModel.from_unet2d(unet, motion_adapter)` (models/unets/unet_motion_model.py,
with `UNet2DConditionModel` of unet_2d_condition.py, the SD blocks of unet_2d_blocks.py, `AnimateDiffTransformer3D`,
`BasicTransformerBlock` with sinusoidal positional embeddings of attention.py and `SinusoidalPositionalEmbedding` of
embeddings.py) with torch 2.15.0 on the CPU, single-threaded (MODELS.md §10).

Two folders, as AnimateDiffPipeline finds them on disk:
- `unet/`: a tiny SD-1.5-layout `UNet2DConditionModel` (block_out_channels (8, 16), layers_per_block 2,
  norm_num_groups 4, attention_head_dim 2 = 2 heads of width C/2, cross_attention_dim 16,
  use_linear_projection False = 1×1-conv proj_in / proj_out, CrossAttnDownBlock2D + DownBlock2D /
  UpBlock2D + CrossAttnUpBlock2D);
- `motion_adapter/`: a tiny `MotionAdapter` (block_out_channels (8, 16), motion_layers_per_block 2,
  motion_norm_num_groups 2 (which from_unet2d ignores: its motion GroupNorms use the UNet's norm_num_groups 4),
  motion_num_attention_heads 2, motion_max_seq_length 32, use_motion_mid_block True).
`merged/config.json` is the config `UNetMotionModel.save_pretrained` writes for `from_unet2d(unet, adapter)`;
its weights are the union of the two files above (checked here), so only the config is stored.

Every parameter of both is perturbed (fixture_common.perturb_parameters); the `pe` buffers stay diffusers' own.

Cases in `unet-motion/cases.safetensors` (`<case>.sample`, `.timestep` (I64), `.encoder_hidden_states`, `.output`):
- `frames4` [1,4,4,16,16], `frames3` [1,4,3,8,12] (non-square), `frames1` [1,4,1,16,16],
  `odd` [1,4,3,7,10] (forced upsample size): `from_unet2d(unet, adapter)(sample, t, text)`, text [B·F, 5, 16]
  with the prompt repeated per frame (as AnimateDiffPipeline does);
- `batch2` [2,4,3,8,8]: two prompts (each repeated per frame) and two timesteps;
- `zeroed_frames3`: the `frames3` inputs with every motion module's `proj_out` weight and bias zeroed;
- `unet2d`: the `UNet2DConditionModel` alone on a batch of 3 images [3,4,8,12] with 3 timesteps and texts.
Internal checkpoints of the `frames3` run (`frames3.<module>.input` / `.output`, num_frames 3):
`down_blocks.0.motion_modules.0`, `mid_block.motion_modules.0`, `up_blocks.1.motion_modules.2`,
`down_blocks.0.attentions.0` (+ `.encoder_hidden_states`).

Run through tools/reference/generate_all.sh, or alone:
    .venv/bin/python tools/reference/unet_motion_fixtures.py --out Tests/Fixtures
This script owns Tests/Fixtures/unet-motion/ and deletes it before writing it again.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import torch
from diffusers import MotionAdapter, UNet2DConditionModel, UNetMotionModel
from safetensors.torch import load_file

from fixture_common import FIXTURES_ROOT, perturb_parameters, plain_config, save_fixture, setup_determinism

SCRIPT = "tools/reference/unet_motion_fixtures.py"

UNET_CONFIG = dict(
    block_out_channels=(8, 16),
    layers_per_block=2,
    sample_size=16,
    in_channels=4,
    out_channels=4,
    down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
    cross_attention_dim=16,
    attention_head_dim=2,
    norm_num_groups=4,
)
ADAPTER_CONFIG = dict(
    block_out_channels=(8, 16),
    motion_layers_per_block=2,
    motion_norm_num_groups=2,  # ignored by from_unet2d: the motion GroupNorms take the UNet's norm_num_groups (4)
    motion_num_attention_heads=2,
)
INIT_SEED = 1900
TEXT_LENGTH = 5
CROSS_DIM = UNET_CONFIG["cross_attention_dim"]

# (case, [B, C, F, H, W], timesteps, seed)
CASES = [
    ("frames4", (1, 4, 4, 16, 16), [10], 1),
    ("frames3", (1, 4, 3, 8, 12), [421], 2),
    ("frames1", (1, 4, 1, 16, 16), [10], 3),
    ("odd", (1, 4, 3, 7, 10), [999], 4),
    ("batch2", (2, 4, 3, 8, 8), [10, 700], 5),
]

CHECKPOINTS = [
    "down_blocks.0.motion_modules.0",
    "mid_block.motion_modules.0",
    "up_blocks.1.motion_modules.2",
    "down_blocks.0.attentions.0",
]


def seeded_normal(shape, seed: int) -> torch.Tensor:
    generator = torch.Generator("cpu").manual_seed(seed)
    return torch.randn(shape, generator=generator, dtype=torch.float32)


def build_unet() -> UNet2DConditionModel:
    torch.manual_seed(INIT_SEED)
    unet = UNet2DConditionModel(**UNET_CONFIG).eval()
    perturb_parameters(unet, seed=INIT_SEED + 1)
    return unet


def build_adapter() -> MotionAdapter:
    torch.manual_seed(INIT_SEED + 2)
    adapter = MotionAdapter(**ADAPTER_CONFIG).eval()
    perturb_parameters(adapter, seed=INIT_SEED + 3)
    return adapter


def motion_output_keys(state: dict) -> list[str]:
    """The state-dict keys of every motion module's output projection."""
    return sorted(k for k in state if ".motion_modules." in k and ".proj_out." in k)


def inputs(shape, timesteps, seed):
    """sample [B, C, F, H, W], timesteps [B], text [B·F, L, D]: one prompt per sample, repeated per frame."""
    batch, frames = shape[0], shape[2]
    sample = seeded_normal(shape, seed)
    prompts = seeded_normal((batch, TEXT_LENGTH, CROSS_DIM), seed + 100)
    text = prompts.repeat_interleave(frames, dim=0)
    return sample, torch.tensor(timesteps, dtype=torch.int64), text


def record(model, names: list[str], prefix: str, tensors: dict) -> list:
    modules = dict(model.named_modules())
    handles = []
    for name in names:
        def hook(module, args, kwargs, output, name=name):
            hidden = args[0] if args else kwargs["hidden_states"]
            tensors[f"{prefix}.{name}.input"] = hidden
            if ".attentions." in name:
                tensors[f"{prefix}.{name}.encoder_hidden_states"] = kwargs["encoder_hidden_states"]
            tensors[f"{prefix}.{name}.output"] = output[0] if isinstance(output, tuple) else getattr(output, "sample", output)
        handles.append(modules[name].register_forward_hook(hook, with_kwargs=True))
    return handles


@torch.no_grad()
def write(out: Path) -> list[str]:
    unet = build_unet()
    adapter = build_adapter()
    unet.save_pretrained(out / "unet")
    adapter.save_pretrained(out / "motion_adapter")
    model = UNetMotionModel.from_unet2d(unet, adapter).eval()

    # The merged folder diffusers writes: its config, and a check that its weights are the union of the two files.
    merged_tmp = out / "_merged_tmp"
    model.save_pretrained(merged_tmp)
    merged = load_file(merged_tmp / "diffusion_pytorch_model.safetensors")
    union = {**load_file(out / "unet" / "diffusion_pytorch_model.safetensors"),
             **load_file(out / "motion_adapter" / "diffusion_pytorch_model.safetensors")}
    assert sorted(merged) == sorted(union), "merged UNetMotionModel keys differ from unet ∪ motion_adapter"
    assert all(torch.equal(merged[k], union[k]) for k in merged), "merged weights differ from the two files"
    (out / "merged").mkdir()
    shutil.copy(merged_tmp / "config.json", out / "merged" / "config.json")
    shutil.rmtree(merged_tmp)

    tensors = {}
    rows = []
    for name, shape, timesteps, seed in CASES:
        sample, timestep, text = inputs(shape, timesteps, seed)
        handles = record(model, CHECKPOINTS, name, tensors) if name == "frames3" else []
        output = model(sample, timestep, encoder_hidden_states=text).sample
        for handle in handles:
            handle.remove()
        tensors[f"{name}.sample"] = sample
        tensors[f"{name}.timestep"] = timestep
        tensors[f"{name}.encoder_hidden_states"] = text
        tensors[f"{name}.output"] = output
        rows.append(f"| `{name}` | {list(shape)} | {timesteps} | {list(text.shape)} | {list(output.shape)} |")

    zeroed_adapter = build_adapter()
    state = zeroed_adapter.state_dict()
    keys = motion_output_keys(state)
    for key in keys:
        state[key].zero_()
    zeroed = UNetMotionModel.from_unet2d(build_unet(), zeroed_adapter).eval()
    sample, timestep, text = inputs(*[(s, t, d) for n, s, t, d in CASES if n == "frames3"][0])
    tensors["zeroed_frames3.sample"] = sample
    tensors["zeroed_frames3.timestep"] = timestep
    tensors["zeroed_frames3.encoder_hidden_states"] = text
    tensors["zeroed_frames3.output"] = zeroed(sample, timestep, encoder_hidden_states=text).sample
    rows.append(f"| `zeroed_frames3` | {list(sample.shape)} | [421] | {list(text.shape)} | "
                f"{list(sample.shape)} (motion proj_out zeroed: {len(keys)} tensors) |")

    images = seeded_normal((3, 4, 8, 12), 50)
    image_t = torch.tensor([5, 500, 981], dtype=torch.int64)
    image_text = seeded_normal((3, TEXT_LENGTH, CROSS_DIM), 51)
    tensors["unet2d.sample"] = images
    tensors["unet2d.timestep"] = image_t
    tensors["unet2d.encoder_hidden_states"] = image_text
    tensors["unet2d.output"] = unet(images, image_t, encoder_hidden_states=image_text).sample
    rows.append(f"| `unet2d` (UNet2DConditionModel) | [3, 4, 8, 12] | [5, 500, 981] | [3, {TEXT_LENGTH}, {CROSS_DIM}] | [3, 4, 8, 12] |")

    save_fixture(
        out / "cases.safetensors",
        tensors,
        SCRIPT,
        {"model": "UNetMotionModel.from_unet2d", "init_seed": INIT_SEED, "zeroed_keys": keys,
         "unet": plain_config(unet.config), "motion_adapter": plain_config(adapter.config)},
        "UNetMotionModel outputs, frames3 checkpoints, zeroed-motion case and the UNet2D alone for unet-motion/",
    )
    return rows


def write_readme(out: Path, rows: list[str]) -> None:
    unet_params = sum(p.numel() for p in build_unet().parameters())
    adapter_params = sum(p.numel() for p in build_adapter().parameters())
    text = (
        "# unet-motion/ — `tools/reference/unet_motion_fixtures.py` (written by it; do not edit)\n\n"
        "diffusers 0.42.1 `UNetMotionModel.from_unet2d(unet, motion_adapter)` (AnimateDiff, MODELS.md §10).\n\n"
        f"- `unet/`: `UNet2DConditionModel` {json.dumps(UNET_CONFIG)} ({unet_params:,} params)\n"
        f"- `motion_adapter/`: `MotionAdapter` {json.dumps(ADAPTER_CONFIG)} ({adapter_params:,} params)\n"
        "- `merged/config.json`: the config `UNetMotionModel.save_pretrained` writes; its weights are\n"
        "  unet ∪ motion_adapter (checked by the script), so the file is not stored.\n\n"
        "Every parameter perturbed (norm weights 1 ± 0.1, biases ± 0.1); `pe` buffers are diffusers'.\n"
        "`cases.safetensors` holds, per case, `.sample`, `.timestep` (I64), `.encoder_hidden_states` and `.output`;\n"
        "the text is one prompt per sample repeated per frame (`[B·F, L, D]`):\n\n"
        "| case | sample | timestep | encoder_hidden_states | output |\n|---|---|---|---|---|\n"
        + "\n".join(rows) + "\n\n"
        "Checkpoints of the `frames3` run: `frames3.<module>.input` / `.output` for "
        + ", ".join(f"`{name}`" for name in CHECKPOINTS)
        + " (`.encoder_hidden_states` for the spatial transformer).\n"
    )
    (out / "README.md").write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=FIXTURES_ROOT, help="the Tests/Fixtures folder")
    args = parser.parse_args()
    out = args.out.resolve() / "unet-motion"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    setup_determinism()
    rows = write(out)
    write_readme(out, rows)
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"unet-motion fixtures: {out} ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
