"""Writes the Wan 2.2 (TI2V-5B style) fixtures under Tests/Fixtures/wan22/ from tiny random-weight models.

Matches diffusers 0.42.1 (AutoencoderKLWan with `is_residual=True, patch_size=2`,
WanTransformer3DModel with per-token timesteps, WanPipeline with `expand_timesteps=True`,
UniPCMultistepScheduler) and transformers 5.24.0 (UMT5EncoderModel, T5Tokenizer) with
torch 2.15.0 on the CPU, single-threaded.

One tiny pipeline folder holds every model: Tests/Fixtures/wan22/pipeline/{vae,transformer,
text_encoder,tokenizer,scheduler} + model_index.json (`expand_timesteps: true`). The VAE and
transformer cases run on that folder's models, so no weights are stored twice. The text
encoder and tokenizer are those of Tests/Fixtures/wan/pipeline (same builder, same seed, so
the same bytes). Tests/Fixtures/README.md lists every file.

Run through tools/reference/generate_all.sh (it regenerates every fixture), or alone:
    .venv/bin/python tools/reference/wan22_fixtures.py --out Tests/Fixtures
This script owns Tests/Fixtures/wan22/ and deletes it before writing it again.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
import torch
from diffusers import AutoencoderKLWan, DiffusionPipeline, UniPCMultistepScheduler, WanPipeline, WanTransformer3DModel

from fixture_common import FIXTURES_ROOT, perturb_parameters, plain_config, save_fixture, setup_determinism
from wan_fixtures import PROMPT, UNIPC_CONFIG, build_umt5, seeded_normal, seeded_uniform
from wan_tiny_tokenizer import build_tokenizer, check_same_ids, train_sentencepiece_model

SCRIPT = "tools/reference/wan22_fixtures.py"

# The Wan 2.2 TI2V VAE layout (is_residual, patch_size 2, 16x spatial = patch 2 x three halvings,
# its own decoder width) at a tiny size:
# - encoder dims 4·[1,1,2,2,2] = [4,4,8,8,8]: AvgDown3D shortcuts with group sizes 4, 4, 8, 1
#   (spatial only, spatial + temporal twice, identity), in != out residual blocks;
# - decoder dims 3·[2,2,2,2,1] = [6,6,6,6,3] (decoder_base_dim 3 != base_dim 4): DupUp3D with
#   repeats 8, 8, 4, two temporal upsamplings (first_chunk cropping), in != out in the last level;
#   every RMS norm runs over >= 3 channels (one channel would be sign(x)·γ, see wan_fixtures.py);
# - z_dim 8 instead of 48 (any z works in diffusers; 8 keeps the weights small and differs from
#   in_channels 12 = 3·2·2, so a mix-up of the two cannot pass).
Z_DIM = 8
VAE_CONFIG = dict(
    base_dim=4,
    decoder_base_dim=3,
    z_dim=Z_DIM,
    dim_mult=[1, 2, 2, 2],
    num_res_blocks=2,
    attn_scales=[],
    temperal_downsample=[False, True, True],
    dropout=0.0,
    is_residual=True,
    in_channels=12,
    out_channels=12,
    patch_size=2,
    scale_factor_temporal=4,
    scale_factor_spatial=16,
    # Seeded per-channel statistics (the Wan 2.2 values are 48 long).
    latents_mean=[round(float(v), 4) for v in seeded_normal((Z_DIM,), 21, 0.5)],
    latents_std=[round(float(v), 4) for v in seeded_uniform((Z_DIM,), 22, 0.5, 3.0)],
)

# wan_fixtures.py's tiny transformer (2 heads x 12 = D 24, patch 1x2x2, 2 layers) with the
# pipeline's widths: latent channels = z_dim 8 in and out (Wan 2.2 TI2V: 48), text_dim 32 (UMT5).
TRANSFORMER_CONFIG = dict(
    patch_size=(1, 2, 2),
    num_attention_heads=2,
    attention_head_dim=12,
    in_channels=Z_DIM,
    out_channels=Z_DIM,
    text_dim=32,
    freq_dim=256,
    ffn_dim=32,
    num_layers=2,
    cross_attn_norm=True,
    qk_norm="rms_norm_across_heads",
    eps=1e-6,
    rope_max_seq_len=32,
)

# The call of the brief (no negative prompt: diffusers encodes "" for it). 5 frames of 32x64
# pixels are 2 latent frames of 2x4, i.e. 2·1·2 = 4 tokens of the 1x2x2 patch.
PIPELINE_CALL = dict(
    prompt=PROMPT,
    num_frames=5,
    height=32,
    width=64,
    num_inference_steps=3,
    guidance_scale=5.0,
    max_sequence_length=16,
    output_type="np",
)
PIPELINE_LATENT_SHAPE = (1, Z_DIM, 2, 2, 4)
PIPELINE_GENERATOR_SEED = 42


# MARK: - models


def build_vae(seed: int) -> AutoencoderKLWan:
    torch.manual_seed(seed)
    vae = AutoencoderKLWan(**VAE_CONFIG).eval()
    perturb_parameters(vae, seed=seed + 1)
    return vae


def build_transformer(seed: int) -> WanTransformer3DModel:
    torch.manual_seed(seed)
    transformer = WanTransformer3DModel(**TRANSFORMER_CONFIG).eval()
    perturb_parameters(transformer, seed=seed + 1)
    return transformer


def build_pipeline(spiece_model: bytes) -> WanPipeline:
    tokenizer = build_tokenizer(spiece_model)
    check_same_ids(spiece_model, tokenizer, [PROMPT, "", "Two  big CATS jumping, 4k!"])
    return WanPipeline(
        tokenizer=tokenizer,
        # seed 400: the text encoder of Tests/Fixtures/wan/pipeline
        text_encoder=build_umt5(len(tokenizer), seed=400),
        vae=build_vae(seed=700),
        transformer=build_transformer(seed=800),
        scheduler=UniPCMultistepScheduler(**UNIPC_CONFIG),
        expand_timesteps=True,
    )


# MARK: - AutoencoderKLWan (residual, patchified)


@torch.no_grad()
def write_vae_cases(vae: AutoencoderKLWan, out: Path) -> None:
    mean = torch.tensor(vae.config.latents_mean).view(1, -1, 1, 1, 1)
    inv_std = 1.0 / torch.tensor(vae.config.latents_std).view(1, -1, 1, 1, 1)
    tensors = {}
    # (name, video [B, 3, F, H, W], seed). H, W are multiples of 16 (patch 2 x three halvings).
    # 9 frames = first frame + 2 chunks of 4; 1 frame = first chunk only (AvgDown3D pads it);
    # 5 frames three latent pixels wide; batch 2. Sizes are kept small (the fixture budget).
    for name, shape, seed in [
        ("encode_9f", (1, 3, 9, 16, 32), 1),
        ("encode_1f", (1, 3, 1, 16, 16), 2),
        ("encode_5f_nonsquare", (1, 3, 5, 16, 48), 3),
        ("encode_5f_batch2", (2, 3, 5, 16, 16), 4),
    ]:
        video = seeded_uniform(shape, seed)
        posterior = vae.encode(video).latent_dist
        tensors[f"{name}.video"] = video
        tensors[f"{name}.mean"] = posterior.mean
        tensors[f"{name}.logvar"] = posterior.logvar
        tensors[f"{name}.latents_normalized"] = (posterior.mean - mean) * inv_std

    # Decoder: latents [B, z, F, h, w] -> video [B, 3, 1 + 4 (F - 1), 16h, 16w], clamped to [-1, 1].
    # 3 latent frames reach both temporal upsamplers after their skipped first chunk ("Rep").
    for name, shape, seed in [
        ("decode_1f", (1, Z_DIM, 1, 1, 1), 11),
        ("decode_2f_tall", (1, Z_DIM, 2, 2, 1), 12),
        ("decode_3f", (1, Z_DIM, 3, 1, 2), 13),
        ("decode_3f_batch2", (2, Z_DIM, 3, 1, 1), 14),
    ]:
        latents = seeded_normal(shape, seed)
        tensors[f"{name}.latents"] = latents
        tensors[f"{name}.video"] = vae.decode(latents).sample

    save_fixture(
        out / "vae_cases.safetensors",
        tensors,
        SCRIPT,
        {"model": "AutoencoderKLWan", "folder": "Tests/Fixtures/wan22/pipeline/vae", "init_seed": 700,
         **plain_config(vae.config)},
        "residual, patchified AutoencoderKLWan (Wan 2.2 layout) encode and decode cases for wan22/pipeline/vae",
    )


# MARK: - WanTransformer3DModel with per-token timesteps


@torch.no_grad()
def write_transformer_cases(transformer: WanTransformer3DModel, out: Path) -> None:
    C = TRANSFORMER_CONFIG["in_channels"]
    text_dim = TRANSFORMER_CONFIG["text_dim"]
    tensors = {}

    def tokens(shape):  # F · H/2 · W/2 for the 1x2x2 patch
        return shape[2] * (shape[3] // 2) * (shape[4] // 2)

    # (name, hidden_states shape, text length, seed, timestep builder(B, S) -> [B, S] or [B])
    cases = [
        # What WanPipeline passes with expand_timesteps: every token at the step's t (float32).
        ("uniform", (1, C, 3, 4, 6), 12, 1, lambda B, S: torch.full((B, S), 757.0)),
        # The same t as a one-per-batch timestep: diffusers' 1-D path gives the same numbers.
        ("uniform_1d", (1, C, 3, 4, 6), 12, 1, lambda B, S: torch.tensor([757.0])),
        # TI2V image conditioning: the first latent frame's tokens at t = 0, the others at t.
        ("first_frame_zero", (1, C, 3, 4, 6), 12, 2,
         lambda B, S: torch.cat([torch.zeros(B, S // 3), torch.full((B, 2 * S // 3), 600.0)], dim=1)),
        # Every token its own float timestep, two samples with different rows.
        ("random_batch2", (2, C, 2, 4, 4), 7, 3, lambda B, S: seeded_uniform((B, S), 33, 0.0, 1000.0)),
    ]
    for name, shape, text_length, seed, timestep_of in cases:
        hidden_states = seeded_normal(shape, seed)
        encoder_hidden_states = seeded_normal((shape[0], text_length, text_dim), seed + 50)
        timestep = timestep_of(shape[0], tokens(shape)).to(torch.float32)
        captured = {}
        hooks = capture_internals(transformer, captured) if name == "first_frame_zero" else []
        output = transformer(
            hidden_states=hidden_states,
            timestep=timestep,
            encoder_hidden_states=encoder_hidden_states,
            return_dict=False,
        )[0]
        for hook in hooks:
            hook.remove()
        tensors[f"{name}.hidden_states"] = hidden_states
        tensors[f"{name}.timestep"] = timestep
        tensors[f"{name}.encoder_hidden_states"] = encoder_hidden_states
        tensors[f"{name}.output"] = output
        for key, value in captured.items():
            tensors[f"{name}.{key}"] = value
    assert torch.equal(tensors["uniform.output"], tensors["uniform_1d.output"]) or \
        (tensors["uniform.output"] - tensors["uniform_1d.output"]).abs().max() < 1e-5

    save_fixture(
        out / "transformer_cases.safetensors",
        tensors,
        SCRIPT,
        {"model": "WanTransformer3DModel", "folder": "Tests/Fixtures/wan22/pipeline/transformer", "init_seed": 800,
         **plain_config(transformer.config)},
        "WanTransformer3DModel forward with per-token timesteps [B, F·H/2·W/2] (Wan 2.2 TI2V) for wan22/pipeline/transformer",
    )


def capture_internals(transformer: WanTransformer3DModel, captured: dict) -> list:
    """Forward hooks on the per-token conditioning and on every block."""

    def on_condition(_module, _inputs, output):
        temb, timestep_proj, _, _ = output
        captured["temb"] = temb  # [B, S, D]
        captured["timestep_proj"] = timestep_proj  # [B, S, 6D]

    def on_block(index):
        def hook(_module, _inputs, output):
            captured[f"block{index}_output"] = output  # [B, S, D]

        return hook

    hooks = [transformer.condition_embedder.register_forward_hook(on_condition)]
    for index, block in enumerate(transformer.blocks):
        hooks.append(block.register_forward_hook(on_block(index)))
    return hooks


# MARK: - WanPipeline (expand_timesteps)


@torch.no_grad()
def write_pipeline(out: Path) -> None:
    spiece_model = train_sentencepiece_model()
    pipeline = build_pipeline(spiece_model)
    folder = out / "pipeline"
    pipeline.save_pretrained(folder)
    (folder / "tokenizer" / "spiece.model").write_bytes(spiece_model)

    write_vae_cases(pipeline.vae, out)
    write_transformer_cases(pipeline.transformer, out)

    explicit_latents = seeded_normal(PIPELINE_LATENT_SHAPE, 7)
    runs = {
        "unipc_latents": run_pipeline(pipeline, latents=explicit_latents),
        "unipc_generator": run_pipeline(pipeline, generator_seed=PIPELINE_GENERATOR_SEED),
    }
    # The generator run equals a run with latents = randn(shape, generator) in float32.
    noise = torch.randn(
        PIPELINE_LATENT_SHAPE, generator=torch.Generator("cpu").manual_seed(PIPELINE_GENERATOR_SEED), dtype=torch.float32
    )
    replay = run_pipeline(pipeline, latents=noise)
    assert np.array_equal(replay["video"], runs["unipc_generator"]["video"]), "generator noise is not randn(shape)"
    runs["unipc_generator"]["noise"] = noise

    # The folder is the fixture: WanPipeline.from_pretrained(folder) must give the same numbers
    # (weights copied out of memory-mapped storage, see tools/reference/README.md).
    reloaded = DiffusionPipeline.from_pretrained(str(folder))
    assert isinstance(reloaded, WanPipeline) and reloaded.config.expand_timesteps is True
    for name in ("text_encoder", "vae", "transformer"):
        for tensor in list(getattr(reloaded, name).parameters()) + list(getattr(reloaded, name).buffers()):
            tensor.data = tensor.data.clone()
    again = run_pipeline(reloaded, latents=explicit_latents)
    assert np.array_equal(again["video"], runs["unipc_latents"]["video"]), "reloaded pipeline differs"

    for run_name, tensors in runs.items():
        call = dict(PIPELINE_CALL)
        if run_name.endswith("generator"):
            call["generator"] = f'torch.Generator("cpu").manual_seed({PIPELINE_GENERATOR_SEED})'
        else:
            call["latents"] = "the stored `latents` tensor"
        save_fixture(
            out / f"pipeline_{run_name}.safetensors",
            tensors,
            SCRIPT,
            {
                "pipeline": "WanPipeline",
                "pipeline_folder": "Tests/Fixtures/wan22/pipeline",
                "expand_timesteps": True,
                "call": call,
                "scheduler": "UniPCMultistepScheduler",
                "scheduler_config": plain_config(pipeline.scheduler.config),
            },
            f"WanPipeline (Wan 2.2 TI2V style, expand_timesteps) end to end with UniPC ({run_name}): "
            "per-token timesteps, per-step latents and noise predictions, video",
        )


@torch.no_grad()
def run_pipeline(pipeline: WanPipeline, latents: torch.Tensor | None = None, generator_seed: int | None = None) -> dict:
    """Runs PIPELINE_CALL, recording what goes in and out of every transformer call and scheduler step."""
    calls = []

    def on_transformer(_module, _args, kwargs, output):
        calls.append({
            "hidden_states": kwargs["hidden_states"].clone(),
            "timestep": kwargs["timestep"].clone(),
            "encoder_hidden_states": kwargs["encoder_hidden_states"].clone(),
            "output": output[0].clone(),
        })

    decoded_inputs = []

    def on_post_quant_conv(_module, args):
        decoded_inputs.append(args[0].clone())  # the denormalised latents the VAE decodes

    step_latents = []

    def on_step_end(_pipeline, _index, _timestep, callback_kwargs):
        step_latents.append(callback_kwargs["latents"].clone())
        return {}

    hooks = [
        pipeline.transformer.register_forward_hook(on_transformer, with_kwargs=True),
        pipeline.vae.post_quant_conv.register_forward_pre_hook(on_post_quant_conv),
    ]
    pipeline.set_progress_bar_config(disable=True)
    generator = None if generator_seed is None else torch.Generator("cpu").manual_seed(generator_seed)
    try:
        video = pipeline(
            **PIPELINE_CALL,
            latents=None if latents is None else latents.clone(),
            generator=generator,
            callback_on_step_end=on_step_end,
            callback_on_step_end_tensor_inputs=["latents"],
        ).frames
    finally:
        for hook in hooks:
            hook.remove()

    steps = PIPELINE_CALL["num_inference_steps"]
    assert len(calls) == 2 * steps and len(step_latents) == steps and len(decoded_inputs) == 1
    tensors = {}
    if latents is not None:
        tensors["latents"] = latents  # exactly what the pipeline takes
    tensors["timesteps"] = pipeline.scheduler.timesteps
    tensors["sigmas"] = pipeline.scheduler.sigmas
    # The zero-padded UMT5 embeddings the transformer got (the same at every step).
    tensors["prompt_embeds"] = calls[0]["encoder_hidden_states"]  # [1, 16, 32]
    tensors["negative_prompt_embeds"] = calls[1]["encoder_hidden_states"]  # [1, 16, 32], from ""
    for i in range(steps):
        cond, uncond = calls[2 * i], calls[2 * i + 1]  # WanPipeline calls cond first, then uncond
        assert torch.equal(cond["timestep"], uncond["timestep"])
        assert cond["timestep"].shape == (1, PIPELINE_LATENT_SHAPE[2] * (PIPELINE_LATENT_SHAPE[3] // 2)
                                          * (PIPELINE_LATENT_SHAPE[4] // 2))
        tensors[f"step{i}.latents_in"] = cond["hidden_states"]
        tensors[f"step{i}.timestep"] = cond["timestep"]  # [1, S] float32, every token at t
        tensors[f"step{i}.noise_pred_cond"] = cond["output"]
        tensors[f"step{i}.noise_pred_uncond"] = uncond["output"]
        tensors[f"step{i}.latents_out"] = step_latents[i]
    tensors["latents_denormalized"] = decoded_inputs[0]
    tensors["video"] = np.asarray(video[0], dtype=np.float32)  # [F, H, W, 3] in [0, 1]
    return tensors


# MARK: - main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=FIXTURES_ROOT, help="the Tests/Fixtures folder")
    args = parser.parse_args()
    out = args.out.resolve() / "wan22"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    setup_determinism()
    write_pipeline(out)
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"wan22 fixtures: {out} ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
