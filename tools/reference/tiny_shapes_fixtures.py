"""Writes Tests/Fixtures/<id>/reference.safetensors for each bundled model (tiny-shapes, and
tiny-shapes-unet once it is shipped): the model run by its diffusers pipeline (WanPipeline,
TextToVideoSDPipeline) at Zoetrope's default settings, so a Swift test can check that the shipped
model gives diffusers' clip (PSNR >= 40 dB) from the same initial noise and from a seed.

    tools/reference/generate_all.sh   (or: .venv/bin/python tools/reference/tiny_shapes_fixtures.py --out Tests/Fixtures)
"""
from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
import torch
from diffusers import DiffusionPipeline

from fixture_common import FIXTURES_ROOT, REPO_ROOT, save_fixture, setup_determinism

SCRIPT = "tools/reference/tiny_shapes_fixtures.py"
MODELS = REPO_ROOT / "Sources" / "BundledModels" / "Resources"
# Zoetrope's defaults (JobRequest / `zoetrope generate`), which are the pipelines' but for size.
CALL = dict(prompt="a yellow square moving up on a blue background", negative_prompt="", num_frames=17,
            height=64, width=64, num_inference_steps=20, guidance_scale=5.0, output_type="np")
# WanPipeline pads the prompt to 512 tokens (its default); TextToVideoSDPipeline to the tokenizer's 77.
PIPELINE_CALL = {"WanPipeline": dict(max_sequence_length=512), "TextToVideoSDPipeline": {}}
SEED = 7


def noise_shape(pipe) -> tuple[int, ...]:
    """The initial latents' shape, as the pipeline's prepare_latents makes it."""
    frames, height, width = CALL["num_frames"], CALL["height"], CALL["width"]
    if type(pipe).__name__ == "WanPipeline":
        vae = pipe.vae.config
        return (1, vae.z_dim, (frames - 1) // vae.scale_factor_temporal + 1,
                height // vae.scale_factor_spatial, width // vae.scale_factor_spatial)
    # TextToVideoSDPipeline: a 2-D VAE applied frame by frame
    return (1, pipe.unet.config.in_channels, frames, height // pipe.vae_scale_factor, width // pipe.vae_scale_factor)


@torch.no_grad()
def write(model: Path, out_root: Path) -> None:
    out = out_root / model.name
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    setup_determinism()
    # float32 compute: the fp16-stored weights are widened, as the Swift engine does.
    # (torch_dtype=float32 at load trips transformers' keep-in-fp32 check for UMT5; widening
    # after the load gives the same float32 values.)
    pipe = DiffusionPipeline.from_pretrained(str(model)).to(torch.float32)
    pipe.set_progress_bar_config(disable=True)
    call = dict(CALL, **PIPELINE_CALL[type(pipe).__name__])
    noise = torch.randn(noise_shape(pipe), generator=torch.Generator("cpu").manual_seed(SEED), dtype=torch.float32)
    video = pipe(**call, generator=torch.Generator("cpu").manual_seed(SEED)).frames[0]
    replay = pipe(**call, latents=noise.clone()).frames[0]
    assert np.array_equal(video, replay), "the seeded run is not randn(shape) noise"
    save_fixture(out / "reference.safetensors",
                 {"latents": noise, "video": np.asarray(video, dtype=np.float32)},
                 SCRIPT, {"call": call, "seed": SEED, "model": f"Sources/BundledModels/Resources/{model.name}"},
                 f"the bundled {model.name} model through diffusers' {type(pipe).__name__} at the default settings")
    print(f"{model.name} fixture: {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=FIXTURES_ROOT)
    args = parser.parse_args()
    for name in ["tiny-shapes", "tiny-shapes-unet"]:
        if (MODELS / name / "model_index.json").exists():
            write(MODELS / name, args.out.resolve())


if __name__ == "__main__":
    main()
