"""Writes Tests/Fixtures/tiny-shapes/reference.safetensors: the bundled tiny-shapes model run by
diffusers' WanPipeline at Zoetrope's default settings, so a Swift test can check that the
shipped model gives diffusers' clip (PSNR >= 40 dB) from the same initial noise and from a seed.

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
MODEL = REPO_ROOT / "Sources" / "BundledModels" / "Resources" / "tiny-shapes"
# Zoetrope's defaults (JobRequest / `zoetrope generate`), which are WanPipeline's but for size.
CALL = dict(prompt="a yellow square moving up on a blue background", negative_prompt="", num_frames=17,
            height=64, width=64, num_inference_steps=20, guidance_scale=5.0, max_sequence_length=512,
            output_type="np")
SEED = 7


@torch.no_grad()
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=FIXTURES_ROOT)
    args = parser.parse_args()
    out = args.out.resolve() / "tiny-shapes"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    setup_determinism()
    # float32 compute: the fp16-stored weights are widened, as the Swift engine does.
    # (torch_dtype=float32 at load trips transformers' keep-in-fp32 check for UMT5; widening
    # after the load gives the same float32 values.)
    pipe = DiffusionPipeline.from_pretrained(str(MODEL)).to(torch.float32)
    pipe.set_progress_bar_config(disable=True)
    vae = pipe.vae.config
    shape = (1, vae.z_dim, (CALL["num_frames"] - 1) // vae.scale_factor_temporal + 1,
             CALL["height"] // vae.scale_factor_spatial, CALL["width"] // vae.scale_factor_spatial)
    noise = torch.randn(shape, generator=torch.Generator("cpu").manual_seed(SEED), dtype=torch.float32)
    video = pipe(**CALL, generator=torch.Generator("cpu").manual_seed(SEED)).frames[0]
    replay = pipe(**CALL, latents=noise.clone()).frames[0]
    assert np.array_equal(video, replay), "the seeded run is not randn(shape) noise"
    save_fixture(out / "reference.safetensors",
                 {"latents": noise, "video": np.asarray(video, dtype=np.float32)},
                 SCRIPT, {"call": CALL, "seed": SEED, "model": "Sources/BundledModels/Resources/tiny-shapes"},
                 "the bundled tiny-shapes model through diffusers' WanPipeline at the default settings")
    print(f"tiny-shapes fixture: {out}")


if __name__ == "__main__":
    main()
