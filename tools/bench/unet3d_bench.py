#!/usr/bin/env python3
"""Side by side: one denoising step of UNet3DConditionModel (ModelScope / zeroscope's network) in
diffusers/PyTorch and in Zoetrope, on the same random weights, the same inputs' shapes and the same
threads, with each process's own peak resident memory. A benchmark, not a test.

    .venv/bin/python tools/bench/unet3d_bench.py [--configs medium,modelscope] [--frames 16] [--side 256]
        [--threads 2] [--cache ~/.cache/zoetrope-bench]

Configs (random weights, made once into --cache, never committed):
    medium      block_out_channels (64, 128, 256, 256), attention_head_dim 32, cross_attention_dim 1024, float32
    modelscope  text-to-video-ms-1.7b's UNet: (320, 640, 1280, 1280), heads of 64, cross 1024 —
                1.41 B parameters, stored in float16 (2.8 GB), as the hub ships it
One step is the UNet on [2, 4, F, side/8, side/8] (classifier-free guidance's batch of two) with
[2, 77, 1024] text. PyTorch runs in float32 (its CPU kernels have no fast float16 path): the fp16
weights are widened on load, as Zoetrope widens its convolution weights.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = {
    "medium": (dict(block_out_channels=(64, 128, 256, 256), attention_head_dim=32, cross_attention_dim=1024,
                    norm_num_groups=32, layers_per_block=2, sample_size=32), "float32"),
    "modelscope": (dict(block_out_channels=(320, 640, 1280, 1280), attention_head_dim=64, cross_attention_dim=1024,
                        norm_num_groups=32, layers_per_block=2, sample_size=32), "float16"),
}


def make(folder: Path, name: str) -> None:
    import torch
    from diffusers import UNet3DConditionModel
    config, dtype = CONFIGS[name]
    if (folder / "config.json").exists():
        return
    torch.manual_seed(0)
    model = UNet3DConditionModel(**config).eval()
    params = sum(p.numel() for p in model.parameters())
    print(f"{name}: {params / 1e6:.1f} M parameters, saving as {dtype} to {folder}", flush=True)
    model.to(getattr(torch, dtype)).save_pretrained(folder)


def torch_step(folder: str, frames: int, side: int, threads: int) -> None:
    """Child process: load, one warm-up step, one timed step, own peak memory (VmHWM)."""
    import torch
    from diffusers import UNet3DConditionModel
    torch.set_num_threads(threads)
    start = time.perf_counter()
    unet = UNet3DConditionModel.from_pretrained(folder, torch_dtype=torch.float32).eval()
    load = time.perf_counter() - start
    h = side // 8
    g = torch.Generator().manual_seed(0)
    sample = torch.randn(2, 4, frames, h, h, generator=g)
    text = torch.randn(2, 77, unet.config.cross_attention_dim, generator=g)
    steps = []
    with torch.no_grad():
        for _ in range(2):
            start = time.perf_counter()
            unet(sample, torch.tensor([500, 500]), encoder_hidden_states=text)
            steps.append(time.perf_counter() - start)
    peak = 0
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            peak = int(line.split()[1]) * 1024
    print(json.dumps({"load_s": load, "step_s": steps[0], "step2_s": steps[1], "peak_mib": peak / 2**20}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="medium,modelscope")
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--side", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "zoetrope-bench")
    parser.add_argument("--torch-child", nargs=4, metavar=("FOLDER", "FRAMES", "SIDE", "THREADS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.torch_child:
        folder, frames, side, threads = args.torch_child
        torch_step(folder, int(frames), int(side), int(threads))
        return

    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), OPENBLAS_NUM_THREADS=str(args.threads))
    subprocess.run(["swift", "build", "-c", "release", "--product", "zoetrope-bench"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    bench = ROOT / ".build" / "release" / "zoetrope-bench"
    print(f"machine: {os.cpu_count()} cores; {args.threads} threads each; {args.frames} frames of {args.side}²")
    for name in args.configs.split(","):
        folder = args.cache / f"unet3d-{name}"
        make(folder, name)
        child = subprocess.run([sys.executable, __file__, "--torch-child", str(folder), str(args.frames), str(args.side),
                                str(args.threads)], env=env, capture_output=True, text=True, check=True)
        theirs = json.loads(child.stdout.strip().splitlines()[-1])
        swift = subprocess.run([str(bench), "unet3d", str(folder), str(args.frames), str(args.side)], env=env,
                               capture_output=True, text=True, check=True)
        line = next(l for l in swift.stdout.splitlines() if l.startswith("swift_unet3d"))
        ours = {k: float(v) for k, v in (f.split("=") for f in line.split()[1:])}
        print(f"\n{name} ({CONFIGS[name][1]} weights)")
        print(f"  {'':28} {'PyTorch':>10} {'Zoetrope':>10} {'ratio':>7}")
        for key, label in (("load_s", "load (s)"), ("step_s", "one step, first (s)"), ("step2_s", "one step, again (s)"),
                           ("peak_mib", "peak resident memory (MiB)")):
            ratio = ours[key] / theirs[key] if theirs[key] else float("nan")
            print(f"  {label:28} {theirs[key]:10.2f} {ours[key]:10.2f} {ratio:7.2f}")


if __name__ == "__main__":
    main()
