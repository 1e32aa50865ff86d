"""Diagnostic: the ceiling the VAE sets. Renders 64×64, 17-frame clips of each motion (never the
held-out combinations' seeds: a fixed rng of its own), encodes them to the latent mean, decodes,
and scores the reconstructions with tools/eval/score.py as if the DiT had drawn them. A DiT
can do no better than this on colour, shape and motion.

  .venv/bin/python tools/train/vae_probe.py [--vae runs/vae.pt] [--clips 16]
  .venv/bin/python tools/train/vae_probe.py --twin      # tiny-shapes-unet's 2-D AutoencoderKL
"""
from __future__ import annotations

import argparse
import os
import random
import sys
from collections import Counter

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "eval"))
import score as scorer  # noqa: E402
import shapes_world as world  # noqa: E402
import train as T  # noqa: E402


def reconstruct(vae, x: torch.Tensor, frame_by_frame: bool) -> torch.Tensor:
    """decode(encode(x).mean) of clips x [N, 3, F, H, W]; a 2-D VAE sees each frame alone."""
    if not frame_by_frame:
        return vae.decode(vae.encode(x).latent_dist.mean).sample
    y = vae.decode(vae.encode(T.clips_to_frames(x)).latent_dist.mean).sample  # [N·F, 3, H, W]
    return T.frames_to_clips(y, x.shape[2])


@torch.no_grad()
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vae", default=None, help="a runs/ checkpoint (default: the recipe's vae.pt), or a diffusers model folder")
    ap.add_argument("--recipe", choices=sorted(T.RECIPES), default="v2", help="the recipe a runs/ checkpoint was trained with")
    ap.add_argument("--clips", type=int, default=16, help="clips per motion")
    ap.add_argument("--twin", action="store_true",
                    help="probe tiny-shapes-unet's AutoencoderKL (train_unet.py's runs/unet/vae.pt, else the kept one), frame by frame")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--sheet", help="write a PNG of the misread clips here: per clip, frames 0, 4, 8, 12, 16 "
                                    "rendered (top) and reconstructed (bottom)")
    args = ap.parse_args()
    T.use_recipe(args.recipe)
    args.vae = args.vae or T.path("vae.pt")
    torch.set_num_threads(args.threads)
    if args.twin:
        import train_unet
        vae = train_unet.load_vae()
    elif os.path.isdir(args.vae):
        from diffusers import AutoencoderKLWan
        vae = AutoencoderKLWan.from_pretrained(os.path.join(args.vae, "vae"), torch_dtype=torch.float32).eval()
    else:
        vae = T.load_vae(checkpoint=args.vae)
    rng = random.Random(3)
    totals: Counter = Counter()
    n = 0
    misread = []
    for motion in world.MOTIONS:
        specs = []
        while len(specs) < args.clips:
            spec = world.sample_spec(rng)
            if spec.motion == motion:
                specs.append(spec)
        clips = np.stack([world.render(s, rng, frames=T.FRAMES, size=T.SIZE) for s in specs])  # [N, F, H, W, 3]
        x = torch.from_numpy(clips).permute(0, 4, 1, 2, 3) * 2 - 1
        y = reconstruct(vae, x, frame_by_frame=args.twin).clamp(-1, 1)
        rec = ((y + 1) / 2).permute(0, 2, 3, 4, 1).numpy()
        right: Counter = Counter()
        for spec, clip, original in zip(specs, rec, clips):
            verdict = scorer.score(clip, spec)
            right.update({k: int(v) for k, v in verdict.items()})
            if not all(verdict.values()):
                misread.append(np.concatenate([np.concatenate([original[f], clip[f]], 0) for f in (0, 4, 8, 12, 16)], 1))
        totals.update(right)
        n += len(specs)
        print(f"{motion:9s} mse {((rec - clips) ** 2).mean():.5f}  "
              + "  ".join(f"{k} {right[k]}/{len(specs)}" for k in ("colour", "background", "shape", "motion")),
              flush=True)
    if args.sheet and misread:
        from PIL import Image
        sheet = (np.concatenate(misread[:16], 0) * 255).round().astype(np.uint8)
        Image.fromarray(sheet).resize((sheet.shape[1] * 2, sheet.shape[0] * 2), Image.NEAREST).save(args.sheet)
    print("all      ", "  ".join(f"{k} {totals[k] / n:.1%}" for k in ("colour", "background", "shape", "motion")))


if __name__ == "__main__":
    main()
