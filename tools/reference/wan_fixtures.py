"""Writes the Wan 2.1 fixtures under Tests/Fixtures/wan/ from tiny random-weight models.

Matches diffusers 0.42.1 (AutoencoderKLWan, WanTransformer3DModel, WanPipeline,
UniPCMultistepScheduler, FlowMatchEulerDiscreteScheduler) and transformers 5.24.0
(UMT5EncoderModel, T5Tokenizer) with torch 2.15.0 on the CPU, single-threaded.

Every model is built from its config after `torch.manual_seed`, then every parameter is
perturbed (see fixture_common.perturb_parameters) so no weight is trivially 0 or 1. Each
model is saved as a diffusers / transformers folder, and its inputs and outputs as a
safetensors file with a metadata header. Tests/Fixtures/README.md lists every file.

Run through tools/reference/generate_all.sh (it regenerates every fixture), or alone:
    tools/reference/generate_all.sh   (or: .venv/bin/python tools/reference/wan_fixtures.py --out Tests/Fixtures)
This script owns Tests/Fixtures/wan/ and deletes it before writing it again.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
import torch
from diffusers import (
    AutoencoderKLWan,
    DiffusionPipeline,
    FlowMatchEulerDiscreteScheduler,
    UniPCMultistepScheduler,
    WanPipeline,
    WanTransformer3DModel,
)
from transformers import UMT5Config, UMT5EncoderModel

from fixture_common import FIXTURES_ROOT, perturb_parameters, plain_config, save_fixture, setup_determinism
from wan_tiny_tokenizer import build_tokenizer, check_same_ids, train_sentencepiece_model

SCRIPT = "tools/reference/wan_fixtures.py"

# diffusers' own AutoencoderKLWan test uses base_dim 3, dim_mult [1,1,1,1]: its upsample convs have 3 // 2 = 1 output
# channel, and an RMS norm over one channel is sign(x)·γ, which flips on rounding noise. base_dim 4
# with dim_mult [1,2,2,2] keeps every conv at ≥ 4 channels, has in ≠ out residual blocks (shortcut
# convs) in encoder and decoder, both temporal resamplers, the mid-block attention, and
# num_res_blocks 2 like the real model (3 resnets per decoder up block).
VAE_CONFIG = dict(
    base_dim=4,
    z_dim=16,
    dim_mult=[1, 2, 2, 2],
    num_res_blocks=2,
    attn_scales=[],
    temperal_downsample=[False, True, True],
    dropout=0.0,
)

# The diffusers WanTransformer3DModel test config (heads 2 × head dim 12 = D 24, RoPE split t/h/w = 4/4/4).
TRANSFORMER_CONFIG = dict(
    patch_size=(1, 2, 2),
    num_attention_heads=2,
    attention_head_dim=12,
    in_channels=4,
    out_channels=4,
    text_dim=16,
    freq_dim=256,
    ffn_dim=32,
    num_layers=2,
    cross_attn_norm=True,
    qk_norm="rms_norm_across_heads",
    eps=1e-6,
    rope_max_seq_len=32,
)

# The pipeline test config: latent channels 16 (the VAE's z_dim) and text_dim 32 (the UMT5 width).
PIPELINE_TRANSFORMER_CONFIG = {**TRANSFORMER_CONFIG, "in_channels": 16, "out_channels": 16, "text_dim": 32}


def umt5_config(vocab_size: int) -> dict:
    """The tiny UMT5 encoder: d_model 32 = 4 heads × d_kv 8, d_ff 64 gated-gelu, 2 layers, 32 buckets up to 128."""
    return dict(
        vocab_size=vocab_size,
        d_model=32,
        d_kv=8,
        d_ff=64,
        num_layers=2,
        num_heads=4,
        relative_attention_num_buckets=32,
        relative_attention_max_distance=128,
        feed_forward_proj="gated-gelu",
        dropout_rate=0.0,
        layer_norm_epsilon=1e-6,
        pad_token_id=0,
        eos_token_id=1,
        decoder_start_token_id=0,
    )


TEXT_ENCODER_VOCAB = 512

PROMPT = "a red circle moving left"
NEGATIVE_PROMPT = "blurry"
PIPELINE_CALL = dict(
    prompt=PROMPT,
    negative_prompt=NEGATIVE_PROMPT,
    num_frames=9,
    height=16,
    width=32,
    num_inference_steps=3,
    guidance_scale=5.0,
    max_sequence_length=16,
    output_type="np",
)
# [B, C, F_lat, H/8, W/8] for 9 frames of 16×32 pixels.
PIPELINE_LATENT_SHAPE = (1, 16, 3, 2, 4)
PIPELINE_GENERATOR_SEED = 42

UNIPC_CONFIG = dict(
    num_train_timesteps=1000,
    prediction_type="flow_prediction",
    use_flow_sigmas=True,
    flow_shift=3.0,
    solver_order=2,
    solver_type="bh2",
    predict_x0=True,
    lower_order_final=True,
    final_sigmas_type="zero",
)
FLOWMATCH_CONFIG = dict(num_train_timesteps=1000, shift=7.0)


def seeded_normal(shape, seed: int, scale: float = 1.0) -> torch.Tensor:
    generator = torch.Generator("cpu").manual_seed(seed)
    return torch.randn(shape, generator=generator, dtype=torch.float32) * scale


def seeded_uniform(shape, seed: int, low: float = -1.0, high: float = 1.0) -> torch.Tensor:
    generator = torch.Generator("cpu").manual_seed(seed)
    return torch.rand(shape, generator=generator, dtype=torch.float32) * (high - low) + low


# MARK: - models


def build_vae(seed: int) -> AutoencoderKLWan:
    torch.manual_seed(seed)
    vae = AutoencoderKLWan(**VAE_CONFIG).eval()
    perturb_parameters(vae, seed=seed + 1)
    return vae


def build_transformer(config: dict, seed: int) -> WanTransformer3DModel:
    torch.manual_seed(seed)
    transformer = WanTransformer3DModel(**config).eval()
    perturb_parameters(transformer, seed=seed + 1)
    return transformer


def build_umt5(vocab_size: int, seed: int) -> UMT5EncoderModel:
    torch.manual_seed(seed)
    model = UMT5EncoderModel(UMT5Config(**umt5_config(vocab_size))).eval()
    perturb_parameters(model, seed=seed + 1)
    return model


# MARK: - AutoencoderKLWan


@torch.no_grad()
def write_vae(out: Path) -> None:
    vae = build_vae(seed=100)
    vae.save_pretrained(out / "vae")
    mean = torch.tensor(vae.config.latents_mean).view(1, -1, 1, 1, 1)
    inv_std = 1.0 / torch.tensor(vae.config.latents_std).view(1, -1, 1, 1, 1)

    tensors = {}
    # (name, input shape [B, 3, F, H, W], seed): 9 frames = 1 + 2 chunks of 4; 1 frame = the first
    # chunk only; 5 non-square frames = 1 + 1 chunk; batch 2 checks the per-sample cache.
    for name, shape, seed in [
        ("encode_9f", (1, 3, 9, 16, 16), 1),
        ("encode_1f", (1, 3, 1, 16, 16), 2),
        ("encode_5f_nonsquare", (1, 3, 5, 16, 24), 3),
        ("encode_9f_batch2", (2, 3, 9, 16, 16), 4),
    ]:
        video = seeded_uniform(shape, seed)
        posterior = vae.encode(video).latent_dist
        tensors[f"{name}.video"] = video
        tensors[f"{name}.mean"] = posterior.mean
        tensors[f"{name}.logvar"] = posterior.logvar
        # The Wan pipelines normalise per channel as (μ − mean_c) · (1 / std_c).
        tensors[f"{name}.latents_normalized"] = (posterior.mean - mean) * inv_std

    # Decoder: latents [B, 16, F_lat, h, w] → video [B, 3, 1 + 4 (F_lat − 1), 8h, 8w], clamped to [−1, 1].
    for name, shape, seed in [
        ("decode_1f", (1, 16, 1, 2, 2), 11),
        ("decode_2f_nonsquare", (1, 16, 2, 2, 3), 12),
        ("decode_3f", (1, 16, 3, 2, 2), 13),
        ("decode_3f_nonsquare_batch2", (2, 16, 3, 3, 2), 14),
    ]:
        latents = seeded_normal(shape, seed)
        tensors[f"{name}.latents"] = latents
        tensors[f"{name}.video"] = vae.decode(latents).sample

    save_fixture(
        out / "vae_cases.safetensors",
        tensors,
        SCRIPT,
        {"model": "AutoencoderKLWan", "init_seed": 100, **plain_config(vae.config)},
        "AutoencoderKLWan encode (posterior mean/logvar, normalised mean) and decode cases for wan/vae",
    )


# MARK: - WanTransformer3DModel


@torch.no_grad()
def write_transformer(out: Path) -> None:
    transformer = build_transformer(TRANSFORMER_CONFIG, seed=200)
    transformer.save_pretrained(out / "transformer")
    D = TRANSFORMER_CONFIG["num_attention_heads"] * TRANSFORMER_CONFIG["attention_head_dim"]
    text_dim = TRANSFORMER_CONFIG["text_dim"]
    C = TRANSFORMER_CONFIG["in_channels"]

    tensors = {}
    # (name, hidden_states shape, text length, timestep tensor, seed)
    cases = [
        ("int_timestep", (1, C, 2, 16, 16), 12, torch.tensor([757], dtype=torch.int64), 1),
        ("nonsquare_3f", (1, C, 3, 8, 12), 12, torch.tensor([310], dtype=torch.int64), 2),
        ("batch2", (2, C, 2, 8, 8), 7, torch.tensor([999, 3], dtype=torch.int64), 3),
        ("float_timestep", (1, C, 2, 8, 8), 12, torch.tensor([872.6503], dtype=torch.float32), 4),
    ]
    for name, shape, text_length, timestep, seed in cases:
        hidden_states = seeded_normal(shape, seed)
        encoder_hidden_states = seeded_normal((shape[0], text_length, text_dim), seed + 50)
        captured = {}
        hooks = capture_transformer_internals(transformer, captured) if name == "int_timestep" else []
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
    assert tensors["int_timestep.temb"].shape[-1] == D

    save_fixture(
        out / "transformer_cases.safetensors",
        tensors,
        SCRIPT,
        {"model": "WanTransformer3DModel", "init_seed": 200, **plain_config(transformer.config)},
        "WanTransformer3DModel forward cases (int, float, batch-2 timesteps; non-square) for wan/transformer",
    )


def capture_transformer_internals(transformer: WanTransformer3DModel, captured: dict) -> list:
    """Forward hooks that record the intermediate tensors a port is most likely to get wrong."""

    def on_rope(_module, _inputs, output):
        captured["rope_cos"], captured["rope_sin"] = output  # [1, F·H/2·W/2, 1, head_dim] each

    def on_patch(_module, _inputs, output):
        captured["patch_embedding"] = output.flatten(2).transpose(1, 2)  # [B, S, D]

    def on_condition(_module, _inputs, output):
        temb, timestep_proj, text, _ = output
        captured["temb"] = temb  # [B, D]
        captured["timestep_proj"] = timestep_proj  # [B, 6D]
        captured["text_context"] = text  # [B, L, D]

    def on_block(index):
        def hook(_module, _inputs, output):
            captured[f"block{index}_output"] = output  # [B, S, D]

        return hook

    hooks = [
        transformer.rope.register_forward_hook(on_rope),
        transformer.patch_embedding.register_forward_hook(on_patch),
        transformer.condition_embedder.register_forward_hook(on_condition),
    ]
    for index, block in enumerate(transformer.blocks):
        hooks.append(block.register_forward_hook(on_block(index)))
    return hooks


# MARK: - UMT5EncoderModel


@torch.no_grad()
def write_text_encoder(out: Path) -> None:
    model = build_umt5(TEXT_ENCODER_VOCAB, seed=300)
    model.save_pretrained(out / "text_encoder")
    tensors = {}

    # Two rows of 10 ids; the second is padded after 6 tokens (eos = 1 then pad = 0).
    ids = torch.randint(3, TEXT_ENCODER_VOCAB, (2, 10), generator=torch.Generator("cpu").manual_seed(1))
    ids[0, 9] = 1
    ids[1, 5] = 1
    ids[1, 6:] = 0
    mask = torch.ones_like(ids)
    mask[1, 6:] = 0
    # The output of every layer (before the final RMS norm) in the masked run. transformers'
    # `output_hidden_states` would give (embeddings, layer 0, final norm) and skip the last layer.
    layer_outputs = []
    hooks = [block.register_forward_hook(lambda _m, _i, output: layer_outputs.append(output))
             for block in model.encoder.block]
    masked = model(input_ids=ids, attention_mask=mask)
    for hook in hooks:
        hook.remove()
    unmasked = model(input_ids=ids)
    tensors["short.input_ids"] = ids
    tensors["short.attention_mask"] = mask
    tensors["short.last_hidden_state_masked"] = masked.last_hidden_state  # [2, 10, 32]
    tensors["short.last_hidden_state_unmasked"] = unmasked.last_hidden_state  # [2, 10, 32]
    for index, output in enumerate(layer_outputs):
        tensors[f"short.layer_output_masked.{index}"] = output  # [2, 10, 32]

    # 140 tokens reach relative distances past max_distance 128, so every bucket is used.
    long_ids = torch.randint(3, TEXT_ENCODER_VOCAB, (1, 140), generator=torch.Generator("cpu").manual_seed(2))
    long_ids[0, -1] = 1
    tensors["long.input_ids"] = long_ids
    tensors["long.last_hidden_state"] = model(input_ids=long_ids).last_hidden_state  # [1, 140, 32]

    save_fixture(
        out / "text_encoder_cases.safetensors",
        tensors,
        SCRIPT,
        {"model": "UMT5EncoderModel", "init_seed": 300, **model.config.to_diff_dict()},
        "UMT5EncoderModel last_hidden_state with and without a padding mask, and a 140-token run",
    )


# MARK: - WanPipeline


def build_pipeline(spiece_model: bytes) -> WanPipeline:
    tokenizer = build_tokenizer(spiece_model)
    check_same_ids(spiece_model, tokenizer, [PROMPT, NEGATIVE_PROMPT, "", "Two  big CATS jumping, 4k!"])
    return WanPipeline(
        tokenizer=tokenizer,
        text_encoder=build_umt5(len(tokenizer), seed=400),
        vae=build_vae(seed=500),
        transformer=build_transformer(PIPELINE_TRANSFORMER_CONFIG, seed=600),
        scheduler=UniPCMultistepScheduler(**UNIPC_CONFIG),
    )


@torch.no_grad()
def write_pipeline(out: Path) -> None:
    spiece_model = train_sentencepiece_model()
    pipeline = build_pipeline(spiece_model)
    folder = out / "pipeline"
    pipeline.save_pretrained(folder)
    (folder / "tokenizer" / "spiece.model").write_bytes(spiece_model)

    write_prompt_fixture(pipeline, out)

    explicit_latents = seeded_normal(PIPELINE_LATENT_SHAPE, 7)
    runs = {}
    runs["unipc_latents"] = run_pipeline(pipeline, latents=explicit_latents)
    runs["unipc_generator"] = run_pipeline(pipeline, generator_seed=PIPELINE_GENERATOR_SEED)

    # The generator run must equal a run with latents = torch.randn(shape, generator) in float32:
    # that is the whole of how WanPipeline draws its noise (prepare_latents → randn_tensor).
    noise = torch.randn(
        PIPELINE_LATENT_SHAPE, generator=torch.Generator("cpu").manual_seed(PIPELINE_GENERATOR_SEED), dtype=torch.float32
    )
    replay = run_pipeline(pipeline, latents=noise)
    assert np.array_equal(replay["video"], runs["unipc_generator"]["video"]), "generator noise is not randn(shape)"
    runs["unipc_generator"]["noise"] = noise

    # A pipeline reloaded from the folder must give the same numbers, or the folder is not the fixture.
    # Weights loaded from safetensors live in memory-mapped storage, and torch's CPU kernels may
    # take another summation path for them (measured: ≈6e-7 max-abs on the transformer output).
    # Copying every weight into fresh, allocator-aligned storage makes the comparison exact.
    reloaded = DiffusionPipeline.from_pretrained(str(folder))
    for name in ("text_encoder", "vae", "transformer"):
        for tensor in list(getattr(reloaded, name).parameters()) + list(getattr(reloaded, name).buffers()):
            tensor.data = tensor.data.clone()
    again = run_pipeline(reloaded, latents=explicit_latents)
    assert np.array_equal(again["video"], runs["unipc_latents"]["video"]), "reloaded pipeline differs"

    unipc_config = plain_config(pipeline.scheduler.config)
    pipeline.scheduler = FlowMatchEulerDiscreteScheduler(**FLOWMATCH_CONFIG)
    runs["flowmatch_latents"] = run_pipeline(pipeline, latents=explicit_latents)
    flowmatch_config = plain_config(pipeline.scheduler.config)
    (out / "pipeline_flowmatch_scheduler").mkdir(parents=True, exist_ok=True)
    pipeline.scheduler.save_pretrained(out / "pipeline_flowmatch_scheduler")

    for run_name, tensors in runs.items():
        scheduler_name = "FlowMatchEulerDiscreteScheduler" if run_name.startswith("flowmatch") else "UniPCMultistepScheduler"
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
                "pipeline_folder": "Tests/Fixtures/wan/pipeline",
                "call": call,
                "scheduler": scheduler_name,
                "scheduler_config": flowmatch_config if scheduler_name.startswith("FlowMatch") else unipc_config,
            },
            f"WanPipeline end to end with {scheduler_name} ({run_name}): per-step latents and noise predictions, video",
        )


@torch.no_grad()
def write_prompt_fixture(pipeline: WanPipeline, out: Path) -> None:
    """Token ids, the raw UMT5 output and the zero-padded embeddings the pipeline hands the transformer."""
    length = PIPELINE_CALL["max_sequence_length"]
    tensors = {}
    for name, text in [("prompt", PROMPT), ("negative_prompt", NEGATIVE_PROMPT)]:
        tokens = pipeline.tokenizer(
            text, padding="max_length", max_length=length, truncation=True, add_special_tokens=True,
            return_attention_mask=True, return_tensors="pt",
        )
        raw = pipeline.text_encoder(tokens.input_ids, tokens.attention_mask).last_hidden_state
        embeds = pipeline._get_t5_prompt_embeds(prompt=text, max_sequence_length=length, device=torch.device("cpu"))
        tensors[f"{name}.input_ids"] = tokens.input_ids  # [1, 16]
        tensors[f"{name}.attention_mask"] = tokens.attention_mask  # [1, 16]
        tensors[f"{name}.last_hidden_state"] = raw  # [1, 16, 32], padded rows are not zero
        tensors[f"{name}.embeds"] = embeds  # [1, 16, 32], rows ≥ number of real tokens set to 0
    save_fixture(
        out / "pipeline_prompt.safetensors",
        tensors,
        SCRIPT,
        {"prompt": PROMPT, "negative_prompt": NEGATIVE_PROMPT, "max_sequence_length": length,
         "text_encoder": pipeline.text_encoder.config.to_diff_dict()},
        "WanPipeline prompt encoding: token ids, mask, UMT5 last_hidden_state, zero-padded prompt embeddings",
    )


@torch.no_grad()
def run_pipeline(pipeline: WanPipeline, latents: torch.Tensor | None = None, generator_seed: int | None = None) -> dict:
    """Runs the fixed call, recording what goes in and out of every transformer call and scheduler step."""
    calls = []

    def on_transformer(_module, _args, kwargs, output):
        calls.append({
            "hidden_states": kwargs["hidden_states"].clone(),
            "timestep": kwargs["timestep"].clone(),
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
        tensors["latents"] = latents  # [1, 16, 3, 2, 4], exactly what the pipeline takes
    tensors["timesteps"] = pipeline.scheduler.timesteps
    tensors["sigmas"] = pipeline.scheduler.sigmas
    for i in range(steps):
        cond, uncond = calls[2 * i], calls[2 * i + 1]  # WanPipeline calls cond first, then uncond
        tensors[f"step{i}.latents_in"] = cond["hidden_states"]
        tensors[f"step{i}.timestep"] = cond["timestep"]  # [1], the dtype the transformer receives
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
    out = args.out.resolve() / "wan"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    setup_determinism()
    write_vae(out)
    write_transformer(out)
    write_text_encoder(out)
    write_pipeline(out)
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"wan fixtures: {out} ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
