#!/usr/bin/env python3
"""Writes Tests/Fixtures/animatediff/: a tiny random AnimateDiff setup the two ways people have it on
disk, and diffusers 0.42.1 runs of AnimateDiffPipeline end to end.

    sd15/             a StableDiffusionPipeline folder (SD 1.5 layout: UNet2DConditionModel, AutoencoderKL,
                      CLIP, DDIM) — what `--model` names
    motion_adapter/   a MotionAdapter folder — what `--motion-adapter` names
    ddim_latents      AnimateDiffPipeline(sd15 parts, motion_adapter) with DDIM from stored `latents`
    ddim_generator    the same from torch.Generator("cpu").manual_seed(42) alone
    dpmpp2m_latents   DPMSolverMultistepScheduler.from_config(ddim config, dpmsolver++, order 2) from `latents`
    dpmpp2m_generator the same from torch.Generator("cpu").manual_seed(42) alone

Each run stores the prompt embeddings ([1, 77, D], before the per-frame repeat), every step's latents and
the video ([F, H, W, 3] in [0, 1]). Sizes follow diffusers' AnimateDiff pipeline test (MotionAdapter
(8, 8), 2 norm groups) over the committed tiny CLIP tokenizer.

Regenerate with tools/reference/generate_all.sh (or: .venv/bin/python tools/reference/animatediff_fixtures.py --out Tests/Fixtures).
"""
import argparse
import shutil
from pathlib import Path

import numpy as np
import torch
from diffusers import (AnimateDiffPipeline, AutoencoderKL, DDIMScheduler, DPMSolverMultistepScheduler, MotionAdapter,
                       StableDiffusionPipeline, UNet2DConditionModel)
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

from fixture_common import FIXTURES_ROOT, perturb_parameters, save_fixture, setup_determinism

SCRIPT = "tools/reference/animatediff_fixtures.py"

PROMPT = "a red circle moving left"
NEGATIVE_PROMPT = "blurry"
CALL = dict(prompt=PROMPT, negative_prompt=NEGATIVE_PROMPT, num_frames=3, height=16, width=24,
            num_inference_steps=3, guidance_scale=6.0, output_type="np")
LATENT_SHAPE = (1, 4, 3, 8, 12)  # [B, C, F, H/2, W/2]: the VAE has two levels
GENERATOR_SEED = 42

UNET = dict(block_out_channels=(8, 8), layers_per_block=2, sample_size=8, in_channels=4, out_channels=4,
            down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"), up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
            cross_attention_dim=16, norm_num_groups=2, attention_head_dim=4)
ADAPTER = dict(block_out_channels=(8, 8), motion_layers_per_block=2, motion_norm_num_groups=2,
               motion_num_attention_heads=4)
VAE = dict(block_out_channels=(8, 8), in_channels=3, out_channels=3, latent_channels=4, layers_per_block=1,
           down_block_types=["DownEncoderBlock2D"] * 2, up_block_types=["UpDecoderBlock2D"] * 2, norm_num_groups=2,
           sample_size=16)
DDIM = dict(beta_start=0.00085, beta_end=0.012, beta_schedule="linear", clip_sample=False)


