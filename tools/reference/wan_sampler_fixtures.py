#!/usr/bin/env python3
"""Writes Tests/Fixtures/wan-samplers/: the tiny WanPipeline (Tests/Fixtures/wan/pipeline, written by
wan_fixtures.py, which runs first) with its sampler swapped the way diffusers users swap samplers,
`NewScheduler.from_config(pipe.scheduler.config, **overrides)`, run end to end from the same latents.

    dpm++2m   DPMSolverMultistepScheduler.from_config(UniPC flow config,
              algorithm_type="dpmsolver++", solver_order=2, use_karras_sigmas=False)

Regenerate with tools/reference/generate_all.sh (or: .venv/bin/python tools/reference/wan_sampler_fixtures.py --out Tests/Fixtures).
"""
import argparse
import shutil
from pathlib import Path

import numpy as np
import torch
from diffusers import DiffusionPipeline, DPMSolverMultistepScheduler

from fixture_common import FIXTURES_ROOT, save_fixture, setup_determinism
from wan_fixtures import PIPELINE_CALL, PIPELINE_LATENT_SHAPE, plain_config, seeded_normal

SCRIPT = "tools/reference/wan_sampler_fixtures.py"

SWAPS = {
    "dpm++2m": (DPMSolverMultistepScheduler,
                dict(algorithm_type="dpmsolver++", solver_order=2, use_karras_sigmas=False)),
}


@torch.no_grad()
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=FIXTURES_ROOT, help="the Tests/Fixtures folder")
    args = parser.parse_args()
    fixtures = args.out.resolve()
    out = fixtures / "wan-samplers"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    setup_determinism()

    pipeline = DiffusionPipeline.from_pretrained(str(fixtures / "wan" / "pipeline"))
    # Fresh, allocator-aligned weights: torch may sum memory-mapped ones in another order
    # (see wan_fixtures.py write_pipeline).
    for name in ("text_encoder", "vae", "transformer"):
        for tensor in list(getattr(pipeline, name).parameters()) + list(getattr(pipeline, name).buffers()):
            tensor.data = tensor.data.clone()
    pipeline.set_progress_bar_config(disable=True)
    latents = seeded_normal(PIPELINE_LATENT_SHAPE, 7)
    base_config = pipeline.scheduler.config
    for name, (cls, overrides) in SWAPS.items():
        pipeline.scheduler = cls.from_config(base_config, **overrides)
        step_latents = []

        def on_step_end(_pipeline, _index, _timestep, callback_kwargs):
            step_latents.append(callback_kwargs["latents"].clone())
            return {}

        video = pipeline(**PIPELINE_CALL, latents=latents.clone(), callback_on_step_end=on_step_end,
                         callback_on_step_end_tensor_inputs=["latents"]).frames
        tensors = {"latents": latents, "timesteps": pipeline.scheduler.timesteps.to(torch.float32)}
        for i, step in enumerate(step_latents):
            tensors[f"step{i}.latents_out"] = step
        tensors["video"] = np.asarray(video[0], dtype=np.float32)
        save_fixture(out / f"{name.replace('+', 'p')}.safetensors", tensors, SCRIPT,
                     {"pipeline_folder": "Tests/Fixtures/wan/pipeline", "sampler": name,
                      "scheduler": cls.__name__, "overrides": overrides,
                      "scheduler_config": plain_config(pipeline.scheduler.config), "call": dict(PIPELINE_CALL)},
                     f"WanPipeline with its scheduler swapped by {cls.__name__}.from_config: per-step latents, video")
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"wan sampler fixtures: {out} ({total / 1e3:.1f} kB)")


if __name__ == "__main__":
    main()
