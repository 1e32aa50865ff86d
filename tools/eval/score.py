"""Scores a generated clip against the prompt's attributes, from the frames alone.

Used by tools/eval/evaluate.py (Swift engine output) and by the training script's
periodic evaluation (diffusers output). A clip is [F, H, W, 3] float in [0, 1].
"""
from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "train"))
import shapes_world as world  # noqa: E402


def analyse(clip: np.ndarray) -> dict:
    F, H, W, _ = clip.shape
    border = np.concatenate([clip[:, 0], clip[:, -1], clip[:, :, 0], clip[:, :, -1]], axis=1).reshape(-1, 3)
    bg_rgb = np.median(border, axis=0)
    background = world.nearest_colour(bg_rgb, world.BACKGROUNDS)
    dist = np.sqrt(((clip - bg_rgb[None, None, None]) ** 2).sum(-1))  # [F, H, W]
    masks = dist > 0.25
    ys, xs = np.mgrid[0:H, 0:W]
    cx, cy, area, fill = [], [], [], []
    for f in range(F):
        m = masks[f]
        a = m.sum()
        area.append(float(a))
        if a < 4:
            cx.append(np.nan)
            cy.append(np.nan)
            continue
        cx.append(float(xs[m].mean()))
        cy.append(float(ys[m].mean()))
        y0, y1, x0, x1 = ys[m].min(), ys[m].max(), xs[m].min(), xs[m].max()
        if y0 > 0 and x0 > 0 and y1 < H - 1 and x1 < W - 1 and a >= 20:
            fill.append(a / float((y1 - y0 + 1) * (x1 - x0 + 1)))
    pixels = clip[masks]
    colour = world.nearest_colour(np.median(pixels, axis=0), world.COLOURS) if len(pixels) >= 4 else None
    fr = float(np.median(fill)) if fill else 0.0
    shape = "square" if fr > 0.88 else ("circle" if fr > 0.64 else "triangle")
    cx, cy, area = np.array(cx), np.array(cy), np.array(area)
    valid = ~np.isnan(cx)
    motion = "still"
    if valid.sum() >= 3:
        idx = np.where(valid)[0]
        first, last = idx[: max(1, len(idx) // 4)], idx[-max(1, len(idx) // 4):]
        dx = np.nanmean(cx[last]) - np.nanmean(cx[first])
        dy = np.nanmean(cy[last]) - np.nanmean(cy[first])
        a0, a1 = area[first].mean(), area[last].mean()
        ratio = (a1 + 1) / (a0 + 1)
        yrange = np.nanmax(cy) - np.nanmin(cy)
        if ratio > 1.8:
            motion = "growing"
        elif ratio < 0.55:
            motion = "shrinking"
        elif yrange > 8 and abs(dy) < 0.5 * yrange and abs(dx) < 10:
            motion = "bouncing"
        elif max(abs(dx), abs(dy)) > 10:
            motion = ("right" if dx > 0 else "left") if abs(dx) > abs(dy) else ("down" if dy > 0 else "up")
        elif yrange > 8:
            motion = "bouncing"
    return {"background": background, "colour": colour, "shape": shape, "motion": motion, "fill": fr}


def score(clip: np.ndarray, spec: world.Spec) -> dict[str, bool]:
    return judge(analyse(clip), spec)


def judge(a: dict, spec: world.Spec) -> dict[str, bool]:
    """Whether an `analyse` result matches each of the prompt's attributes."""
    return {
        "colour": a["colour"] == spec.colour,
        "background": a["background"] == spec.background,
        "shape": a["shape"] == spec.shape,
        "motion": a["motion"] == spec.motion,
    }


if __name__ == "__main__":
    # Self-test: the scorer must be (nearly) perfect on the world's own renders.
    import random
    rng = random.Random(1)
    totals: dict[str, int] = {}
    n = 400
    for _ in range(n):
        spec = world.sample_spec(rng)
        s = score(world.render(spec, rng), spec)
        for k, v in s.items():
            totals[k] = totals.get(k, 0) + int(v)
    print({k: v / n for k, v in totals.items()})
