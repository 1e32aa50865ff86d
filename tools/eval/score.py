"""Scores a generated clip against the prompt's attributes, from the frames alone.

Used by tools/eval/evaluate.py (Swift engine output) and by the training scripts' periodic
evaluation (diffusers output). A clip is [F, H, W, 3] float in [0, 1].

How it reads a clip:
- **background**: the median colour of the border pixels, named by the nearest palette colour.
- **objects**: pixels far from the background (> 0.25 in RGB) whose nearest palette colour is
  close (< 0.35) vote for that colour; each colour with at least a fifth of the top colour's votes
  (and two pixels a frame) is an object. Every foreground pixel then goes to the object whose
  colour, blended with the background, explains it best, and its *coverage* is the blend weight
  (exact on the world's anti-aliased renders: pixel = bg + coverage · (colour − bg)).
- **shape**: in each frame where the object is whole (not cut by the border), the coverage mask
  is compared with a circle, a square and a triangle of the world's geometry, each placed at the
  mask's centroid with the mask's area (a triangle's centroid sits r/6 below its centre) and
  nudged by ±1 pixel and ±15% in size; intersection over union of the soft masks. The shape with
  the best mean IoU over frames wins. Unlike a fill ratio it sees the corners and the point of a
  triangle, and it holds at 64×64 for objects 12 pixels across.
- **motion**: the coverage-weighted centroid track and area: growing / shrinking by the area's
  ratio, bouncing by a vertical swing that comes back, otherwise the larger displacement.
- **flicker**: the mean absolute change of background pixels between consecutive frames (pixels
  at least one pixel away from every object in both frames), in RGB units of [0, 1]. A rendered
  clip has 0; a plain background that shimmers or changes colour does not.

The self-test (`python tools/eval/score.py`) scores the world's own renders, one- and
two-object, sharp and blurred (a Gaussian of 0.7 pixels, about as soft as the VAE's decodes),
with their known answers.
"""
from __future__ import annotations

import functools
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "train"))
import shapes_world as world  # noqa: E402

FOREGROUND = 0.25   # RGB distance from the background that makes a pixel foreground
CORE = 0.35         # RGB distance to a palette colour that makes a pixel vote for it
SHAPE_AREA = {      # area of each shape of "radius" r, in r² (shapes_world.shape_mask)
    "circle": np.pi,
    "square": 1.8 ** 2,
    "triangle": 0.5 * 2.1 * 1.75,
}
SHAPE_CENTROID_DY = {"circle": 0.0, "square": 0.0, "triangle": 1.0 / 6.0}  # centroid below centre, in r
SUPERSAMPLE = 2
MAX_SHAPE_FRAMES = 6


def _palette(names) -> tuple[list[str], np.ndarray]:
    names = list(names)
    return names, np.array([world.COLOURS.get(n, world.BACKGROUNDS.get(n)) for n in names], np.float32) / 255.0


def background_of(clip: np.ndarray) -> tuple[str, np.ndarray]:
    border = np.concatenate([clip[:, 0], clip[:, -1], clip[:, :, 0], clip[:, :, -1]], axis=1).reshape(-1, 3)
    rgb = np.median(border, axis=0)
    return world.nearest_colour(rgb, world.BACKGROUNDS), rgb


def find_objects(clip: np.ndarray, bg_rgb: np.ndarray, background: str) -> list[dict]:
    """The objects' colours, each with its coverage [F, H, W] in [0, 1], largest first."""
    F = clip.shape[0]
    fg = np.sqrt(((clip - bg_rgb) ** 2).sum(-1)) > FOREGROUND  # [F, H, W]
    names, table = _palette(c for c in world.COLOURS if c != background)
    pixels = clip[fg]  # [N, 3]
    if len(pixels) == 0:
        return []
    d = np.sqrt(((pixels[:, None] - table[None]) ** 2).sum(-1))  # [N, K]
    nearest = d.argmin(1)
    core = d[np.arange(len(pixels)), nearest] < CORE
    votes = np.bincount(nearest[core], minlength=len(names))
    if votes.max() == 0:  # no pixel near any palette colour: one object of the median's colour
        chosen = [names.index(world.nearest_colour(np.median(pixels, 0), {n: world.COLOURS[n] for n in names}))]
    else:
        chosen = [k for k in np.argsort(-votes) if votes[k] >= max(0.2 * votes.max(), 2 * F)]
        chosen = chosen or [int(votes.argmax())]
    colours = table[chosen]  # [M, 3]
    # coverage of each object at each pixel: the blend weight along bg -> colour, and how well it fits
    diff = clip[..., None, :] - bg_rgb  # [F, H, W, 1, 3]
    axis = colours - bg_rgb  # [M, 3]
    alpha = np.clip((diff * axis).sum(-1) / (axis ** 2).sum(-1), 0, 1)  # [F, H, W, M]
    residual = ((diff - alpha[..., None] * axis) ** 2).sum(-1)  # [F, H, W, M]
    owner = residual.argmin(-1)  # [F, H, W]
    objects = []
    for m, k in enumerate(chosen):
        cover = np.where(fg & (owner == m), alpha[..., m], 0.0)
        objects.append({"colour": names[k], "coverage": cover.astype(np.float32), "votes": int(votes[k])})
    return objects


