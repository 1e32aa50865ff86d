"""Diagnostic for the bundled model's slow motion learning: the same WanTransformer3DModel and
UMT5 text encoder, trained by train.py's loop (compact text context, shift-3 σ with a uniform
share, batch 32, AdamW 4e-4), but on pixel-space clips with no VAE — 5 frames of 16×16, the
shape of the latents a 4×/4× VAE gives for 17 frames of 64×64, as in TRAINING-NOTES.md.

If motion is learned here much faster than in latent space, the VAE latents are the obstacle;
if not, the training loop is. Checkpoints to runs/pixel/ and resumes; every --eval-every steps
it samples held-out prompts (FlowMatch Euler, shift 3, 20 steps, guidance 5) and scores them
with tools/eval/score.py.

  .venv/bin/python tools/train/pixel_probe.py --minutes 30 --eval-every 500
  .venv/bin/python tools/train/pixel_probe.py --run pixel-ln --sigma logit-normal  # an ablation
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import Counter, defaultdict

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "eval"))
import score as scorer  # noqa: E402
import shapes_world as world  # noqa: E402
import train  # noqa: E402

FRAMES, SIZE = 5, 16
SIGMAS = {
    "shifted": train.sample_sigmas,  # train.py's: shift-3 logit-normal plus a 25% uniform share
    "logit-normal": lambda n: torch.sigmoid(torch.randn(n)),  # TRAINING-NOTES' probe
}


def clips(rng: random.Random, n: int, exclude) -> tuple[torch.Tensor, list]:
    """n clips [n, 3, 5, 16, 16] in [-1, 1]: drawn at 64×64 over 5 frames, pooled 4×."""
    specs, out = [], []
    for _ in range(n):
        spec = world.sample_spec(rng, exclude)
        clip = torch.from_numpy(world.render(spec, rng, frames=FRAMES, size=64, supersample=1))
        out.append(F.avg_pool2d(clip.permute(0, 3, 1, 2), 4).permute(1, 0, 2, 3))  # [3, 5, 16, 16]
        specs.append(spec)
    return torch.stack(out) * 2 - 1, specs


@torch.no_grad()
def evaluate(tok, te, dit, processor, seeds: int = 2, prompts: int = 30, shift: float = 3.0,
             guidance: float = 5.0) -> tuple[dict, dict]:
    """Held-out accuracy per attribute, and for each asked motion the motions the scorer saw."""
    from diffusers import FlowMatchEulerDiscreteScheduler
    specs = [world.Spec(*c) for c in sorted(world.held_out_combos())[:prompts]]
    cases = [(s, seed) for s in specs for seed in range(seeds)]
    caps = [world.canonical_caption(s) for s, _ in cases]
    n = len(cases)
    ctx, bias = train.encode_text_compact(tok, te, caps + [""] * n)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(n, 3, FRAMES, SIZE, SIZE, generator=gen)
    sched = FlowMatchEulerDiscreteScheduler(shift=shift)
    sched.set_timesteps(20)
    te.eval(); dit.eval()
    for t in sched.timesteps:
        processor.bias = bias
        v = dit(torch.cat([x, x]), t.expand(2 * n), ctx, return_dict=False)[0]
        v = v[n:] + guidance * (v[:n] - v[n:])
        x = sched.step(v, t, x).prev_sample
    te.train(); dit.train()
    totals: Counter = Counter()
    seen: dict[str, Counter] = defaultdict(Counter)
    for i, (spec, _) in enumerate(cases):
        clip = ((x[i].clamp(-1, 1) + 1) / 2).permute(1, 2, 3, 0)  # [5, 16, 16, 3]
        clip = np.asarray(clip.repeat_interleave(4, 1).repeat_interleave(4, 2).numpy())  # 64×64 for the scorer
        analysis = scorer.analyse(clip)
        totals.update(k for k, ok in scorer.judge(analysis, spec).items() if ok)
        seen[spec.motion][analysis["motion"]] += 1
    accuracy = {k: round(totals[k] / n, 3) for k in ("colour", "background", "shape", "motion")}
    return accuracy | {"clips": n}, {m: dict(c) for m, c in seen.items()}


def main() -> None:
    from diffusers import WanTransformer3DModel
    from transformers import UMT5Config, UMT5EncoderModel
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--steps", type=int, default=9000, help="cosine schedule length")
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--run", default="pixel", help="checkpoint and log folder under runs/")
    ap.add_argument("--sigma", choices=list(SIGMAS), default="shifted", help="training noise levels")
    ap.add_argument("--shift", type=float, default=3.0, help="sampling flow shift")
    ap.add_argument("--guidance", type=float, default=5.0, help="sampling guidance")
    args = ap.parse_args()
    out = os.path.join(train.RUNS, args.run)
    torch.set_num_threads(2)
    os.makedirs(out, exist_ok=True)
    tok = train.load_tokenizer()
    torch.manual_seed(1)
    te = UMT5EncoderModel(UMT5Config(vocab_size=len(tok), **train.TEXT_CONFIG))
    dit = WanTransformer3DModel(**(train.DIT_CONFIG | dict(in_channels=3, out_channels=3)))
    params = list(te.parameters()) + list(dit.parameters())
    opt = torch.optim.AdamW(params, lr=4e-4, weight_decay=0.01)
    ck = os.path.join(out, "dit.pt")
    step, rng = 0, random.Random(31)
    if os.path.exists(ck):
        state = torch.load(ck, weights_only=False)
        te.load_state_dict(state["te"]); dit.load_state_dict(state["dit"]); opt.load_state_dict(state["opt"])
        step, rng = state["step"], state["rng"]
    processor = train.use_compact_context(dit)
    held = world.held_out_combos()
    log = open(os.path.join(out, "log.txt"), "a")
    t_end = time.time() + args.minutes * 60
    te.train(); dit.train()
    B = 32
    while step < args.steps and time.time() < t_end and not train.stop_requested:
        t0 = time.time()
        x0, specs = clips(rng, B, held)
        caps = [world.caption(s, rng) if rng.random() > 0.1 else "" for s in specs]
        loss = train.flow_matching_step(tok, te, dit, processor, opt, params, x0, caps, step, args.steps,
                                         SIGMAS[args.sigma])
        step += 1
        if step % 50 == 0:
            print(f"pixel step {step} loss {loss.item():.4f} ({time.time() - t0:.2f}s/step)", flush=True)
        if step % args.eval_every == 0:
            torch.save(dict(te=te.state_dict(), dit=dit.state_dict(), opt=opt.state_dict(), step=step, rng=rng), ck)
            report, motions = evaluate(tok, te, dit, processor, shift=args.shift, guidance=args.guidance)
            line = f"step {step}: held-out {report} motions {motions}"
            print(line, flush=True)
            log.write(line + "\n"); log.flush()
    torch.save(dict(te=te.state_dict(), dit=dit.state_dict(), opt=opt.state_dict(), step=step, rng=rng), ck)
    print("pixel probe stopped at step", step)


if __name__ == "__main__":
    import signal
    signal.signal(signal.SIGTERM, train._on_signal)
    signal.signal(signal.SIGINT, train._on_signal)
    main()
