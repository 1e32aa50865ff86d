"""Writes Tests/Fixtures/ops/tensor_ops.json: torch reference values for the TensorCore ops
whose exact torch numerics matter (GELU tanh/erf, SiLU, timestep embedding, Wan and
CogVideoX rotary tables and their application, trilinear / nearest interpolation).

Regenerate (from the repository root):
    tools/reference/generate_all.sh   (or: .venv/bin/python tools/reference/tensor_ops_fixtures.py --out Tests/Fixtures)
"""
import json
import math
import os

import diffusers
import torch
import torch.nn.functional as F
from diffusers.models.embeddings import (
    apply_rotary_emb,
    get_2d_sincos_pos_embed,
    get_3d_rotary_pos_embed,
    get_timestep_embedding,
)
from diffusers.models.transformers.transformer_wan import WanRotaryPosEmbed
from diffusers.pipelines.cogvideo.pipeline_cogvideox import get_resize_crop_region_for_grid

FORMAT_VERSION = 1
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Fixtures", "ops", "tensor_ops.json")


def _out_from_args():
    """`--out FIXTURES_DIR` as generate_all.sh passes it; default: the repository's Tests/Fixtures."""
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    return os.path.join(args.out, "ops", "tensor_ops.json") if args.out else OUT


def entry(t):
    t = t.detach().to(torch.float32).contiguous()
    # %.9g round-trips every float32 value.
    return {"shape": list(t.shape), "data": [float("%.9g" % v) for v in t.flatten().tolist()]}


def wan_apply(hidden_states, freqs_cos, freqs_sin):
    # Body of the apply_rotary_emb closure in transformer_wan.WanAttnProcessor.__call__.
    x1, x2 = hidden_states.unflatten(-1, (-1, 2)).unbind(-1)
    cos = freqs_cos[..., 0::2]
    sin = freqs_sin[..., 1::2]
    out = torch.empty_like(hidden_states)
    out[..., 0::2] = x1 * cos - x2 * sin
    out[..., 1::2] = x1 * sin + x2 * cos
    return out.type_as(hidden_states)


def main():
    out = _out_from_args()
    os.makedirs(os.path.dirname(out), exist_ok=True)
    torch.manual_seed(0)
    cases = {}

    # Activations on a grid covering the interesting range.
    x = torch.linspace(-8, 8, 81, dtype=torch.float32)
    cases["act_input"] = entry(x)
    cases["gelu_tanh"] = entry(F.gelu(x, approximate="tanh"))
    cases["gelu_erf"] = entry(F.gelu(x))
    cases["silu"] = entry(F.silu(x))

    # Timestep embeddings (diffusers Timesteps -> get_timestep_embedding).
    t = torch.tensor([1, 250.5, 999], dtype=torch.float32)
    cases["timesteps"] = entry(t)
    cases["temb_128_flip_shift0"] = entry(get_timestep_embedding(t, 128, flip_sin_to_cos=True, downscale_freq_shift=0))
    cases["temb_33_noflip_shift1_scale2"] = entry(
        get_timestep_embedding(t, 33, flip_sin_to_cos=False, downscale_freq_shift=1, scale=2))

    # 2-D sincos position embedding (PatchEmbed / Latte): grid 3 x 4, base size 2.
    cases["sincos2d_8_3x4_base2"] = entry(get_2d_sincos_pos_embed(8, (3, 4), base_size=2, interpolation_scale=1.0))

    # Wan RoPE: head dim 20 (t,h,w = 8,6,6); latent [1, 4, 2, 6, 4] with patch (1, 2, 2) -> grid 2 x 3 x 2.
    rope = WanRotaryPosEmbed(attention_head_dim=20, patch_size=(1, 2, 2), max_seq_len=1024)
    cos, sin = rope(torch.zeros(1, 4, 2, 6, 4))
    cases["wan_rope_cos_dh20"] = entry(cos.reshape(12, 20))
    cases["wan_rope_sin_dh20"] = entry(sin.reshape(12, 20))
    q = torch.randn(1, 12, 1, 20)  # [B, S, Nh, dh]
    cases["wan_q"] = entry(q)
    cases["wan_q_rotated"] = entry(wan_apply(q, cos, sin))

    # CogVideoX RoPE, linspace grid with fractional positions: grid 3 x 5 in a 4 x 6 base, 1 frame.
    crops = get_resize_crop_region_for_grid((3, 5), 6, 4)
    cases["cog_crops"] = {"shape": [4], "data": [crops[0][0], crops[0][1], crops[1][0], crops[1][1]]}
    cos, sin = get_3d_rotary_pos_embed(embed_dim=16, crops_coords=crops, grid_size=(3, 5), temporal_size=1)
    cases["cog_rope_cos"] = entry(cos)
    cases["cog_rope_sin"] = entry(sin)
    k = torch.randn(1, 1, 2 + 15, 16)  # [B, Nh, text + video tokens, dh]
    k_out = k.clone()
    k_out[:, :, 2:] = apply_rotary_emb(k[:, :, 2:], (cos, sin))
    cases["cog_k"] = entry(k)
    cases["cog_k_rotated"] = entry(k_out)

    # Interpolation.
    v = torch.randn(1, 1, 2, 3, 4)  # [B, C, F, H, W]
    cases["interp_input"] = entry(v)
    cases["trilinear_3_5_7"] = entry(F.interpolate(v, size=(3, 5, 7), mode="trilinear", align_corners=False))
    cases["trilinear_scale_2_1_1"] = entry(F.interpolate(v, scale_factor=(2, 1, 1), mode="trilinear"))
    cases["trilinear_ac_3_2_5"] = entry(F.interpolate(v, size=(3, 2, 5), mode="trilinear", align_corners=True))
    cases["nearest_5_7"] = entry(F.interpolate(v[:, :, 0], size=(5, 7), mode="nearest"))
    cases["nearest_exact_5_7"] = entry(F.interpolate(v[:, :, 0], size=(5, 7), mode="nearest-exact"))

    doc = {
        "format_version": FORMAT_VERSION,
        "generator": "tools/reference/tensor_ops_fixtures.py",
        "torch": torch.__version__,
        "diffusers": diffusers.__version__,
        "cases": cases,
    }
    with open(out, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
    print(f"wrote {os.path.normpath(out)} ({os.path.getsize(out)} bytes)")


if __name__ == "__main__":
    main()
