#!/usr/bin/env python3
"""Writes Tests/Fixtures/text-to-video-sd/: a tiny random TextToVideoSDPipeline folder (the pseudo-3D
UNet of ModelScope text-to-video-ms-1.7b / zeroscope, the SD AutoencoderKL applied frame by frame,
CLIP text) and diffusers 0.42.1 runs of it end to end:

    ddim_latents      DDIM (the folder's scheduler) from stored `latents`
    ddim_generator    DDIM from torch.Generator("cpu").manual_seed(42) alone
    dpmpp2m_latents   DPMSolverMultistepScheduler.from_config(ddim config, dpmsolver++, order 2) from `latents`
    dpmpp2m_generator the same from torch.Generator("cpu").manual_seed(42) alone

Each run stores the prompt embeddings, every step's latents (after the scheduler step) and the
video as `output_type="np"` returns it ([F, H, W, 3] in [0, 1]).

Sizes follow diffusers' own (deleted) pipeline test: UNet3D block_out_channels (8, 8), 2 norm groups;
a 2-level VAE (scale factor 2); a 2-layer CLIP text model over the committed tiny CLIP tokenizer
(Tests/Fixtures/tokenizers/clip, saved with model_max_length 77 as real pipelines have it).

Regenerate with tools/reference/generate_all.sh (or: .venv/bin/python tools/reference/text_to_video_sd_fixtures.py --out Tests/Fixtures).
"""
import argparse
import shutil
from pathlib import Path

import numpy as np
import torch
from diffusers import (AutoencoderKL, DDIMScheduler, DPMSolverMultistepScheduler, TextToVideoSDPipeline,
                       UNet3DConditionModel)
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

from fixture_common import FIXTURES_ROOT, perturb_parameters, save_fixture, setup_determinism

SCRIPT = "tools/reference/text_to_video_sd_fixtures.py"

PROMPT = "a red circle moving left"
NEGATIVE_PROMPT = "blurry"
CALL = dict(prompt=PROMPT, negative_prompt=NEGATIVE_PROMPT, num_frames=3, height=16, width=24,
            num_inference_steps=3, guidance_scale=6.0, output_type="np")
# [B, C, F, H/2, W/2]: the VAE has two levels (scale factor 2).
LATENT_SHAPE = (1, 4, 3, 8, 12)
GENERATOR_SEED = 42

UNET = dict(block_out_channels=(8, 8), layers_per_block=1, sample_size=8, in_channels=4, out_channels=4,
            down_block_types=("CrossAttnDownBlock3D", "DownBlock3D"), up_block_types=("UpBlock3D", "CrossAttnUpBlock3D"),
            cross_attention_dim=16, attention_head_dim=4, norm_num_groups=2)
VAE = dict(block_out_channels=(8, 8), in_channels=3, out_channels=3, latent_channels=4, layers_per_block=1,
           down_block_types=["DownEncoderBlock2D"] * 2, up_block_types=["UpDecoderBlock2D"] * 2, norm_num_groups=2,
           sample_size=16)
DDIM = dict(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False, set_alpha_to_one=False)


def build_pipeline(out: Path) -> TextToVideoSDPipeline:
    tokenizer = CLIPTokenizer.from_pretrained(str(FIXTURES_ROOT / "tokenizers" / "clip"), model_max_length=77)
    vocab = len(tokenizer)
    text_config = CLIPTextConfig(vocab_size=vocab, hidden_size=16, intermediate_size=32, num_hidden_layers=2,
                                 num_attention_heads=2, max_position_embeddings=77, hidden_act="gelu",
                                 layer_norm_eps=1e-5, bos_token_id=tokenizer.bos_token_id,
                                 eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
                                 projection_dim=16)
    torch.manual_seed(0)
    text_encoder = CLIPTextModel(text_config).eval()
    unet = UNet3DConditionModel(**UNET).eval()
    vae = AutoencoderKL(**VAE).eval()
    for seed, model in ((1, text_encoder), (2, unet), (3, vae)):
        perturb_parameters(model, seed)
    pipeline = TextToVideoSDPipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
                                     scheduler=DDIMScheduler(**DDIM))
    pipeline.set_progress_bar_config(disable=True)
    return pipeline


