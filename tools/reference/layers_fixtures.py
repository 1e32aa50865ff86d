"""Writes the generic-layer fixtures under Tests/Fixtures/layers/ from tiny random-weight diffusers modules.

Matches diffusers 0.42.1 with torch 2.15.0 on the CPU, single-threaded:
  models/attention.py `FeedForward` ("geglu", "gelu", "gelu-approximate", with and without bias)
  models/attention_processor.py `Attention` + `AttnProcessor2_0` (qk_norm None, "rms_norm",
      "layer_norm", elementwise_affine False, cross-attention, out_dim; "rms_norm_across_heads"
      is Wan's and is checked by the wan/transformer fixtures)
  models/attention_processor.py `CogVideoXAttnProcessor2_0` (per-head LayerNorm and
      `get_3d_rotary_pos_embed` rotary on the video tokens after the text tokens)
  models/embeddings.py `TimestepEmbedding`, `PixArtAlphaTextProjection` ("gelu_tanh", "silu")

One file, Tests/Fixtures/layers/layers.safetensors. For every case `<name>`:
  <name>.weights.<state_dict key>   the module's parameters (perturbed away from their init)
  <name>.input                      the input, [B, S, D] (or [B, C] for TimestepEmbedding)
  <name>.context                    cross-attention states [B, L, Dc] (cross cases) or the text
                                    tokens [B, T, D] (CogVideoX case)
  <name>.rotary_cos / .rotary_sin   [S, dh] tables (CogVideoX case)
  <name>.output                     the module's output
The `config` metadata holds every case's constructor arguments.

Run through tools/reference/generate_all.sh (it regenerates every fixture), or alone:
    .venv/bin/python tools/reference/layers_fixtures.py --out Tests/Fixtures
This script owns Tests/Fixtures/layers/ and deletes it before writing it again.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import torch
from diffusers.models.attention import FeedForward
from diffusers.models.attention_processor import Attention, CogVideoXAttnProcessor2_0
from diffusers.models.embeddings import PixArtAlphaTextProjection, TimestepEmbedding, get_3d_rotary_pos_embed

from fixture_common import FIXTURES_ROOT, perturb_parameters, save_fixture, setup_determinism

SCRIPT = "tools/reference/layers_fixtures.py"

FEED_FORWARD_CASES = {
    "ff_geglu": dict(dim=8, mult=2, activation_fn="geglu"),
    "ff_gelu": dict(dim=8, dim_out=6, inner_dim=12, activation_fn="gelu"),
    "ff_gelu_approximate_no_bias": dict(dim=8, inner_dim=12, activation_fn="gelu-approximate", bias=False),
}

ATTENTION_CASES = {
    # SD / UNet3D / AnimateDiff style: no bias on q/k/v, no q/k norm.
    "attn_plain": dict(query_dim=8, heads=2, dim_head=4),
    "attn_rms_norm": dict(query_dim=8, heads=2, dim_head=6, bias=False, qk_norm="rms_norm", eps=1e-6),
    "attn_rms_norm_no_affine": dict(query_dim=8, heads=2, dim_head=4, qk_norm="rms_norm",
                                    elementwise_affine=False, eps=1e-6),
    # "rms_norm_across_heads" is not run here: AttnProcessor2_0 norms after the head split, so
    # only the processors that norm before it (Wan's, LTX's) can run it; Wan's fixtures check it.
    "attn_layer_norm_cross": dict(query_dim=8, cross_attention_dim=5, heads=2, dim_head=4, bias=True,
                                  qk_norm="layer_norm", eps=1e-6),
    "attn_out_dim": dict(query_dim=8, heads=2, dim_head=4, out_dim=12, bias=True, out_bias=False),
}
CROSS_CONTEXT_LENGTH = 3

# CogVideoX 5B's attention at a tiny size: per-head LayerNorm, bias, rotary on the video tokens.
COGVIDEOX_CASE = dict(query_dim=32, heads=2, dim_head=16, bias=True, qk_norm="layer_norm", eps=1e-6,
                      elementwise_affine=True)
COGVIDEOX_TEXT_TOKENS = 2
COGVIDEOX_GRID = (2, 2, 3)   # frames, height, width of the video tokens

TIMESTEP_EMBEDDING_CASE = dict(in_channels=6, time_embed_dim=10, act_fn="silu", out_dim=7)
TEXT_PROJECTION_CASES = {
    "text_projection_gelu_tanh": dict(in_features=5, hidden_size=8, act_fn="gelu_tanh"),
    "text_projection_silu": dict(in_features=5, hidden_size=8, out_features=6, act_fn="silu"),
}


def seeded_normal(shape, seed: int) -> torch.Tensor:
    generator = torch.Generator("cpu").manual_seed(seed)
    return torch.randn(shape, generator=generator, dtype=torch.float32)


def add_module(tensors: dict, name: str, module: torch.nn.Module, seed: int) -> None:
    perturb_parameters(module, seed)
    for key, value in module.state_dict().items():
        tensors[f"{name}.weights.{key}"] = value


@torch.no_grad()
def write_layers(out: Path) -> None:
    tensors: dict[str, torch.Tensor] = {}
    config: dict[str, dict] = {}
    seed = 100
    for name, kwargs in FEED_FORWARD_CASES.items():
        seed += 1
        module = FeedForward(**kwargs).eval()
        add_module(tensors, name, module, seed)
        x = seeded_normal((2, 3, kwargs["dim"]), seed + 1000)
        tensors[f"{name}.input"] = x
        tensors[f"{name}.output"] = module(x)
        config[name] = kwargs

    for name, kwargs in ATTENTION_CASES.items():
        seed += 1
        module = Attention(**kwargs).eval()
        add_module(tensors, name, module, seed)
        x = seeded_normal((2, 5, kwargs["query_dim"]), seed + 1000)
        tensors[f"{name}.input"] = x
        context = None
        if "cross_attention_dim" in kwargs:
            context = seeded_normal((2, CROSS_CONTEXT_LENGTH, kwargs["cross_attention_dim"]), seed + 2000)
            tensors[f"{name}.context"] = context
        tensors[f"{name}.output"] = module(x, encoder_hidden_states=context)
        config[name] = kwargs

    name = "attn_cogvideox_rotary"
    seed += 1
    module = Attention(processor=CogVideoXAttnProcessor2_0(), **COGVIDEOX_CASE).eval()
    add_module(tensors, name, module, seed)
    frames, height, width = COGVIDEOX_GRID
    x = seeded_normal((2, frames * height * width, COGVIDEOX_CASE["query_dim"]), seed + 1000)
    text = seeded_normal((2, COGVIDEOX_TEXT_TOKENS, COGVIDEOX_CASE["query_dim"]), seed + 2000)
    cos, sin = get_3d_rotary_pos_embed(COGVIDEOX_CASE["dim_head"], ((0, 0), (height, width)), (height, width),
                                       frames, use_real=True)
    video_out, text_out = module(x, encoder_hidden_states=text, image_rotary_emb=(cos, sin))
    tensors[f"{name}.input"] = x
    tensors[f"{name}.context"] = text
    tensors[f"{name}.rotary_cos"] = cos
    tensors[f"{name}.rotary_sin"] = sin
    tensors[f"{name}.output"] = torch.cat([text_out, video_out], dim=1)   # the joint sequence, text first
    config[name] = dict(COGVIDEOX_CASE, text_tokens=COGVIDEOX_TEXT_TOKENS, grid=COGVIDEOX_GRID)

    name = "timestep_embedding"
    seed += 1
    module = TimestepEmbedding(**TIMESTEP_EMBEDDING_CASE).eval()
    add_module(tensors, name, module, seed)
    x = seeded_normal((3, TIMESTEP_EMBEDDING_CASE["in_channels"]), seed + 1000)
    tensors[f"{name}.input"] = x
    tensors[f"{name}.output"] = module(x)
    config[name] = TIMESTEP_EMBEDDING_CASE

    for name, kwargs in TEXT_PROJECTION_CASES.items():
        seed += 1
        module = PixArtAlphaTextProjection(**kwargs).eval()
        add_module(tensors, name, module, seed)
        x = seeded_normal((2, 4, kwargs["in_features"]), seed + 1000)
        tensors[f"{name}.input"] = x
        tensors[f"{name}.output"] = module(x)
        config[name] = kwargs

    save_fixture(out / "layers.safetensors", tensors, SCRIPT, config,
                 "diffusers' generic blocks (FeedForward, Attention, TimestepEmbedding, "
                 "PixArtAlphaTextProjection) on tiny random weights")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=FIXTURES_ROOT, help="the Tests/Fixtures folder")
    args = parser.parse_args()
    out = args.out.resolve() / "layers"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    setup_determinism()
    write_layers(out)
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"layers fixtures: {out} ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
