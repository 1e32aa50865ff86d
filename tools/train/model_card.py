"""Writes MODEL_CARD.md (and loss_curves.png) for the exported tiny-shapes model from the
training history (tools/train/history, merged with runs/ logs), the exported folder and the evaluation report.

  python tools/train/model_card.py --model Sources/BundledModels/Resources/tiny-shapes --eval runs/eval.json
"""
from __future__ import annotations

import argparse
import json
import math
import os

from PIL import Image, ImageDraw

import loss_history

HERE = os.path.dirname(os.path.abspath(__file__))
# train.py's runs of the v1 recipe (the shipped model; this card's narrative is v1's)
RUNS = os.path.join(os.environ.get("ZOETROPE_TRAIN_RUNS", os.path.join(
    os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "zoetrope-train")), "v1")


HISTORY = os.path.join(HERE, "history")  # in git: the logs outlive the machine that trained
EVERY = loss_history.EVERY  # history rows are means over this many steps


def read_log(name: str) -> list[dict]:
    """The stage's history: tools/train/history/<name>.csv (in git) merged with the compacted
    rows of runs/<name>_log.csv (this machine's), which win where both cover a step and are
    written back to the history (`loss_history.merge`)."""
    return loss_history.merge(os.path.join(RUNS, f"{name}_log.csv"), os.path.join(HISTORY, f"{name}.csv"))


# What the logs of the first machine recorded; those logs were lost with it (runs/ is not in git),
# and the history above starts after them. Their curves: loss_curves_to_11696.png.
FIRST_VAE = dict(steps=4300, minutes=53)
FIRST_DIT = dict(steps=11696, minutes=187)
FIRST_FRAME_GAIN_FROM = 16545  # the last step trained without `--first-frame-gain`


BAR = {"colour": 0.9, "background": 0.9, "motion": 0.8}


def status_line(report: dict | None) -> list[str]:
    if not report or "held_out" not in report:
        return ["Status: not evaluated yet (`tools/eval/evaluate.py`).", ""]
    r = report["held_out"]
    misses = [f"{k} {r[k]:.0%} < {v:.0%}" for k, v in BAR.items() if r[k] < v]
    bar = "≥ 90% colour and background, ≥ 80% motion on held-out combinations"
    if not misses:
        return [f"Status: meets the bar the project set ({bar}).", ""]
    return [f"Status: below the bar the project set ({bar}): {', '.join(misses)}.",
            "Training goes on from the shipped weights: `train.py adopt --adopt-step N` (N: the last step "
            "above), `train.py latents --pool 8192`, then `train.py dit --dit-steps 30000 --object-gain 9 --first-frame-gain 2`.", ""]


def smooth(values: list[float], window: int) -> list[float]:
    out, acc = [], 0.0
    for i, v in enumerate(values):
        acc += v
        if i >= window:
            acc -= values[i - window]
        out.append(acc / min(i + 1, window))
    return out


