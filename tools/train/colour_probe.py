"""Diagnostic: where an AutoencoderKL encoder loses the objects' colours. Renders single 64x64
frames of one object (training combinations; a fixed rng of its own), runs tiny-shapes-unet's
encoder, and at each stage reads the features at the object's centre (one position at that
stage's resolution). A small MLP is trained on 3/4 of the objects to name the object's colour
(8 classes) and scored on the rest: where the held-out accuracy drops, the colour was lost.

  .venv/bin/python tools/train/colour_probe.py                      # the twin's VAE as train_unet.py loads it
  .venv/bin/python tools/train/colour_probe.py --vae FILE --groups 16   # a vae.pt or kept .safetensors, other GroupNorm groups

It found the twin's 16-group GroupNorm losing colour at the 16x16 and 8x8 downsamplings (97% -> 35%);
see train_unet.py's comment above VAE_CONFIG.
"""
from __future__ import annotations

import argparse
import os
import random
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import shapes_world as world  # noqa: E402
import train_unet as U  # noqa: E402


def load(args):
    from diffusers import AutoencoderKL
    if args.groups is not None:
        U.VAE_CONFIG["norm_num_groups"] = args.groups
    if args.vae is None:
        return U.load_vae()
    vae = AutoencoderKL(**U.VAE_CONFIG)
    if args.vae.endswith(".safetensors"):
        from safetensors.torch import load_file
        vae.load_state_dict(load_file(args.vae))
    else:
        vae.load_state_dict(torch.load(args.vae, weights_only=False)["model"])
    return vae.eval()


def held_out_accuracy(features: np.ndarray, labels: torch.Tensor, classes: int) -> float:
    """An MLP (one hidden layer of 128) fitted to 3/4 of the rows, scored on the rest."""
    x = torch.tensor(features, dtype=torch.float32)
    x = (x - x.mean(0)) / (x.std(0) + 1e-6)
    n = len(x) * 3 // 4
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(x.shape[1], 128), torch.nn.ReLU(), torch.nn.Linear(128, classes))
    opt = torch.optim.Adam(net.parameters(), 3e-3, weight_decay=1e-4)
    for _ in range(1500):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(x[:n]), labels[:n]).backward()
        opt.step()
    with torch.no_grad():
        return (net(x[n:]).argmax(1) == labels[n:]).float().mean().item()


@torch.no_grad()
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vae", help="a train_unet.py vae.pt or a kept vae.safetensors (default: as train_unet.py loads it)")
    ap.add_argument("--groups", type=int, help="GroupNorm groups the checkpoint was trained with (default: VAE_CONFIG's)")
    ap.add_argument("--frames", type=int, default=800)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    vae = load(args)
    rng, held = random.Random(5), world.held_out_combos()
    specs, frames = [], []
    while len(specs) < args.frames:
        spec = world.sample_spec(rng, held)
        clip = world.render(spec, rng, frames=17, size=64)
        specs.append(spec); frames.append(clip[rng.randrange(17)])
    x = torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2) * 2 - 1  # [N, 3, 64, 64]
    enc, acts, order = vae.encoder, {}, ["conv_in"]
    enc.conv_in.register_forward_hook(lambda m, i, o: acts.update(conv_in=o))
    for b, block in enumerate(enc.down_blocks):
        block.resnets[-1].register_forward_hook(lambda m, i, o, b=b: acts.update({f"block {b} resnet": o}))
        block.register_forward_hook(lambda m, i, o, b=b: acts.update({f"block {b} out": o}))
        order += [f"block {b} resnet", f"block {b} out"]
    enc.conv_norm_out.register_forward_hook(lambda m, i, o: acts.update({"before norm_out": i[0], "after norm_out": o}))
    order += ["before norm_out", "after norm_out", "latent mean"]
    acts["latent mean"] = vae.encode(x).latent_dist.mean
    names = list(world.COLOURS)
    rows: dict[str, list] = {k: [] for k in order}
    labels = []
    for i, spec in enumerate(specs):
        colour = np.array(world.COLOURS[spec.colour]) / 255 * 2 - 1
        core = np.abs(x[i].numpy() - colour[:, None, None]).max(0) < 0.02  # the object's own pixels
        if core.sum() < 4:
            continue
        ys, xs = np.nonzero(core)
        for k in order:
            h, w = acts[k].shape[-2:]
            rows[k].append(acts[k][i, :, int(ys.mean() / 64 * h), int(xs.mean() / 64 * w)].numpy())
        labels.append(names.index(spec.colour))
    labels_t = torch.tensor(labels)
    print(f"{len(labels)} objects; held-out accuracy of the object's colour read from the features at its centre")
    with torch.enable_grad():
        for k in order:
            f = np.array(rows[k])
            res = acts[k].shape[-1]
            print(f"  {k:16s} {f.shape[1]:3d} channels at {res:2d}x{res:<2d} {held_out_accuracy(f, labels_t, len(names)):6.1%}",
                  flush=True)


if __name__ == "__main__":
    main()
