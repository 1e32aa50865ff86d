"""Writes the CLIP text-encoder fixtures under Tests/Fixtures/clip/ from tiny random-weight models.

Matches transformers 5.24.0 `CLIPTextModel` with torch 2.15.0 on the CPU, single-threaded.
Two configs differ only in the MLP activation: `quick_gelu` (CLIP-L, AnimateDiff) and exact
`gelu` (OpenCLIP-H, ModelScope). Only `last_hidden_state` (after the final LayerNorm) is
recorded: the video pipelines use it, not the pooled EOS output.

transformers 5 saves the weights without the `text_model.` prefix
(`embeddings.token_embedding.weight`, `encoder.layers.0…`, `final_layer_norm.*`).

Run through tools/reference/generate_all.sh, or alone:
    tools/reference/generate_all.sh   (or: .venv/bin/python tools/reference/clip_fixtures.py --out Tests/Fixtures)
This script owns Tests/Fixtures/clip/ and deletes it before writing it again.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import torch
from transformers import CLIPTextConfig, CLIPTextModel

from fixture_common import FIXTURES_ROOT, perturb_parameters, save_fixture, setup_determinism

SCRIPT = "tools/reference/clip_fixtures.py"
VOCAB = 1000
BOS, EOS, PAD = 998, 999, 1


def clip_config(hidden_act: str) -> dict:
    """Hidden 32 = 4 heads × 8, MLP 64, 2 layers, 77 learned positions."""
    return dict(
        vocab_size=VOCAB,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=77,
        hidden_act=hidden_act,
        layer_norm_eps=1e-5,
        attention_dropout=0.0,
        bos_token_id=BOS,
        eos_token_id=EOS,
        pad_token_id=PAD,
    )


def fixed_ids() -> tuple[torch.Tensor, torch.Tensor]:
    """Two rows of 12 ids: [BOS, 10 words, EOS] and [BOS, 5 words, EOS, PAD × 5] with its mask."""
    words = torch.randint(2, BOS, (2, 10), generator=torch.Generator("cpu").manual_seed(1))
    ids = torch.full((2, 12), PAD, dtype=torch.int64)
    ids[:, 0] = BOS
    ids[0, 1:11] = words[0]
    ids[0, 11] = EOS
    ids[1, 1:6] = words[1, :5]
    ids[1, 6] = EOS
    mask = torch.ones_like(ids)
    mask[1, 7:] = 0
    return ids, mask


@torch.no_grad()
def write_clip(out: Path, folder_name: str, hidden_act: str, seed: int) -> None:
    torch.manual_seed(seed)
    model = CLIPTextModel(CLIPTextConfig(**clip_config(hidden_act))).eval()
    perturb_parameters(model, seed=seed + 1)
    model.save_pretrained(out / folder_name)

    ids, mask = fixed_ids()
    tensors = {
        "short.input_ids": ids,  # [2, 12]
        "short.attention_mask": mask,  # [2, 12]
        # Causal mask always; with the padding mask the padded keys are also hidden.
        "short.last_hidden_state_masked": model(input_ids=ids, attention_mask=mask).last_hidden_state,
        "short.last_hidden_state_unmasked": model(input_ids=ids).last_hidden_state,  # [2, 12, 32]
    }
    # All 77 positions, as the pipelines pad every prompt to 77.
    full = torch.randint(2, BOS, (1, 77), generator=torch.Generator("cpu").manual_seed(2))
    full[0, 0], full[0, 76] = BOS, EOS
    tensors["full.input_ids"] = full
    tensors["full.last_hidden_state"] = model(input_ids=full).last_hidden_state  # [1, 77, 32]

    save_fixture(
        out / f"{folder_name}_cases.safetensors",
        tensors,
        SCRIPT,
        {"model": "CLIPTextModel", "init_seed": seed, **model.config.to_diff_dict()},
        f"CLIPTextModel ({hidden_act}) last_hidden_state with and without a padding mask, and 77 tokens",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=FIXTURES_ROOT, help="the Tests/Fixtures folder")
    args = parser.parse_args()
    out = args.out.resolve() / "clip"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    setup_determinism()
    write_clip(out, "text_encoder", "quick_gelu", seed=700)
    write_clip(out, "text_encoder_gelu", "gelu", seed=800)
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"clip fixtures: {out} ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
