#!/usr/bin/env python3
"""Side by side: whole text-to-video pipelines run by diffusers/PyTorch and by Zoetrope on the same
folder, the same initial noise and the same number of threads. A benchmark, not a test.

    .venv/bin/python tools/bench/side_by_side.py [--configs bundled,wan-medium] [--runs 3] [--threads 2]
        [--cache ~/.cache/zoetrope-bench] [--markdown FILE] [--precision fp32|bf16]

With --precision bf16, Zoetrope runs `--precision bf16` and PyTorch runs each config twice: in
float32, and with the whole pipeline (weights and latents) in bfloat16.

The Zoetrope half alone, with no Python, is tools/bench/zoetrope_run.sh (CI runs it on the test
pipeline); this script calls it for every Zoetrope run.

For each config and each side, `--runs` separate processes (the two sides alternate, so a change
in the machine's speed hits both), each printing its phase times; the table shows medians:
  text encode   diffusers `encode_prompt` / Zoetrope's "encoding" phase
  denoise/step  the denoising loop's time divided by the steps (classifier-free guidance's two
                transformer passes and the scheduler step)
  VAE decode    `vae.decode` / the "decoding" phase
  whole call    `pipe(...)` / encoding + denoising + decoding (model loading excluded on both sides)
  peak memory   the process's own high-water mark (`VmHWM`), and the same seen from outside by
                `/usr/bin/time -f %M`; PyTorch's includes importing torch (its baseline is printed)
and the step's GFLOP/s against this machine's `cblas_sgemm` rate (measured first by
`zoetrope-bench sgemm`). The FLOPs counted are diffusers' (every GEMM of both guidance passes,
the text's cross-attention keys and values over all 512 tokens at every step), the same
numerator for both sides; Zoetrope does less of that work (it computes the text's keys and values
once per run, for the prompt's rows and one padding row), so its figure is an effective rate.

Configs (random weights are made once into --cache with a fixed seed and never committed):
  bundled     the bundled tiny-shapes model (Sources/BundledModels/Resources/tiny-shapes), Zoetrope's
              defaults: 17 × 64², 20 steps, guidance 5, its prompt padded to 512 tokens
  wan-medium  a Wan-style medium pipeline: a 39.4 M-parameter WanTransformer3DModel (dim 512, 8 heads,
              10 layers, ffn 1536, patch 1×2×2), AutoencoderKLWan base 64 (the real Wan 2.1 VAE's
              layout), a 4-layer UMT5 of width 512; 17 × 256² (1,280 tokens), 4 steps, guidance 5
  unet3d-medium  a TextToVideoSDPipeline (ModelScope's design): UNet3DConditionModel with
              block_out_channels (64, 128, 256, 256), attention_head_dim 32, cross_attention_dim 512;
              AutoencoderKL (64, 128, 256, 256); a 4-layer CLIP text model of width 512 over the
              test CLIP tokenizer; DDIM; 16 × 256², 4 steps, guidance 5
  wan-tiny    Tests/Fixtures/wan/pipeline, 5 × 32², 2 steps
  attention-8k, attention-32k   attention alone (no mask, non-causal): 8,192 tokens × 12 heads of 128
              (Wan 2.1 1.3B's self-attention heads) and 32,768 tokens × 1 head of 128 (one head of
              a 480×832×81 Wan clip, whose 32,760 tokens × 12 heads would take minutes per side);
              torch.nn.functional.scaled_dot_product_attention vs `zoetrope-bench sdpa`
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROMPT = "a yellow square moving up on a blue background"


class Config:
    def __init__(self, name, frames, width, height, steps, guidance, folder=None, describe=""):
        self.name, self.frames, self.width, self.height = name, frames, width, height
        self.steps, self.guidance, self.folder, self.describe = steps, guidance, folder, describe


CONFIGS = {
    "bundled": Config("bundled", 17, 64, 64, 20, 5.0, ROOT / "Sources/BundledModels/Resources/tiny-shapes",
                      "bundled tiny-shapes, 17 × 64², 20 steps"),
    "wan-medium": Config("wan-medium", 17, 256, 256, 4, 5.0, None,
                         "Wan-style medium (39.4 M DiT, 1,280 tokens; VAE base 64), 17 × 256², 4 steps"),
    "unet3d-medium": Config("unet3d-medium", 16, 256, 256, 4, 5.0, None,
                            "TextToVideoSD medium (UNet3DConditionModel (64, 128, 256, 256), heads of 32; "
                            "AutoencoderKL (64, 128, 256, 256); 4-layer CLIP of width 512), 16 × 256², 4 steps"),
    "wan-tiny": Config("wan-tiny", 5, 32, 32, 2, 5.0, ROOT / "Tests/Fixtures/wan/pipeline",
                       "test Wan pipeline, 5 × 32², 2 steps"),
}


# Attention alone: tokens, heads, head dim.
ATTENTION = {"attention-8k": (8192, 12, 128), "attention-32k": (32768, 1, 128)}


# MARK: Making the random-weight folders

def make_wan_medium(folder: Path) -> None:
    """A WanPipeline folder with random weights (seed 0), saved once."""
    if (folder / "model_index.json").exists():
        return
    import torch
    from diffusers import AutoencoderKLWan, UniPCMultistepScheduler, WanPipeline, WanTransformer3DModel
    from transformers import AutoTokenizer, UMT5Config, UMT5EncoderModel
    torch.manual_seed(0)
    transformer = WanTransformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=8, attention_head_dim=64, in_channels=16, out_channels=16,
        text_dim=512, freq_dim=256, ffn_dim=1536, num_layers=10, cross_attn_norm=True, qk_norm="rms_norm_across_heads",
        eps=1e-6, rope_max_seq_len=1024)
    vae = AutoencoderKLWan(base_dim=64, z_dim=16, dim_mult=[1, 2, 4, 4], num_res_blocks=2,
                           temperal_downsample=[False, True, True])
    # The bundled model's 205-token vocabulary: a 256k one would be 131 M of embedding rows that
    # only measure a table lookup.
    tokenizer = AutoTokenizer.from_pretrained(ROOT / "Sources/BundledModels/Resources/tiny-shapes/tokenizer")
    text = UMT5EncoderModel(UMT5Config(vocab_size=205, d_model=512, d_kv=64, d_ff=1024, num_layers=4,
                                       num_heads=8, relative_attention_num_buckets=32,
                                       relative_attention_max_distance=128, feed_forward_proj="gated-gelu",
                                       pad_token_id=0, eos_token_id=1))
    scheduler = UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=3.0)
    pipe = WanPipeline(tokenizer=tokenizer, text_encoder=text, transformer=transformer, vae=vae, scheduler=scheduler)
    params = sum(p.numel() for p in transformer.parameters())
    print(f"wan-medium: transformer {params / 1e6:.1f} M parameters, saving to {folder}", flush=True)
    pipe.save_pretrained(folder)


def make_unet3d_medium(folder: Path) -> None:
    """A TextToVideoSDPipeline folder with random weights (seed 0), saved once."""
    if (folder / "model_index.json").exists():
        return
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, TextToVideoSDPipeline, UNet3DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer
    torch.manual_seed(0)
    tokenizer = CLIPTokenizer.from_pretrained(str(ROOT / "Tests/Fixtures/tokenizers/clip"), model_max_length=77)
    text = CLIPTextModel(CLIPTextConfig(vocab_size=len(tokenizer), hidden_size=512, intermediate_size=2048,
                                        num_hidden_layers=4, num_attention_heads=8, max_position_embeddings=77,
                                        hidden_act="quick_gelu", bos_token_id=tokenizer.bos_token_id,
                                        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id))
    unet = UNet3DConditionModel(block_out_channels=(64, 128, 256, 256), attention_head_dim=32,
                                cross_attention_dim=512, norm_num_groups=32, layers_per_block=2, sample_size=32)
    vae = AutoencoderKL(block_out_channels=(64, 128, 256, 256), in_channels=3, out_channels=3, latent_channels=4,
                        layers_per_block=2, norm_num_groups=32, sample_size=256,
                        down_block_types=["DownEncoderBlock2D"] * 4, up_block_types=["UpDecoderBlock2D"] * 4)
    scheduler = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
                              set_alpha_to_one=False)
    pipe = TextToVideoSDPipeline(vae=vae, text_encoder=text, tokenizer=tokenizer, unet=unet, scheduler=scheduler)
    params = sum(p.numel() for p in unet.parameters())
    print(f"unet3d-medium: UNet {params / 1e6:.1f} M parameters, saving to {folder}", flush=True)
    pipe.save_pretrained(folder)


def folder_of(config: Config, cache: Path) -> Path:
    if config.folder is not None:
        return config.folder
    folder = cache / config.name
    if config.name == "wan-medium":
        make_wan_medium(folder)
    if config.name == "unet3d-medium":
        make_unet3d_medium(folder)
    return folder


# MARK: Counting FLOPs

def wan_transformer_flops(folder: Path, config: Config) -> float:
    """Multiply-adds × 2 of one denoising step (two transformer passes with guidance > 1); NaN for
    families other than Wan (not counted)."""
    if not (folder / "transformer" / "config.json").exists():
        return float("nan")
    c = json.loads((folder / "transformer" / "config.json").read_text())
    vae = json.loads((folder / "vae" / "config.json").read_text())
    spatial = 2 ** sum(1 for _ in vae["dim_mult"][1:])
    temporal = 2 ** sum(1 for t in vae.get("temperal_downsample", []) if t)
    pt, ph, pw = c["patch_size"]
    f = (config.frames - 1) // temporal + 1
    tokens = (f // pt) * (config.height // spatial // ph) * (config.width // spatial // pw)
    d = c["num_attention_heads"] * c["attention_head_dim"]
    text_tokens = 512
    per_layer = (8 * tokens * d * d                 # self-attention q, k, v, out
                 + 4 * tokens * tokens * d          # QKᵀ and PV
                 + 4 * tokens * d * d               # cross-attention q, out
                 + 4 * text_tokens * d * d          # cross-attention k, v of the text
                 + 4 * tokens * text_tokens * d     # cross QKᵀ and PV
                 + 4 * tokens * d * c["ffn_dim"])   # feed-forward
    patch = 2 * tokens * d * c["in_channels"] * pt * ph * pw * 2   # embedding and output projection
    passes = 2 if config.guidance > 1 else 1
    return passes * (c["num_layers"] * per_layer + patch)


# MARK: The PyTorch side (a child process)

def torch_child(folder: str, noise_path: str, config_name: str, threads: int, precision: str = "fp32") -> None:
    import torch
    torch.set_num_threads(threads)
    baseline = vm_hwm()
    from diffusers import DiffusionPipeline
    from safetensors.torch import load_file
    config = CONFIGS[config_name]
    dtype = torch.bfloat16 if precision == "bf16" else torch.float32
    pipe = DiffusionPipeline.from_pretrained(folder).to(dtype)
    pipe.set_progress_bar_config(disable=True)
    marks = {}

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            out = fn(*args, **kwargs)
            marks.setdefault(name, []).append((start, time.perf_counter()))
            return out
        return wrapper

    pipe.encode_prompt = timed("encode", pipe.encode_prompt)
    pipe.vae.decode = timed("decode", pipe.vae.decode)
    latents = load_file(noise_path)["latents"].to(dtype)
    with torch.no_grad():
        start = time.perf_counter()
        pipe(prompt=PROMPT, negative_prompt="", num_frames=config.frames, height=config.height, width=config.width,
             num_inference_steps=config.steps, guidance_scale=config.guidance, latents=latents.clone(),
             output_type="np")
        end = time.perf_counter()
    encode = marks["encode"][0]
    decode = marks["decode"][0]
    print(json.dumps({"encode": encode[1] - encode[0], "denoise": decode[0] - encode[1],
                      "decode": decode[1] - decode[0], "call": end - start, "peak_mib": vm_hwm() / 2**20,
                      "baseline_mib": baseline / 2**20}))


def vm_hwm() -> int:
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def torch_sdpa_child(tokens: int, heads: int, head_dim: int, threads: int) -> None:
    import torch
    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(1, heads, tokens, head_dim, generator=g) for _ in range(3))
    times = []
    with torch.no_grad():
        torch.nn.functional.scaled_dot_product_attention(q, k, v)
        for _ in range(3):
            start = time.perf_counter()
            torch.nn.functional.scaled_dot_product_attention(q, k, v)
            times.append(time.perf_counter() - start)
    print(json.dumps({"seconds": statistics.median(times), "peak_mib": vm_hwm() / 2**20}))


def attention_rows(name: str, bench: Path, env: dict, threads: int, rate: float) -> list[str]:
    tokens, heads, head_dim = ATTENTION[name]
    stdout, _ = timed_process([sys.executable, __file__, "--torch-sdpa", str(tokens), str(heads), str(head_dim),
                               str(threads)], env)
    theirs = json.loads(stdout.strip().splitlines()[-1])
    out = subprocess.run([str(bench), "sdpa", str(tokens), str(heads), str(head_dim)], env=env, capture_output=True,
                         text=True, check=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("swift_sdpa"))
    ours = {k: float(v) for k, v in (f.split("=") for f in line.split()[1:])}
    flops = 4 * tokens * tokens * heads * head_dim
    rate_of = lambda seconds: flops / seconds / 1e9
    return [f"**attention alone: {tokens:,} tokens × {heads} heads of {head_dim} ({flops / 1e9:.0f} GFLOP)**", "",
            "| | PyTorch SDPA | Zoetrope | Zoetrope / PyTorch |", "|---|---|---|---|",
            f"| time | {theirs['seconds']:.3f} s | {ours['seconds']:.3f} s | {ours['seconds'] / theirs['seconds']:.2f} |",
            f"| GFLOP/s | {rate_of(theirs['seconds']):.1f} ({rate_of(theirs['seconds']) / rate:.0%} of sgemm) "
            f"| {rate_of(ours['seconds']):.1f} ({rate_of(ours['seconds']) / rate:.0%} of sgemm) | |",
            f"| peak memory (process) | {theirs['peak_mib']:.0f} MiB | {ours['peak_mib']:.0f} MiB | "
            f"{ours['peak_mib'] / theirs['peak_mib']:.2f} |"]


# MARK: Running both sides

def timed_process(command: list[str], env: dict) -> tuple[str, float]:
    """Runs `command` under /usr/bin/time; returns its stdout and its peak RSS in MiB."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as record:
        result = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", record.name] + command, env=env,
                                capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr[-2000:]}")
        return result.stdout, int(record.read().strip().splitlines()[-1]) / 1024