def build_parts():
    tokenizer = CLIPTokenizer.from_pretrained(str(FIXTURES_ROOT / "tokenizers" / "clip"), model_max_length=77)
    text_config = CLIPTextConfig(vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32, num_hidden_layers=2,
                                 num_attention_heads=2, max_position_embeddings=77, hidden_act="quick_gelu",
                                 layer_norm_eps=1e-5, bos_token_id=tokenizer.bos_token_id,
                                 eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(0)
    text_encoder = CLIPTextModel(text_config).eval()
    unet = UNet2DConditionModel(**UNET).eval()
    adapter = MotionAdapter(**ADAPTER).eval()
    vae = AutoencoderKL(**VAE).eval()
    for seed, model in ((1, text_encoder), (2, unet), (3, adapter), (4, vae)):
        perturb_parameters(model, seed)
    return tokenizer, text_encoder, unet, adapter, vae


def fresh(model):
    """Allocator-aligned copies of every weight (see wan_fixtures.py write_pipeline)."""
    for tensor in list(model.parameters()) + list(model.buffers()):
        tensor.data = tensor.data.clone()
    return model


@torch.no_grad()
def run(pipeline: AnimateDiffPipeline, latents: torch.Tensor | None, generator_seed: int | None) -> dict:
    step_latents = []

    def on_step_end(_pipeline, _index, _timestep, callback_kwargs):
        step_latents.append(callback_kwargs["latents"].clone())
        return {}

    prompt_embeds, negative_embeds = pipeline.encode_prompt(PROMPT, "cpu", 1, True, NEGATIVE_PROMPT)
    generator = None if generator_seed is None else torch.Generator("cpu").manual_seed(generator_seed)
    video = pipeline(**CALL, latents=None if latents is None else latents.clone(), generator=generator,
                     callback_on_step_end=on_step_end, callback_on_step_end_tensor_inputs=["latents"]).frames
    tensors = {"prompt_embeds": prompt_embeds, "negative_prompt_embeds": negative_embeds,
               "timesteps": pipeline.scheduler.timesteps.to(torch.float32)}
    if latents is not None:
        tensors["latents"] = latents
    else:
        tensors["noise"] = torch.randn(LATENT_SHAPE, generator=torch.Generator("cpu").manual_seed(generator_seed),
                                       dtype=torch.float32)
    assert len(step_latents) == CALL["num_inference_steps"]
    for i, step in enumerate(step_latents):
        tensors[f"step{i}.latents_out"] = step
    tensors["video"] = np.asarray(video[0], dtype=np.float32)
    return tensors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=FIXTURES_ROOT, help="the Tests/Fixtures folder")
    args = parser.parse_args()
    out = args.out.resolve() / "animatediff"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    setup_determinism()

    tokenizer, text_encoder, unet, adapter, vae = build_parts()
    sd15 = StableDiffusionPipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
                                   scheduler=DDIMScheduler(**DDIM), safety_checker=None, feature_extractor=None,
                                   requires_safety_checker=False)
    sd15.save_pretrained(out / "sd15")
    adapter.save_pretrained(out / "motion_adapter")

    # As people run it: the SD 1.5 folder's parts with the adapter, all read back from disk.
    loaded = StableDiffusionPipeline.from_pretrained(str(out / "sd15"), safety_checker=None, feature_extractor=None,
                                                     requires_safety_checker=False)
    motion = fresh(MotionAdapter.from_pretrained(str(out / "motion_adapter")))
    pipeline = AnimateDiffPipeline(vae=fresh(loaded.vae), text_encoder=fresh(loaded.text_encoder),
                                   tokenizer=loaded.tokenizer, unet=fresh(loaded.unet), motion_adapter=motion,
                                   scheduler=loaded.scheduler)
    fresh(pipeline.unet)
    pipeline.set_progress_bar_config(disable=True)

    latents = torch.randn(LATENT_SHAPE, generator=torch.Generator("cpu").manual_seed(7), dtype=torch.float32)
    ddim_config = dict(pipeline.scheduler.config)
    runs = {
        "ddim_latents": (DDIMScheduler, {}, latents, None),
        "ddim_generator": (DDIMScheduler, {}, None, GENERATOR_SEED),
        "dpmpp2m_latents": (DPMSolverMultistepScheduler, dict(algorithm_type="dpmsolver++", solver_order=2,
                                                              use_karras_sigmas=False), latents, None),
        "dpmpp2m_generator": (DPMSolverMultistepScheduler, dict(algorithm_type="dpmsolver++", solver_order=2,
                                                                use_karras_sigmas=False), None, GENERATOR_SEED),
    }
    for name, (cls, overrides, run_latents, seed) in runs.items():
        pipeline.scheduler = cls.from_config(ddim_config, **overrides)
        tensors = run(pipeline, run_latents, seed)
        call = dict(CALL)
        call["latents" if run_latents is not None else "generator"] = (
            "the stored `latents`" if run_latents is not None else f'torch.Generator("cpu").manual_seed({seed})')
        save_fixture(out / f"{name}.safetensors", tensors, SCRIPT,
                     {"pipeline": "AnimateDiffPipeline", "model": "Tests/Fixtures/animatediff/sd15",
                      "motion_adapter": "Tests/Fixtures/animatediff/motion_adapter",
                      "scheduler": cls.__name__, "overrides": overrides, "call": call},
                     f"AnimateDiffPipeline end to end ({name}): prompt embeddings, per-step latents, video")
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"animatediff fixtures: {out} ({total / 1e3:.1f} kB)")


if __name__ == "__main__":
    main()