@torch.no_grad()
def run(pipeline: TextToVideoSDPipeline, latents: torch.Tensor | None, generator_seed: int | None) -> dict:
    step_latents = []

    def on_step(_i, _t, latents_now):
        step_latents.append(latents_now.clone())

    prompt_embeds, negative_embeds = pipeline.encode_prompt(PROMPT, "cpu", 1, True, NEGATIVE_PROMPT)
    ids = pipeline.tokenizer(PROMPT, padding="max_length", max_length=pipeline.tokenizer.model_max_length,
                             truncation=True, return_tensors="pt").input_ids
    # encode_prompt(clip_skip=1) reads text_encoder.text_model.final_layer_norm, which transformers
    # 5.24's flattened CLIPTextModel no longer has (AttributeError); this is the same computation:
    # hidden_states[-(clip_skip + 1)] through the final layer norm.
    hidden = pipeline.text_encoder(ids, output_hidden_states=True).hidden_states
    skipped = pipeline.text_encoder.final_layer_norm(hidden[-2])
    generator = None if generator_seed is None else torch.Generator("cpu").manual_seed(generator_seed)
    video = pipeline(**CALL, latents=None if latents is None else latents.clone(), generator=generator,
                     callback=on_step, callback_steps=1).frames
    tensors = {"prompt_embeds": prompt_embeds, "negative_prompt_embeds": negative_embeds,
               "prompt_input_ids": ids, "prompt_embeds_clip_skip1": skipped,
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
    out = args.out.resolve() / "text-to-video-sd"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    setup_determinism()

    pipeline = build_pipeline(out)
    folder = out / "pipeline"
    pipeline.save_pretrained(folder)
    reloaded = TextToVideoSDPipeline.from_pretrained(str(folder))
    # Fresh, allocator-aligned weights (see wan_fixtures.py write_pipeline): the reloaded pipeline
    # is what Zoetrope reads, so its numbers are the fixture's.
    for name in ("text_encoder", "vae", "unet"):
        for tensor in list(getattr(reloaded, name).parameters()) + list(getattr(reloaded, name).buffers()):
            tensor.data = tensor.data.clone()
    reloaded.set_progress_bar_config(disable=True)

    generator = torch.Generator("cpu").manual_seed(7)
    latents = torch.randn(LATENT_SHAPE, generator=generator, dtype=torch.float32)
    ddim_config = dict(reloaded.scheduler.config)
    runs = {
        "ddim_latents": (DDIMScheduler, {}, latents, None),
        "ddim_generator": (DDIMScheduler, {}, None, GENERATOR_SEED),
        "dpmpp2m_latents": (DPMSolverMultistepScheduler, dict(algorithm_type="dpmsolver++", solver_order=2,
                                                              use_karras_sigmas=False), latents, None),
        "dpmpp2m_generator": (DPMSolverMultistepScheduler, dict(algorithm_type="dpmsolver++", solver_order=2,
                                                                use_karras_sigmas=False), None, GENERATOR_SEED),
    }
    for name, (cls, overrides, run_latents, seed) in runs.items():
        reloaded.scheduler = cls.from_config(ddim_config, **overrides)
        tensors = run(reloaded, run_latents, seed)
        call = dict(CALL)
        call["latents" if run_latents is not None else "generator"] = (
            "the stored `latents`" if run_latents is not None else f'torch.Generator("cpu").manual_seed({seed})')
        save_fixture(out / f"{name}.safetensors", tensors, SCRIPT,
                     {"pipeline": "TextToVideoSDPipeline", "pipeline_folder": "Tests/Fixtures/text-to-video-sd/pipeline",
                      "scheduler": cls.__name__, "overrides": overrides, "call": call},
                     f"TextToVideoSDPipeline end to end ({name}): prompt embeddings, per-step latents, video")
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"text-to-video-sd fixtures: {out} ({total / 1e3:.1f} kB)")


if __name__ == "__main__":
    main()
