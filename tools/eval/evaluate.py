"""Evaluates a tiny-shapes model from the frames it generates.

For each prompt (held-out colour × shape × motion × background combinations never used in
training, and as many seen ones), generates clips with fixed seeds and scores them from the
frames alone (score.py): object colour, background colour, shape, motion direction, and the
background's flicker. Reports per-attribute accuracy, separately for held-out and seen
combinations; `--phrasings` adds the held-out combinations in wordings never trained
(shapes_world.held_out_phrasing), `--two-objects` the held-out two-object scenes (each object
scored on its own: colour, shape, motion; "both" when both are wholly right).

Two engines:
  --engine swift     runs `zoetrope generate --save-tensor` (the shipped Swift engine; default)
  --engine diffusers runs diffusers' WanPipeline on the same folder (for training-time checks)

  python tools/eval/evaluate.py --model Sources/BundledModels/Resources/tiny-shapes --seeds 4
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "train"))
import score as scorer  # noqa: E402
import shapes_world as world  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))


def prompts(held_out: bool, count: int) -> list[world.Spec]:
    held = world.held_out_combos()
    if held_out:
        combos = sorted(held)
    else:
        rng = random.Random(5)
        combos = sorted(rng.sample(sorted(set(world.all_combos()) - held), count))
    return [world.Spec(*c) for c in combos[:count]]


def swift_clip(binary: str, model: str, prompt: str, seed: int, args) -> np.ndarray:
    from safetensors.numpy import load_file
    with tempfile.TemporaryDirectory() as tmp:
        tensor = os.path.join(tmp, "video.safetensors")
        cmd = [binary, "generate", "--no-history", "--model", model, "--prompt", prompt, "--seed", str(seed),
               "--output", os.path.join(tmp, "out"), "--save-tensor", tensor]
        if args.steps:
            cmd += ["--steps", str(args.steps)]
        if args.guidance:
            cmd += ["--guidance", str(args.guidance)]
        done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:  # its progress lines are on stderr: show them only on failure
            raise RuntimeError(f"{' '.join(cmd)} exited {done.returncode}:\n{done.stderr}")
        return load_file(tensor)["video"]


class DiffusersEngine:
    """The folder's own pipeline class (WanPipeline for tiny-shapes, TextToVideoSDPipeline for
    tiny-shapes-unet) at the folder's defaults (zoetrope.json), as the Swift engine runs it."""

    def __init__(self, model: str):
        import torch
        from diffusers import DiffusionPipeline
        self.torch = torch
        self.pipe = DiffusionPipeline.from_pretrained(model, torch_dtype=torch.float32)
        self.pipe.set_progress_bar_config(disable=True)
        # A folder without zoetrope.json (a fresh `train.py export`) runs at tiny-shapes' defaults.
        self.defaults = {"frames": 17, "width": 64, "height": 64, "steps": 20, "guidance_scale": 5.0}
        settings = os.path.join(model, "zoetrope.json")
        if os.path.exists(settings):
            with open(settings) as f:
                self.defaults |= json.load(f)["defaults"]

    def clip(self, prompt: str, seed: int, args) -> np.ndarray:
        g = self.torch.Generator("cpu").manual_seed(seed)
        d = self.defaults
        out = self.pipe(prompt=prompt, negative_prompt="", num_frames=d["frames"], height=d["height"], width=d["width"],
                        num_inference_steps=args.steps or d["steps"], guidance_scale=args.guidance or d["guidance_scale"],
                        generator=g, output_type="np")
        return out.frames[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=os.path.join(ROOT, "Sources", "BundledModels", "Resources", "tiny-shapes"))
    ap.add_argument("--engine", choices=["swift", "diffusers"], default="swift")
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "zoetrope"))
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--prompts", type=int, default=60, help="prompts per group (held-out, seen)")
    ap.add_argument("--steps", type=int, default=0, help="0: the engine's default")
    ap.add_argument("--guidance", type=float, default=0.0, help="0: the engine's default")
    ap.add_argument("--seen", action="store_true", help="also score seen combinations")
    ap.add_argument("--phrasings", action="store_true", help="also score held-out combinations in held-out wordings")
    ap.add_argument("--two-objects", action="store_true", help="also score the held-out two-object scenes")
    ap.add_argument("--jobs", type=int, default=2, help="Swift processes at once (run with OPENBLAS_NUM_THREADS=1)")
    ap.add_argument("--json", help="write the report here")
    args = ap.parse_args()

    engine = DiffusersEngine(args.model) if args.engine == "diffusers" else None

    def generate(prompt: str, seed: int) -> np.ndarray:
        clip = engine.clip(prompt, seed, args) if engine else swift_clip(args.binary, args.model, prompt, seed, args)
        return np.asarray(clip)
    jobs = 1 if engine else args.jobs  # Swift clips are separate processes: `--jobs` at once (one core each)
    groups = {"held_out": [(s, world.canonical_caption(s)) for s in prompts(True, args.prompts)]}
    if args.seen:
        groups["seen"] = [(s, world.canonical_caption(s)) for s in prompts(False, args.prompts)]
    if args.phrasings:
        groups["held_out_phrasings"] = [(s, world.held_out_phrasing(s, i))
                                        for i, s in enumerate(prompts(True, args.prompts))]
    report = {"model": args.model, "engine": args.engine, "seeds": args.seeds}
    for name, specs in groups.items():
        totals: dict[str, int] = {}
        n = 0
        cases = [(spec, prompt, seed) for spec, prompt in specs for seed in range(args.seeds)]

        seen_motion: dict[str, Counter] = defaultdict(Counter)  # asked motion -> what the scorer saw
        seen_colour: dict[str, Counter] = defaultdict(Counter)  # asked colour -> what the scorer saw

        def run(case):
            spec, prompt, seed = case
            return spec, scorer.analyse(generate(prompt, seed))

        flicker = []
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for spec, analysis in pool.map(run, cases):
                for key, ok in scorer.judge(analysis, spec).items():
                    totals[key] = totals.get(key, 0) + int(ok)
                seen_motion[spec.motion][analysis["motion"]] += 1
                seen_colour[spec.colour][analysis["colour"]] += 1
                flicker.append(analysis["flicker"])
                n += 1
        report[name] = {k: round(v / n, 4) for k, v in totals.items()} | {"clips": n}
        report[name]["flicker_mean"] = round(float(np.mean(flicker)), 5)
        print(name, report[name], flush=True)
        for motion in world.MOTIONS:
            if motion in seen_motion:
                c = seen_motion[motion]
                print(f"  {motion:9s} right {c[motion]}/{sum(c.values())}  seen {dict(c.most_common())}", flush=True)
        for colour in world.COLOURS:
            if colour in seen_colour:
                c = seen_colour[colour]
                print(f"  {colour:9s} right {c[colour]}/{sum(c.values())}  seen {dict(c.most_common())}", flush=True)
        report[name]["motion_seen"] = {m: dict(seen_motion[m]) for m in world.MOTIONS if m in seen_motion}
        report[name]["colour_seen"] = {k: {str(v): n for v, n in seen_colour[k].items()}
                                       for k in world.COLOURS if k in seen_colour}
    if args.two_objects:
        scenes = world.held_out_scenes()
        cases = [(scene, seed) for scene in scenes for seed in range(args.seeds)]

        def run_scene(case):
            scene, seed = case
            return scene, scorer.analyse_scene(generate(world.canonical_scene_caption(scene), seed))

        totals, n, flicker = Counter(), 0, []
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for scene, analysis in pool.map(run_scene, cases):
                verdict = scorer.judge_scene(analysis, scene)
                totals.update({"background": verdict["background"], "both": verdict["both"]})
                for i in range(2):
                    for key in ("colour", "shape", "motion"):
                        totals[f"object {key}"] += verdict[f"object{i}.{key}"]
                    totals["object"] += verdict[f"object{i}"]
                flicker.append(analysis["flicker"])
                n += 1
        report["two_objects"] = {k: round(v / (2 * n if k.startswith("object") else n), 4) for k, v in totals.items()}
        report["two_objects"] |= {"clips": n, "flicker_mean": round(float(np.mean(flicker)), 5)}
        print("two_objects", report["two_objects"], flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