def plot(curves: list[tuple[str, list[float]]], out: str) -> None:
    w, h, pad = 640, 240, 30
    img = Image.new("RGB", (w, h * len(curves)), (255, 255, 255))
    d = ImageDraw.Draw(img)
    for k, (title, ys) in enumerate(curves):
        top = k * h
        if not ys:
            continue
        ys = smooth(ys, max(1, len(ys) // 100))
        lo, hi = min(ys), max(ys)
        d.rectangle([pad, top + pad, w - pad, top + h - pad], outline=(180, 180, 180))
        pts = [(pad + (w - 2 * pad) * i / max(1, len(ys) - 1),
                top + h - pad - (h - 2 * pad) * (y - lo) / max(1e-9, hi - lo)) for i, y in enumerate(ys)]
        d.line(pts, fill=(30, 90, 200), width=2)
        d.text((pad, top + 8), f"{title}: {len(ys)} steps, smoothed; {hi:.3f} -> {ys[-1]:.3f}", fill=(0, 0, 0))
    img.save(out)


def param_count(folder: str) -> dict[str, int]:
    from safetensors import safe_open
    counts = {}
    for comp in ["vae", "transformer", "text_encoder"]:
        total = 0
        for name in os.listdir(os.path.join(folder, comp)):
            if name.endswith(".safetensors"):
                with safe_open(os.path.join(folder, comp, name), "np") as f:
                    for key in f.keys():
                        total += math.prod(f.get_slice(key).get_shape())
        counts[comp] = total
    return counts


def folder_bytes(folder: str) -> int:
    return sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(folder) for f in fs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--eval", help="the JSON report of tools/eval/evaluate.py")
    ap.add_argument("--timing", default="", help="the measured end-to-end time, e.g. 'median 1.94 s over 5 runs'")
    args = ap.parse_args()
    dit_log = read_log("dit")
    dit_log = [r for r in dit_log if int(r["step"]) > FIRST_DIT["steps"]]
    last_step = max([FIRST_DIT["steps"]] + [int(r["step"]) for r in dit_log])
    dec_log = read_log("decoder")
    dec_steps = max([0] + [int(r["step"]) for r in dec_log])
    dec_sec = sum(float(r["sec"]) for r in dec_log)
    curves = [(f"DiT flow-matching loss, object-weighted, per {EVERY} steps from step {FIRST_DIT['steps']}",
               [float(r["loss"]) for r in dit_log])]
    if dec_log:
        curves.append((f"VAE decoder fine-tuning at 64×64, L1 + MSE, per {EVERY} steps",
                       [float(r["loss"]) for r in dec_log]))
    plot(curves, os.path.join(args.model, "loss_curves.png"))
    counts = param_count(args.model)
    with open(os.path.join(args.model, "transformer", "config.json")) as f:
        dit = json.load(f)
    with open(os.path.join(args.model, "vae", "config.json")) as f:
        vae = json.load(f)
    with open(os.path.join(args.model, "text_encoder", "config.json")) as f:
        te = json.load(f)
    report = json.load(open(args.eval)) if args.eval and os.path.exists(args.eval) else None
    dit_sec = sum(float(r["sec"]) for r in dit_log)
    lines = [
        "# tiny-shapes",
        "",
        "Zoetrope's bundled text-to-video model: a Wan-family pipeline (`WanPipeline`) trained from scratch",
        "by `tools/train/train.py` on a synthetic world of one coloured shape moving over a plain background.",
        "It exists so that Zoetrope does its job on a fresh machine with no download.",
        "",
        "## Data",
        "",
        "`tools/train/shapes_world.py` draws clips on the fly: 8 object colours, 10 backgrounds, 3 shapes",
        "(circle / ball, square / box, triangle), 8 motions (left, right, up, down, bouncing, growing,",
        "shrinking, still), small or large; captions in five phrasings with synonyms. 60 colour × shape ×",
        "motion × background combinations are held out of training and used only for evaluation.",
        "",
        "## Architecture",
        "",
        f"| component | class | configuration | parameters |",
        f"|---|---|---|---|",
        f"| VAE | `AutoencoderKLWan` (3D causal) | base {vae['base_dim']}, z {vae['z_dim']}, dim_mult {vae['dim_mult']}, "
        f"{vae['scale_factor_temporal']}× time / {vae['scale_factor_spatial']}× space | {counts['vae']:,} |",
        f"| denoiser | `WanTransformer3DModel` (3D full attention) | {dit['num_layers']} layers, "
        f"{dit['num_attention_heads']}×{dit['attention_head_dim']} heads, FFN {dit['ffn_dim']}, patch {dit['patch_size']} | "
        f"{counts['transformer']:,} |",
        f"| text encoder | `UMT5EncoderModel` + sentencepiece Unigram (nmt_nfkc) | {te['num_layers']} layers, "
        f"d_model {te['d_model']}, vocab {te['vocab_size']} | {counts['text_encoder']:,} |",
        "",
        f"Sampler: `UniPCMultistepScheduler` in flow mode (shift 3). Default output: 64×64, 17 frames, 8 fps.",
        f"Weights: transformer and text encoder in fp16, VAE in fp32; {folder_bytes(args.model) / 1e6:.1f} MB in all.",
        "",
        "## Training",
        "",
        f"- VAE: {FIRST_VAE['steps']} steps of AdamW, L1 + MSE + 1e-4·KL, on 32×32 crops: 5-frame clips (batch 8) to "
        "step 2564, 9-frame to 3251, then all 17 frames (batch 6) — shorter clips left the later latent frames "
        f"untrained; {FIRST_VAE['minutes']} minutes of step time.",
        *([f"- VAE decoder (and post_quant_conv) fine-tuned {dec_steps} steps at the full 64×64, 17 frames "
           "(batch 4, AdamW 3e-4, cosine), on the frozen encoder's latent means, with about half the clips "
           "bouncing (`train.py decoder`): trained on 32×32, the VAE reconstructed fast motion at 64×64 poorly "
           "(bouncing MSE 5× the other motions'), and the latents, hence the DiT, stay as they were; "
           f"{dec_sec / 60:.0f} minutes of step time."] if dec_log else []),
        f"- Denoiser and text encoder jointly, {last_step} steps of flow matching in all (batch 32, AdamW 4e-4 "
        "with warm-up and cosine decay, 10% empty captions for guidance):",
        f"  - steps 1–{FIRST_DIT['steps']}: decay over 4300 steps, then a warm restart from step 4300 decaying "
        "over 12500, on 4096 pre-encoded 17-frame 64×64 clips; σ logit-normal to step 2110, then shifted like "
        "the sampler (shift 3) with a 25% uniform share, because the sampler starts at σ = 1, where plain "
        f"logit-normal training never goes; {FIRST_DIT['minutes']} minutes of step time "
        "(curves: [loss_curves_to_11696.png](loss_curves_to_11696.png)). This model drew the right colours and "
        "backgrounds but ignored motion words.",
        f"  - steps {FIRST_DIT['steps'] + 1}–{last_step}: a warm restart decaying over 30000 steps, on 8192 "
        "clips, with the loss weighted 10× on the object's positions (`--object-gain 9`): the object mask, "
        "widened by one latent pixel, covers about 15% of the latent positions, and with a plain loss the "
        "motion words went unread (the same loss for the right, the opposite and a 'still' caption). "
        "Continued from the shipped weights (`train.py adopt`); "
        f"{dit_sec / 60:.0f} minutes of step time.",
        *([f"  - from step {FIRST_FRAME_GAIN_FROM + 1}: latent frame 0 weighted 3× (`--first-frame-gain 2`). "
           "It is the causal VAE's one-frame group, whose decoder turns a latent error into about 8× the pixel "
           "error of the other groups; with equal weights the first frame came out blotchy, often on the wrong "
           "background, and its oversized blob made the motion scorer see 'shrinking'."]
          if last_step > FIRST_FRAME_GAIN_FROM else []),
        "- Machine: 2 CPU cores, PyTorch (versions pinned in tools/train/requirements.txt).",
        "",
        "![loss curves](loss_curves.png)",
        "",
        "## Evaluation",
        "",
    ] + status_line(report)
    if report:
        lines += [
            f"`tools/eval/evaluate.py` ({report['engine']} engine, {report['seeds']} seeds per prompt, default settings),",
            "scoring from the frames alone (object colour, background colour, coarse shape, motion from the",
            "centroid track):",
            "",
            "| prompts | clips | colour | background | shape | motion |",
            "|---|---|---|---|---|---|",
        ]
        for group in ["held_out", "seen"]:
            if group in report:
                r = report[group]
                lines.append(f"| {group.replace('_', '-')} | {r['clips']} | {r['colour']:.1%} | {r['background']:.1%} | "
                             f"{r['shape']:.1%} | {r['motion']:.1%} |")
        lines.append("")
        seen = report["held_out"].get("motion_seen")
        if seen:
            lines += ["Held-out clips by asked motion: right / asked, and what the scorer saw when wrong:", "",
                      "| asked | right | seen instead |", "|---|---|---|"]
            for motion, counts in seen.items():
                wrong = ", ".join(f"{m} {n}" for m, n in sorted(counts.items(), key=lambda kv: -kv[1]) if m != motion)
                lines.append(f"| {motion} | {counts.get(motion, 0)} / {sum(counts.values())} | {wrong or '—'} |")
            lines.append("")
    if args.timing:
        lines += ["End to end at the default settings (17 frames of 64×64, 20 UniPC steps, guidance 5; process start, "
                  "model load, text encoding, all steps, decode, PNG/APNG/GIF writing), Swift release build on this "
                  f"2-core machine: {args.timing} (`tools/bench/end_to_end.sh 5`).", ""]
    lines += [
        "Eight prompts, seed 1, every 4th frame (Swift engine):",
        "",
        "![contact sheet](contact_sheet.png)",
        "",
        "## Limits",
        "",
        "It knows only its world: one object, the listed colours, shapes and motions, plain backgrounds.",
        "Anything else gives a plausible-looking shape clip, not what was asked.",
        "",
    ]
    with open(os.path.join(args.model, "MODEL_CARD.md"), "w") as f:
        f.write("\n".join(lines))
    print("wrote", os.path.join(args.model, "MODEL_CARD.md"))


if __name__ == "__main__":
    main()
