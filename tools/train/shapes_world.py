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


def shape_mask(shape: str, cx: float, cy: float, r: float, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Where a shape of "radius" r centred at (cx, cy) covers the grid (xs, ys): a boolean mask."""
    if shape == "circle":
        return (xs - cx) ** 2 + (ys - cy) ** 2 <= r * r
    if shape == "square":
        return (np.abs(xs - cx) <= r * 0.9) & (np.abs(ys - cy) <= r * 0.9)
    # upward equilateral-ish triangle inscribed in the circle of radius r
    top = cy - r
    bottom = cy + r * 0.75
    half_width = (ys - top) / (bottom - top) * r * 1.05
    return (ys >= top) & (ys <= bottom) & (np.abs(xs - cx) <= half_width)


@dataclasses.dataclass(frozen=True)
class Path:
    """Where one object is over a clip, in supersampled pixels: start centre, radius, travel."""
    spec: Spec
    cx0: float
    cy0: float
    base_r: float
    travel: float
    margin: float

    def at(self, u: float) -> tuple[float, float, float]:
        """Centre x, centre y and radius at clip time u in [0, 1]."""
        cx, cy, r = self.cx0, self.cy0, self.base_r
        motion = self.spec.motion
        if motion == "left":
            cx = self.cx0 - self.travel * u
        elif motion == "right":
            cx = self.cx0 + self.travel * u
        elif motion == "up":
            cy = self.cy0 - self.travel * u
        elif motion == "down":
            cy = self.cy0 + self.travel * u
        elif motion == "bouncing":  # starts on the ground: two hops per clip
            cy = self.cy0 - abs(math.sin(u * 2 * math.pi)) * min(self.travel, self.cy0 - self.margin)
        elif motion == "growing":
            r = self.base_r * (0.6 + 0.9 * u)
        elif motion == "shrinking":
            r = self.base_r * (1.5 - 0.9 * u)
        return cx, cy, r


def draw_path(spec: Spec, rng: random.Random, s: int, travel_range: tuple[float, float] = (26.0, 34.0),
              supersample: int = 4) -> Path:
    """Draws a random path for `spec` on an s×s supersampled canvas (the rng calls `render` has
    always made, in that order: the latent pools and VAEs were made with them)."""
    base_r = (rng.uniform(6.0, 8.0) if spec.size == "small" else rng.uniform(10.0, 13.0)) * supersample
    travel = rng.uniform(*travel_range) * supersample
    margin = base_r * 1.6
    cx0 = rng.uniform(margin, s - margin)
    cy0 = rng.uniform(margin, s - margin)
    if spec.motion in ("left", "right"):
        cx0 = rng.uniform(margin + travel, s - margin) if spec.motion == "left" else rng.uniform(margin, s - margin - travel)
    if spec.motion in ("up", "down"):
        cy0 = rng.uniform(margin + travel, s - margin) if spec.motion == "up" else rng.uniform(margin, s - margin - travel)
    if spec.motion == "bouncing":
        cy0 = rng.uniform(s * 0.6, s - margin)
    return Path(spec, cx0, cy0, base_r, travel, margin)


def draw_frames(paths: list[Path], background: str, frames: int, size: int, supersample: int) -> np.ndarray:
    """Paints the objects on their paths over the plain background, later paths on top."""
    s = size * supersample
    ys, xs = np.mgrid[0:s, 0:s].astype(np.float32) + 0.5
    bg = np.array(BACKGROUNDS[background], np.float32) / 255.0
    out = np.empty((frames, size, size, 3), np.float32)
    for f in range(frames):
        u = f / (frames - 1)
        frame = np.broadcast_to(bg, (size, size, 3)).copy()
        for p in paths:
            cx, cy, r = p.at(u)
            m = shape_mask(p.spec.shape, cx, cy, r, xs, ys).astype(np.float32)
            cover = m.reshape(size, supersample, size, supersample).mean(axis=(1, 3))[..., None]
            colour = np.array(COLOURS[p.spec.colour], np.float32) / 255.0
            frame = frame * (1 - cover) + colour * cover
        out[f] = frame
    return out


def render(spec: Spec, rng: random.Random, frames: int = 17, size: int = 64, supersample: int = 4) -> np.ndarray:
    """Draws one clip: [frames, size, size, 3] float32 in [0, 1]."""
    return draw_frames([draw_path(spec, rng, size * supersample, supersample=supersample)],
                       spec.background, frames, size, supersample)


# ----------------------------------------------------------------------------- two objects
@dataclasses.dataclass(frozen=True)
class Scene:
    """Two objects (each a Spec, both on the scene's background) in one clip."""
    objects: tuple[Spec, ...]

    @property
    def background(self) -> str:
        return self.objects[0].background


TWO_OBJECT_TRAVEL = (16.0, 24.0)  # 64 pixels leave less room for two paths that must not touch


def paths_apart(a: Path, b: Path, frames: int, gap: float) -> bool:
    """Whether the two objects' circumscribed circles stay `gap` apart in every frame."""
    for f in range(frames):
        u = f / (frames - 1)
        ax, ay, ar = a.at(u)
        bx, by, br = b.at(u)
        if math.hypot(ax - bx, ay - by) < ar + br + gap:
            return False
    return True


def render_scene(scene: Scene, rng: random.Random, frames: int = 17, size: int = 64, supersample: int = 4) -> np.ndarray:
    """Draws a two-object clip [frames, size, size, 3]: paths drawn again until the objects never
    touch (so each can be scored on its own), shorter travel than one object's."""
    s = size * supersample
    for attempt in range(400):
        travel = TWO_OBJECT_TRAVEL if attempt < 200 else (8.0, 12.0)
        paths = [draw_path(o, rng, s, travel, supersample) for o in scene.objects]
        if paths_apart(paths[0], paths[1], frames, gap=2.0 * supersample):
            return draw_frames(paths, scene.background, frames, size, supersample)
    raise ValueError(f"no room for {scene} in {size}x{size}")


def sample_scene(rng: random.Random, exclude: set | None = None) -> Scene:
    """Two small objects of different colours on one background; neither object's
    colour × shape × motion × background combination in `exclude`."""
    while True:
        a = sample_spec(rng, exclude)
        b = sample_spec(rng, exclude)
        if b.colour == a.colour or b.colour == a.background:
            continue
        return Scene((dataclasses.replace(a, size="small"),
                      Spec(b.colour, b.shape, b.motion, a.background, "small")))


def object_phrase(spec: Spec, rng: random.Random) -> str:
    return f"a {spec.colour} {rng.choice(SHAPE_SYNONYMS[spec.shape])} {rng.choice(MOTION_PHRASES[spec.motion])}"


def scene_caption(scene: Scene, rng: random.Random) -> str:
    a, b = (object_phrase(o, rng) for o in scene.objects)
    bg = scene.background
    templates = [
        f"{a} and {b} on a {bg} background",
        f"{a} and {b}, {bg} background",
        f"{bg} background, {a} and {b}",
        f"{a}, {b}, {bg} background",
        f"{a} and {b} over {bg}",
    ]
    return rng.choice(templates)


def canonical_scene_caption(scene: Scene) -> str:
    a, b = (f"a {o.colour} {o.shape} {MOTION_PHRASES[o.motion][0]}" for o in scene.objects)
    return f"{a} and {b} on a {scene.background} background"


def held_out_scenes(count: int = 24) -> list[Scene]:
    """Two-object evaluation scenes built only from held-out single-object combinations (so
    neither object, with its colour, shape, motion and background, was ever trained), sharing
    a background and differing in colour."""
    held = sorted(held_out_combos())
    pairs = [Scene((Spec(*a, size="small"), Spec(*b, size="small"))) for i, a in enumerate(held)
             for b in held[i + 1:] if a[3] == b[3] and a[0] != b[0]]
    rng = random.Random(20261206)
    rng.shuffle(pairs)
    return pairs[:count]


# ----------------------------------------------------------------------------- held-out phrasings
# Wordings never used in training (captions, tokenizer corpus), to see whether the model follows
# a person's own phrasing: new sentence frames, and motion words whose direction or size word
# the model knows ("drifting left", "getting bigger") inside words it was never shown.
HELD_OUT_MOTION_PHRASES = {
    "left": "drifting left", "right": "heading right", "up": "floating up", "down": "sinking down",
    "bouncing": "hopping up and down", "growing": "getting bigger", "shrinking": "getting smaller",
    "still": "sitting still",
}
HELD_OUT_TEMPLATES = [
    "on a {bg} background, a {colour} {shape} {motion}",
    "there is a {colour} {shape} {motion} on {bg}",
    "{colour} {shape}, {motion}, in front of a {bg} background",
]


def held_out_phrasing(spec: Spec, index: int) -> str:
    """The index-th held-out wording of spec (templates and motion words cycle)."""
    template = HELD_OUT_TEMPLATES[index % len(HELD_OUT_TEMPLATES)]
    shape = SHAPE_SYNONYMS[spec.shape][index % len(SHAPE_SYNONYMS[spec.shape])]
    return template.format(bg=spec.background, colour=spec.colour, shape=shape,
                           motion=HELD_OUT_MOTION_PHRASES[spec.motion])


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
