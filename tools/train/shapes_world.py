"""The synthetic world the bundled tiny-shapes model is trained on.

Clips of one simple object (optionally two) over a plain background, with captions in
several phrasings. Everything is deterministic given a seed, so the data set is a
function, not a folder: training draws fresh clips forever.

Frames are float32 RGB in [0, 1], shape [F, H, W, 3]; drawn at 4x resolution and
box-filtered down so edges are anti-aliased.
"""
from __future__ import annotations

import dataclasses
import itertools
import math
import random

import numpy as np

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (230, 30, 30),
    "green": (40, 200, 60),
    "blue": (40, 80, 235),
    "yellow": (245, 225, 40),
    "orange": (250, 140, 20),
    "purple": (150, 50, 205),
    "cyan": (40, 215, 225),
    "white": (245, 245, 245),
}
BACKGROUNDS: dict[str, tuple[int, int, int]] = {**COLOURS, "black": (0, 0, 0), "gray": (128, 128, 128)}
SHAPES = ["circle", "square", "triangle"]
SHAPE_SYNONYMS = {"circle": ["circle", "ball", "disc"], "square": ["square", "box", "block"],
                  "triangle": ["triangle"]}
MOTIONS = ["left", "right", "up", "down", "bouncing", "growing", "shrinking", "still"]
MOTION_PHRASES = {
    "left": ["moving left", "moves to the left", "slides left", "going left"],
    "right": ["moving right", "moves to the right", "slides right", "going right"],
    "up": ["moving up", "moves upward", "rises", "going up"],
    "down": ["moving down", "moves downward", "falls", "going down"],
    "bouncing": ["bouncing", "bounces", "bouncing up and down"],
    "growing": ["growing", "grows bigger", "getting larger"],
    "shrinking": ["shrinking", "gets smaller", "shrinks"],
    "still": ["standing still", "not moving", "resting", "staying still"],
}
SIZES = ["small", "large"]


@dataclasses.dataclass(frozen=True)
class Spec:
    colour: str
    shape: str
    motion: str
    background: str
    size: str = "small"

    @property
    def combo(self) -> tuple[str, str, str, str]:
        return (self.colour, self.shape, self.motion, self.background)


def all_combos() -> list[tuple[str, str, str, str]]:
    return [(c, s, m, b) for c, s, m, b in itertools.product(COLOURS, SHAPES, MOTIONS, BACKGROUNDS) if c != b]


def held_out_combos(count: int = 60, seed: int = 20261125) -> set[tuple[str, str, str, str]]:
    """Colour x shape x motion x background combinations never shown in training."""
    combos = all_combos()
    rng = random.Random(seed)
    return set(rng.sample(combos, count))


def caption(spec: Spec, rng: random.Random) -> str:
    shape = rng.choice(SHAPE_SYNONYMS[spec.shape])
    motion = rng.choice(MOTION_PHRASES[spec.motion])
    size = f"{spec.size} " if rng.random() < 0.5 else ""
    bg = spec.background
    templates = [
        f"a {size}{spec.colour} {shape} {motion} on a {bg} background",
        f"{spec.colour} {shape} {motion}, {bg} background",
        f"a {size}{spec.colour} {shape} {motion} over {bg}",
        f"{bg} background, a {spec.colour} {shape} {motion}",
        f"the {spec.colour} {shape} is {motion} on {bg}",
    ]
    return rng.choice(templates)


def canonical_caption(spec: Spec) -> str:
    """The phrasing the evaluation prompts use."""
    return f"a {spec.colour} {spec.shape} {MOTION_PHRASES[spec.motion][0]} on a {spec.background} background"


def _mask(shape: str, cx: float, cy: float, r: float, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    if shape == "circle":
        return (xs - cx) ** 2 + (ys - cy) ** 2 <= r * r
    if shape == "square":
        return (np.abs(xs - cx) <= r * 0.9) & (np.abs(ys - cy) <= r * 0.9)
    # upward equilateral-ish triangle inscribed in the circle of radius r
    top = cy - r
    bottom = cy + r * 0.75
    half_width = (ys - top) / (bottom - top) * r * 1.05
    return (ys >= top) & (ys <= bottom) & (np.abs(xs - cx) <= half_width)


def render(spec: Spec, rng: random.Random, frames: int = 17, size: int = 64, supersample: int = 4) -> np.ndarray:
    """Draws one clip: [frames, size, size, 3] float32 in [0, 1]."""
    s = size * supersample
    ys, xs = np.mgrid[0:s, 0:s].astype(np.float32) + 0.5
    base_r = (rng.uniform(6.0, 8.0) if spec.size == "small" else rng.uniform(10.0, 13.0)) * supersample
    travel = rng.uniform(26.0, 34.0) * supersample
    margin = base_r * 1.6
    cx0 = rng.uniform(margin, s - margin)
    cy0 = rng.uniform(margin, s - margin)
    if spec.motion in ("left", "right"):
        cx0 = rng.uniform(margin + travel, s - margin) if spec.motion == "left" else rng.uniform(margin, s - margin - travel)
    if spec.motion in ("up", "down"):
        cy0 = rng.uniform(margin + travel, s - margin) if spec.motion == "up" else rng.uniform(margin, s - margin - travel)
    if spec.motion == "bouncing":
        cy0 = rng.uniform(s * 0.6, s - margin)
    colour = np.array(COLOURS[spec.colour], np.float32) / 255.0
    bg = np.array(BACKGROUNDS[spec.background], np.float32) / 255.0
    out = np.empty((frames, size, size, 3), np.float32)
    phase = 0.0  # a bounce starts on the ground: two hops per clip
    for f in range(frames):
        u = f / (frames - 1)
        cx, cy, r = cx0, cy0, base_r
        if spec.motion == "left":
            cx = cx0 - travel * u
        elif spec.motion == "right":
            cx = cx0 + travel * u
        elif spec.motion == "up":
            cy = cy0 - travel * u
        elif spec.motion == "down":
            cy = cy0 + travel * u
        elif spec.motion == "bouncing":
            cy = cy0 - abs(math.sin(phase + u * 2 * math.pi)) * min(travel, cy0 - margin)
        elif spec.motion == "growing":
            r = base_r * (0.6 + 0.9 * u)
        elif spec.motion == "shrinking":
            r = base_r * (1.5 - 0.9 * u)
        m = _mask(spec.shape, cx, cy, r, xs, ys).astype(np.float32)
        cover = m.reshape(size, supersample, size, supersample).mean(axis=(1, 3))[..., None]
        out[f] = bg * (1 - cover) + colour * cover
    return out


def sample_spec(rng: random.Random, exclude: set | None = None) -> Spec:
    while True:
        c = rng.choice(list(COLOURS))
        b = rng.choice([k for k in BACKGROUNDS if k != c])
        spec = Spec(c, rng.choice(SHAPES), rng.choice(MOTIONS), b, rng.choice(SIZES))
        if not exclude or spec.combo not in exclude:
            return spec


def nearest_colour(rgb: np.ndarray, palette: dict[str, tuple[int, int, int]]) -> str:
    names = list(palette)
    table = np.array([palette[n] for n in names], np.float32) / 255.0
    return names[int(np.argmin(((table - rgb[None]) ** 2).sum(-1)))]