@functools.lru_cache(maxsize=16)
def _supersampled_grid(H: int, W: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates of an H×W window at SUPERSAMPLE× (made once per window size,
    not once per template: shape_scores draws 27 templates per shape per frame)."""
    s = SUPERSAMPLE
    ys, xs = np.mgrid[0:H * s, 0:W * s].astype(np.float32) + 0.5
    return ys, xs


def _template(shape: str, cx: float, cy: float, r: float, H: int, W: int) -> np.ndarray:
    s = SUPERSAMPLE
    ys, xs = _supersampled_grid(H, W)
    m = world.shape_mask(shape, cx * s, cy * s, r * s, xs, ys).astype(np.float32)
    return m.reshape(H, s, W, s).mean(axis=(1, 3))


def shape_scores(coverage: np.ndarray) -> dict[str, float]:
    """Mean best IoU of each shape over the frames where the object is whole and big enough."""
    F, H, W = coverage.shape
    ys, xs = np.mgrid[0:H, 0:W].astype(np.float32) + 0.5
    totals = {s: [] for s in world.SHAPES}
    frames = []
    for f in range(F):
        m = coverage[f]
        area = float(m.sum())
        touches = max(m[0].max(), m[-1].max(), m[:, 0].max(), m[:, -1].max()) > 0.5
        if area >= 12 and not touches:
            frames.append(f)
    if not frames:  # every frame cut by the border: use the big enough ones anyway
        frames = [f for f in range(F) if coverage[f].sum() >= 12]
    if len(frames) > MAX_SHAPE_FRAMES:  # evenly spaced: the shape does not change, the cost does
        frames = [frames[round(i * (len(frames) - 1) / (MAX_SHAPE_FRAMES - 1))] for i in range(MAX_SHAPE_FRAMES)]
    for f in frames:
        m = coverage[f]
        area = float(m.sum())
        mx, my = float((xs * m).sum() / area), float((ys * m).sum() / area)
        # a window around the object keeps the templates small
        y0, y1 = max(0, int(my) - 24), min(H, int(my) + 25)
        x0, x1 = max(0, int(mx) - 24), min(W, int(mx) + 25)
        window = m[y0:y1, x0:x1]
        for shape in world.SHAPES:
            r0 = np.sqrt(area / SHAPE_AREA[shape])
            best = 0.0
            for scale in (0.85, 1.0, 1.15):
                r = r0 * scale
                for dy in (-1, 0, 1):
                    for dx in (-1, 0, 1):
                        t = _template(shape, mx + dx - x0, my + dy - y0 - SHAPE_CENTROID_DY[shape] * r, r,
                                      y1 - y0, x1 - x0)
                        iou = np.minimum(window, t).sum() / max(np.maximum(window, t).sum(), 1e-6)
                        best = max(best, float(iou))
            totals[shape].append(best)
    return {s: float(np.mean(v)) if v else 0.0 for s, v in totals.items()}


def motion_of(coverage: np.ndarray) -> str:
    F, H, W = coverage.shape
    ys, xs = np.mgrid[0:H, 0:W]
    area = coverage.sum(axis=(1, 2))
    ok = area >= 4
    cx = np.where(ok, (coverage * xs).sum(axis=(1, 2)) / np.maximum(area, 1e-6), np.nan)
    cy = np.where(ok, (coverage * ys).sum(axis=(1, 2)) / np.maximum(area, 1e-6), np.nan)
    if ok.sum() < 3:
        return "still"
    idx = np.where(ok)[0]
    first, last = idx[: max(1, len(idx) // 4)], idx[-max(1, len(idx) // 4):]
    dx = np.nanmean(cx[last]) - np.nanmean(cx[first])
    dy = np.nanmean(cy[last]) - np.nanmean(cy[first])
    ratio = (area[last].mean() + 1) / (area[first].mean() + 1)
    yrange = np.nanmax(cy) - np.nanmin(cy)
    if ratio > 1.8:
        return "growing"
    if ratio < 0.55:
        return "shrinking"
    if yrange > 8 and abs(dy) < 0.5 * yrange and abs(dx) < 10:
        return "bouncing"
    # two objects travel less than one (shapes_world.TWO_OBJECT_TRAVEL): 8 pixels is a move
    if max(abs(dx), abs(dy)) > 8:
        return ("right" if dx > 0 else "left") if abs(dx) > abs(dy) else ("down" if dy > 0 else "up")
    if yrange > 8:
        return "bouncing"
    return "still"


def flicker_of(clip: np.ndarray, objects: list[dict]) -> float:
    """Mean |change| of background pixels between consecutive frames (RGB in [0, 1])."""
    if len(clip) < 2:
        return 0.0
    near = np.zeros(clip.shape[:3], bool)
    for o in objects:
        near |= o["coverage"] > 0.02
    # widen by one pixel
    grown = near.copy()
    grown[:, 1:] |= near[:, :-1]; grown[:, :-1] |= near[:, 1:]
    grown[:, :, 1:] |= near[:, :, :-1]; grown[:, :, :-1] |= near[:, :, 1:]
    quiet = ~grown[1:] & ~grown[:-1]  # [F-1, H, W]
    change = np.abs(clip[1:] - clip[:-1]).mean(-1)
    return float(change[quiet].mean()) if quiet.any() else 0.0


def describe(obj: dict) -> dict:
    scores = shape_scores(obj["coverage"])
    return {"colour": obj["colour"], "shape": max(scores, key=scores.get), "shape_iou": scores,
            "motion": motion_of(obj["coverage"]), "area": float(obj["coverage"].sum() / len(obj["coverage"]))}


def analyse_scene(clip: np.ndarray) -> dict:
    """Background, every object found (colour, shape, motion, mean area) and the flicker."""
    background, bg_rgb = background_of(clip)
    objects = find_objects(clip, bg_rgb, background)
    return {"background": background, "objects": [describe(o) for o in objects],
            "flicker": flicker_of(clip, objects)}


def analyse(clip: np.ndarray) -> dict:
    """One-object reading: the background and the largest object (colour, shape, motion)."""
    scene = analyse_scene(clip)
    top = scene["objects"][0] if scene["objects"] else {"colour": None, "shape": None, "motion": "still"}
    return {"background": scene["background"], "colour": top["colour"], "shape": top["shape"],
            "motion": top["motion"], "flicker": scene["flicker"], "objects": len(scene["objects"])}


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


def judge_scene(a: dict, scene: world.Scene) -> dict[str, bool]:
    """Per asked object: is an object of its colour there, with its shape and motion; and is
    each object wholly right (`object0`, `object1`), and both (`both`)."""
    found = {o["colour"]: o for o in a["objects"]}
    out: dict[str, bool] = {"background": a["background"] == scene.background}
    for i, spec in enumerate(scene.objects):
        o = found.get(spec.colour)
        out[f"object{i}.colour"] = o is not None
        out[f"object{i}.shape"] = o is not None and o["shape"] == spec.shape
        out[f"object{i}.motion"] = o is not None and o["motion"] == spec.motion
        out[f"object{i}"] = out[f"object{i}.colour"] and out[f"object{i}.shape"] and out[f"object{i}.motion"]
    out["both"] = out["object0"] and out["object1"]
    return out


def _blur(clip: np.ndarray, sigma: float) -> np.ndarray:
    radius = 2
    k = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    k /= k.sum()
    out = clip
    for axis in (1, 2):
        padded = np.pad(out, [(0, 0)] * axis + [(radius, radius)] + [(0, 0)] * (3 - axis), mode="edge")
        out = sum(k[i] * np.take(padded, range(i, i + out.shape[axis]), axis=axis) for i in range(len(k)))
    return out.astype(np.float32)


def self_test(n: int = 240, seed: int = 1) -> dict:
    """Accuracy on the world's own renders (sharp and blurred), one and two objects."""
    import random
    from collections import Counter
    rng = random.Random(seed)
    report = {}
    for blur in (0.0, 0.7):
        single: Counter = Counter()
        confusion: Counter = Counter()
        flicker = []
        for _ in range(n):
            spec = world.sample_spec(rng)
            clip = world.render(spec, rng)
            clip = _blur(clip, blur) if blur else clip
            a = analyse(clip)
            single.update({k: int(v) for k, v in judge(a, spec).items()})
            confusion[(spec.shape, a["shape"])] += 1
            flicker.append(a["flicker"])
        pair: Counter = Counter()
        for _ in range(n // 2):
            scene = world.sample_scene(rng)
            clip = world.render_scene(scene, rng)
            clip = _blur(clip, blur) if blur else clip
            pair.update({k: int(v) for k, v in judge_scene(analyse_scene(clip), scene).items()})
        name = f"blur {blur}" if blur else "sharp"
        report[name] = {"one object": {k: v / n for k, v in single.items()},
                        "two objects": {k: v / (n // 2) for k, v in pair.items()
                                        if k in ("background", "both", "object0", "object1")},
                        "shape confusion (asked, seen)": {f"{a}->{b}": c for (a, b), c in sorted(confusion.items()) if a != b},
                        "flicker max": max(flicker)}
    return report


if __name__ == "__main__":
    import json
    print(json.dumps(self_test(), indent=1))