def zoetrope_run(binary: Path, folder: Path, noise: Path, config: Config, env: dict, precision: str = "fp32") -> dict:
    """One `zoetrope generate` process through tools/bench/zoetrope_run.sh (the Zoetrope half CI runs)."""
    env = dict(env, ZOETROPE_PRECISION=precision)
    result = subprocess.run([str(ROOT / "tools/bench/zoetrope_run.sh"), "--binary", str(binary), str(folder),
                             str(config.frames), str(config.width), str(config.height), str(config.steps), str(noise)],
                            env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"zoetrope_run.sh failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def torch_run(folder: Path, noise: Path, config: Config, env: dict, threads: int, precision: str = "fp32") -> dict:
    stdout, outside = timed_process([sys.executable, __file__, "--torch-child", str(folder), str(noise), config.name,
                                     str(threads), precision], env)
    row = json.loads(stdout.strip().splitlines()[-1])
    row["outside_mib"] = outside
    return row


def write_noise(folder: Path, config: Config, path: Path) -> None:
    """randn in the pipeline's `latents` shape, seed 0, as the safetensors file both sides read."""
    if path.exists():
        return
    import torch
    from safetensors.torch import save_file
    vae = json.loads((folder / "vae" / "config.json").read_text())
    if vae["_class_name"] == "AutoencoderKL":   # 2-D, frame by frame: [1, C, F, H/s, W/s]
        spatial = 2 ** (len(vae["block_out_channels"]) - 1)
        shape = (1, vae["latent_channels"], config.frames, config.height // spatial, config.width // spatial)
    else:
        temporal = 2 ** sum(1 for t in vae.get("temperal_downsample", []) if t)
        spatial = 2 ** (len(vae["dim_mult"]) - 1)
        shape = (1, vae["z_dim"], (config.frames - 1) // temporal + 1, config.height // spatial, config.width // spatial)
    save_file({"latents": torch.randn(shape, generator=torch.Generator().manual_seed(0))}, str(path))


def sgemm_rate(bench: Path, env: dict) -> float:
    out = subprocess.run([str(bench), "sgemm"], env=env, capture_output=True, text=True, check=True).stdout
    rates = [float(m.group(1)) for m in re.finditer(r"sgemm (?:1024|2048)\S* +([0-9.]+) GFLOP/s", out)]
    return max(rates)


def machine() -> str:
    model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    return f"{model}, {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="bundled,wan-medium")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "zoetrope-bench")
    parser.add_argument("--markdown", type=Path, help="append the tables to this file")
    parser.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                        help="bf16: Zoetrope runs with --precision bf16 and PyTorch runs twice, in fp32 and "
                             "with the whole pipeline in bfloat16")
    parser.add_argument("--torch-child", nargs=5, help=argparse.SUPPRESS)
    parser.add_argument("--torch-sdpa", nargs=4, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.torch_sdpa:
        torch_sdpa_child(*args.torch_sdpa)
        return
    if args.torch_child:
        folder, noise, name, threads, precision = args.torch_child
        torch_child(folder, noise, name, int(threads), precision)
        return

    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), OPENBLAS_NUM_THREADS=str(args.threads),
               ZOETROPE_THREADS=str(args.threads), ZOETROPE_DATA_DIR=tempfile.mkdtemp(prefix="zoetrope-bench-data-"))
    subprocess.run(["swift", "build", "-c", "release", "--product", "zoetrope"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run(["swift", "build", "-c", "release", "--product", "zoetrope-bench"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    binary, bench = ROOT / ".build/release/zoetrope", ROOT / ".build/release/zoetrope-bench"
    rate = sgemm_rate(bench, env)
    header = (f"{time.strftime('%Y-%m-%d')} · {machine()} · {args.threads} threads each · median of {args.runs} runs · "
              f"cblas_sgemm {rate:.0f} GFLOP/s")
    import diffusers
    import torch
    header += f" · PyTorch {torch.__version__}, diffusers {diffusers.__version__}"
    print(header)
    tables = [header, ""]
    args.cache.mkdir(parents=True, exist_ok=True)
    for name in args.configs.split(","):
        if name in ATTENTION:
            table = attention_rows(name, bench, env, args.threads, rate)
            print("\n" + "\n".join(table))
            tables += table + [""]
            continue
        config = CONFIGS[name]
        folder = folder_of(config, args.cache)
        noise = args.cache / f"{name}-noise.safetensors"
        write_noise(folder, config, noise)
        ours, theirs, theirs_bf16 = [], [], []
        for _ in range(args.runs):
            theirs.append(torch_run(folder, noise, config, env, args.threads))
            if args.precision == "bf16":
                theirs_bf16.append(torch_run(folder, noise, config, env, args.threads, "bf16"))
            ours.append(zoetrope_run(binary, folder, noise, config, env, args.precision))
        flops = wan_transformer_flops(folder, config)
        if args.precision == "bf16":
            table = render_bf16(config, ours, theirs, theirs_bf16, flops, rate)
        else:
            table = render(config, ours, theirs, flops, rate)
        print("\n" + "\n".join(table))
        tables += table + [""]
    if args.markdown:
        with open(args.markdown, "a") as f:
            f.write("\n".join(tables) + "\n")


def render(config: Config, ours: list[dict], theirs: list[dict], flops: float, rate: float) -> list[str]:
    def median(rows, key):
        return statistics.median(r[key] for r in rows) if rows else float("nan")

    per_step = lambda rows: median(rows, "denoise") / config.steps
    lines = [f"**{config.describe}**", "",
             "| | PyTorch | Zoetrope | Zoetrope / PyTorch |", "|---|---|---|---|"]

    def row(label, a, b, unit, digits=3):
        ratio = b / a if a == a and a else float("nan")
        lines.append(f"| {label} | {a:.{digits}f} {unit} | {b:.{digits}f} {unit} | {ratio:.2f} |")

    row("text encode", median(theirs, "encode"), median(ours, "encode"), "s")
    row("denoising step", per_step(theirs), per_step(ours), "s")
    row("VAE decode", median(theirs, "decode"), median(ours, "decode"), "s")
    row("whole call", median(theirs, "call"), median(ours, "call"), "s")
    row("peak memory (own VmHWM)", median(theirs, "peak_mib"), median(ours, "peak_mib"), "MiB", 0)
    row("peak memory (/usr/bin/time)", median(theirs, "outside_mib"), median(ours, "outside_mib"), "MiB", 0)
    if theirs:
        lines.append(f"| PyTorch after `import torch` | {median(theirs, 'baseline_mib'):.0f} MiB | | |")
    gflops = lambda rows: flops / per_step(rows) / 1e9
    if flops != flops:
        return lines
    lines.append(f"| step GFLOP/s ({flops / 1e9:.2f} GFLOP counted) | {gflops(theirs):.1f} ({gflops(theirs) / rate:.0%} of sgemm) "
                 f"| {gflops(ours):.1f} ({gflops(ours) / rate:.0%} of sgemm) | |")
    return lines


def render_bf16(config: Config, ours: list[dict], theirs: list[dict], theirs_bf16: list[dict], flops: float,
                rate: float) -> list[str]:
    """Zoetrope with --precision bf16 next to PyTorch in fp32 and in bfloat16."""
    def median(rows, key):
        return statistics.median(r[key] for r in rows) if rows else float("nan")

    per_step = lambda rows: median(rows, "denoise") / config.steps
    lines = [f"**{config.describe}, Zoetrope `--precision bf16`**", "",
             "| | PyTorch fp32 | PyTorch bf16 | Zoetrope bf16 | Zoetrope / PyTorch fp32 | Zoetrope / PyTorch bf16 |",
             "|---|---|---|---|---|---|"]

    def row(label, a, a16, b, unit, digits=3):
        ratio = lambda x: b / x if x == x and x else float("nan")
        lines.append(f"| {label} | {a:.{digits}f} {unit} | {a16:.{digits}f} {unit} | {b:.{digits}f} {unit} "
                     f"| {ratio(a):.2f} | {ratio(a16):.2f} |")

    for label, key in [("text encode", "encode"), ("VAE decode", "decode"), ("whole call", "call")]:
        row(label, median(theirs, key), median(theirs_bf16, key), median(ours, key), "s")
    row("denoising step", per_step(theirs), per_step(theirs_bf16), per_step(ours), "s")
    row("peak memory (/usr/bin/time)", median(theirs, "outside_mib"), median(theirs_bf16, "outside_mib"),
        median(ours, "outside_mib"), "MiB", 0)
    if flops == flops:
        g = lambda rows: flops / per_step(rows) / 1e9
        lines.append(f"| step GFLOP/s ({flops / 1e9:.2f} GFLOP counted) | {g(theirs):.1f} | {g(theirs_bf16):.1f} "
                     f"| {g(ours):.1f} ({g(ours) / rate:.0%} of fp32 sgemm) | | |")
    return lines


if __name__ == "__main__":
    main()
