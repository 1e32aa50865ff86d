"""Diagnostic: how the error of each latent frame reaches the pixels.

The causal VAE (AutoencoderKLWan, 4x temporal compression) gives 17 frames 5 latent frames: frame
0 is the first pixel frame alone, frames 1-4 hold four pixel frames each. This probe measures two
things on clips of the pre-encoded pool (runs/latents.pt):

1. decoder sensitivity: Gaussian noise (0.3 in normalised latent units) on one latent frame at a
   time, and the mean square change it makes in every decoded pixel frame;
2. the DiT checkpoint's flow-matching error per latent frame at a few σ (all positions, and the
   object's positions as `foreground_weights` finds them).

If (1) shows frame 0 much louder than the others while (2) shows its error no smaller, the loss
under-weights frame 0: `train.py dit --first-frame-gain G` raises it.

  .venv/bin/python tools/train/frame_probe.py [--clips 16]
"""
from __future__ import annotations

import argparse
import os
import random
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import train as T  # noqa: E402


@torch.no_grad()
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=16)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    lat = torch.load(T.path("latents.pt"), weights_only=False)
    mean = torch.tensor(lat["mean"]).view(1, -1, 1, 1, 1)
    std = torch.tensor(lat["std"]).view(1, -1, 1, 1, 1)
    idx = random.Random(7).sample(range(len(lat["z"])), args.clips)
    zs = (torch.stack([lat["z"][i].float() for i in idx]) - mean) / std  # [N, C, 5, 16, 16]
    specs = [lat["specs"][i] for i in idx]
    print("latent std per frame", [round(v, 3) for v in zs.std(dim=(0, 1, 3, 4)).tolist()])

    torch.manual_seed(0)
    vae = T.load_vae()
    base = vae.decode(zs * std + mean).sample  # [N, 3, 17, 64, 64]
    print("decoder: mean square pixel change per pixel frame, from noise on one latent frame")
    for k in range(zs.shape[2]):
        z = zs.clone()
        z[:, :, k] += 0.3 * torch.randn_like(z[:, :, k])
        change = ((vae.decode(z * std + mean).sample - base) ** 2).mean(dim=(0, 1, 3, 4))
        print(f"  latent frame {k}: sum {change.sum():.4f}  per frame {[round(v, 4) for v in change.tolist()]}")

    if not os.path.exists(T.path("dit.pt")):
        return
    tok = T.load_tokenizer()
    te, dit, step = T.load_dit(tok)
    processor = T.use_compact_context(dit)
    obj = (T.foreground_weights(zs, specs, mean, std, 1.0) > 1).float()  # [N, 1, F, H, W]
    print(f"DiT step {step}: flow-matching error per latent frame (all positions | object)")
    ctx, processor.bias = T.encode_text_compact(tok, te, [T.world.canonical_caption(s) for s in specs])
    for sigma in (0.3, 0.6, 0.9, 1.0):
        noise = torch.randn_like(zs)
        xt = (1 - sigma) * zs + sigma * noise
        pred = dit(xt, torch.full((len(zs),), sigma * 1000.0), ctx, return_dict=False)[0]
        err = ((pred - (noise - zs)) ** 2).mean(1, keepdim=True)
        every = err.mean(dim=(0, 1, 3, 4))
        on_obj = (err * obj).sum(dim=(0, 1, 3, 4)) / obj.sum(dim=(0, 1, 3, 4)).clamp(min=1)
        print(f"  σ {sigma}: {[round(v, 3) for v in every.tolist()]} | {[round(v, 3) for v in on_obj.tolist()]}")


if __name__ == "__main__":
    main()
