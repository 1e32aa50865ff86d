"""Trains tiny-shapes-unet, the bundled twin of tiny-shapes: the same world (one or two objects,
v2's data) learned by the article's first video network, a pseudo-3D UNet
(diffusers `UNet3DConditionModel`: each 3x3 spatial conv followed by a 3x1x1 temporal conv, each
spatial attention by a temporal one) over a 2-D `AutoencoderKL` applied frame by frame, with a
small `CLIPTextModel`, exported as a `TextToVideoSDPipeline` folder.

Stages (each checkpoints and resumes; run them in order, or `all`):
  tokenizer  a CLIP-style byte-level BPE on the world's captions (vocab.json + merges.txt)
  vae        AutoencoderKL: 64x64 frames -> 8x8x8 latents, trained on single frames
  latents    encode a pool of clips, with their object masks at latent resolution; the VAE's
             scaling_factor becomes 1 / std of the pool
  unet       UNet3DConditionModel + CLIPTextModel jointly: v-prediction on the scaled-linear
             schedule rescaled to zero terminal SNR (the sampler starts from pure noise, so a
             background's mean colour is not fixed by the noise), object-weighted loss
  export     write the diffusers folder (fp16 UNet and text encoder) and latent_preview.json
  keep       copy the tokenizer and the weights into tools/train/checkpoints/unet/ for git; the
             stages start from them when the runs folder is empty (a new machine)

  .venv/bin/python tools/train/train_unet.py all --minutes 60     # resumes wherever it stopped

Checkpoints live under ~/.cache/zoetrope-train/unet/ ($ZOETROPE_TRAIN_RUNS replaces
~/.cache/zoetrope-train). A SIGTERM or SIGINT saves a checkpoint before exiting.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import train as T  # noqa: E402  (the world's data, checkpoint helpers, signal handling)
import shapes_world as world  # noqa: E402
from clip_bpe import train_clip_bpe  # noqa: E402

# The world of tiny-shapes v2 (two-object scenes in 40% of clips), in runs/unet and checkpoints/unet.
T.use_recipe("v2")
T.RUNS, T.RECIPE_NAME = os.path.join(T.RUNS_BASE, "unet"), "unet"
path, kept_path, log_row, save_atomic = T.path, T.kept_path, T.log_row, T.save_atomic
FRAMES, SIZE = T.FRAMES, T.SIZE
MAX_TEXT = 77  # CLIP's context; TextToVideoSDPipeline pads every prompt to tokenizer.model_max_length

# 64x64 frames -> 8x8x8 latents (three downsamplings; 24x fewer numbers than the frame).
# One GroupNorm group: each norm takes one mean and one scale over all of a frame's channels and
# positions. With 16 groups (2-4 channels each; steps 1-3000) the objects' colours were lost:
# on a frame of flat colours a group's few channels keep little but their sign pattern after
# normalisation. Measured (vae_probe.py --twin --clips 4): 16 groups at step 3000 read colour
# 37.5%, and 430-460 more steps on object crops or at object gain 16 stayed at 31-34%; an MLP
# probe read the object's colour from the encoder's features at 97-100% down to 32x32 and 34-38%
# from 8x8 on. Switched to 1 group at step 3000 (the weights carry over: GroupNorm's are per
# channel), 783 steps later: colour 93.8%, background 100%, shape 68.8%, motion 100%.
VAE_CONFIG = dict(in_channels=3, out_channels=3, down_block_types=["DownEncoderBlock2D"] * 4,
                  up_block_types=["UpDecoderBlock2D"] * 4, block_out_channels=[32, 64, 64, 64], layers_per_block=1,
                  latent_channels=8, norm_num_groups=1, sample_size=SIZE)
LATENT_SCALE = 2 ** (len(VAE_CONFIG["block_out_channels"]) - 1)  # 8: pixels per latent pixel
# Per the naming trap of UNet3DConditionModel, attention_head_dim is the head *width*: 16, so 4
# heads at 64 channels and 6 at 96; transformer_in has 8 heads of 16. Attention at 8x8 and 4x4
# (and in the mid block at 2x2). 6.20 M parameters, 12.4 MB in fp16.
# Why 8x8 latents and not 16x16 (the first design): timed in PyTorch on this 2-core machine, a
# batch-16 training step of 17 frames and one CFG inference step (batch 2) took
#   16x16x4 latents, widths 64/96/96, attention at 16x16 and 8x8:   25-51 s,  0.87-1.28 s
#   16x16x4, attention only from 8x8 (DownBlock3D first):            13-14 s,  0.62-0.71 s
#   16x16x4, attention from 8x8, widths 32/96/96:                     13-18 s,  0.62-0.72 s
#   8x8x8, widths 64/96/96, attention at 8x8 and 4x4 (this one):      4.5-5.9 s, 0.20-0.23 s
# The 16x16 designs buy fewer than 2,300 steps in 8 CPU-hours and cannot denoise 20 steps inside
# issue #21's 5 s; this one buys ~5,500 steps and its 20 steps take ~4 s in PyTorch.
UNET_CONFIG = dict(sample_size=SIZE // LATENT_SCALE, in_channels=8, out_channels=8,
                   down_block_types=["CrossAttnDownBlock3D", "CrossAttnDownBlock3D", "DownBlock3D"],
                   up_block_types=["UpBlock3D", "CrossAttnUpBlock3D", "CrossAttnUpBlock3D"],
                   block_out_channels=[64, 96, 96], layers_per_block=1, norm_num_groups=16,
                   cross_attention_dim=64, attention_head_dim=16)
TEXT_CONFIG = dict(hidden_size=64, intermediate_size=256, num_hidden_layers=3, num_attention_heads=4,
                   max_position_embeddings=MAX_TEXT, hidden_act="quick_gelu", projection_dim=64)
# The sampler the folder ships: DDIM over the zero-terminal-SNR schedule, trailing timesteps
# (the first step at t = 999, pure noise), predicting v.
SCHEDULER_CONFIG = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                        clip_sample=False, set_alpha_to_one=False, steps_offset=0, prediction_type="v_prediction",
                        rescale_betas_zero_snr=True, timestep_spacing="trailing")


# ----------------------------------------------------------------------------- tokenizer
def stage_tokenizer(args) -> None:  # noqa: ARG001
    out = path("tokenizer")
    if os.path.exists(os.path.join(out, "vocab.json")):
        print("tokenizer: done"); return
    if os.path.exists(kept_path("tokenizer")):
        import shutil
        shutil.copytree(kept_path("tokenizer"), out, dirs_exist_ok=True)
        print("tokenizer: copied the kept", kept_path("tokenizer")); return
    lines = sorted(T.tokenizer_corpus(two_objects=True))
    # ~1000 pieces: every world word whole (checked below), the rest in byte pieces.
    train_clip_bpe(lines, vocab_size=1000, out_dir=out, pad_token="<|endoftext|>")
    tok = load_tokenizer()
    words = (set(world.BACKGROUNDS) | {w for names in world.SHAPE_SYNONYMS.values() for w in names}
             | {w for phrases in world.MOTION_PHRASES.values() for p in phrases for w in p.split()} | {"background"})
    split = sorted(w for w in words if len(tok.tokenize(w)) > 1)
    print(f"tokenizer: {len(tok)} pieces, {out}; world words split into pieces: {split or 'none'}")


def load_tokenizer():
    from transformers import CLIPTokenizer
    return CLIPTokenizer.from_pretrained(path("tokenizer"), model_max_length=MAX_TEXT)


def encode_text(tok, te, captions: list[str]) -> torch.Tensor:
    """As TextToVideoSDPipeline.encode_prompt: pad to 77 tokens, no attention mask (CLIPTextConfig
    has no use_attention_mask), last hidden state. [B, 77, 64]"""
    ids = tok(captions, padding="max_length", max_length=MAX_TEXT, truncation=True, return_tensors="pt").input_ids
    return te(ids).last_hidden_state


# ----------------------------------------------------------------------------- vae
def frame_batch(rng: random.Random, clips: int, per_clip: int, exclude) -> tuple[torch.Tensor, torch.Tensor]:
    """`clips · per_clip` 64x64 frames [N, 3, 64, 64] in [-1, 1], a few from each rendered clip
    (moving, growing and two-object frames alike), and their object masks [N, 1, 64, 64]."""
    x, items = T.batch_clips(rng, clips, FRAMES, SIZE, exclude)  # [B, 3, F, 64, 64]
    obj = T.object_pixels(x, items)
    picks = [(b, f) for b in range(clips) for f in rng.sample(range(FRAMES), per_clip)]
    return (torch.stack([x[b, :, f] for b, f in picks]), torch.stack([obj[b, :, f] for b, f in picks]))


def stage_vae(args) -> None:
    from diffusers import AutoencoderKL
    torch.manual_seed(0)
    vae = AutoencoderKL(**VAE_CONFIG)
    opt = torch.optim.AdamW(vae.parameters(), lr=1e-3, weight_decay=0.0)
    ck = path("vae.pt")
    step, rng, warm_from = 0, random.Random(111), 0
    if os.path.exists(ck):
        state = torch.load(ck, weights_only=False)
        vae.load_state_dict(state["model"]); opt.load_state_dict(state["opt"])
        step, rng, warm_from = state["step"], state["rng"], state.get("warm_from", 0)
    elif os.path.exists(kept_path("vae.safetensors")):
        weights, meta = T.load_kept("vae.safetensors")
        vae.load_state_dict(weights)
        step, rng = int(meta["step"]), T.rng_from_json(meta["rng"])
        warm_from = step
        print(f"vae: starting from the kept checkpoint at step {step}")
    if step >= args.vae_steps:
        print("vae: done"); return
    print(f"vae: {sum(p.numel() for p in vae.parameters()) / 1e6:.2f} M parameters")
    held = world.held_out_combos()
    object_gain = T.RECIPE["vae_object_gain"] if args.vae_object_gain is None else args.vae_object_gain
    print(f"vae: object pixels weighted 1 + {object_gain}")
    t_end = time.time() + args.minutes * 60
    vae.train()

    def save() -> None:
        save_atomic(dict(model=vae.state_dict(), opt=opt.state_dict(), step=step, rng=rng, warm_from=warm_from), ck)
    while step < args.vae_steps and not T.stop_requested and time.time() < t_end:
        t0 = time.time()
        x, obj = frame_batch(rng, 8, 3, held)  # 24 frames
        # the loss and schedule of tiny-shapes' Wan VAE; the object gain of its v2 recipe unless overridden
        loss, rec, kl = T.vae_step(vae, opt, x, obj, object_gain, step, args.vae_steps, warm_from)
        step += 1
        log_row("vae", dict(step=step, loss=round(loss.item(), 5), rec=round(rec.item(), 5),
                            kl=round(kl.item(), 4), sec=round(time.time() - t0, 3)))
        if step % 50 == 0:
            print(f"vae step {step} loss {loss.item():.4f} rec {rec.item():.4f} kl {kl.item():.3f} "
                  f"({time.time() - t0:.2f}s/step)", flush=True)
        if step % 100 == 0:
            save()
    save()
    print(f"vae: stopped at step {step}")


def load_vae(scaling_factor: float | None = None):
    from diffusers import AutoencoderKL
    vae = AutoencoderKL(**VAE_CONFIG, **({} if scaling_factor is None else dict(scaling_factor=scaling_factor)))
    if os.path.exists(path("vae.pt")):
        vae.load_state_dict(torch.load(path("vae.pt"), weights_only=False)["model"])
    else:
        vae.load_state_dict(T.load_kept("vae.safetensors")[0])
    return vae.eval()


# ----------------------------------------------------------------------------- latents
def stage_latents(args) -> None:
    """Latents [8, F, 8, 8] (the posterior mean, fp16) of `--pool` clips, with their object
    masks at latent resolution [1, F, 8, 8] (an 8x8 pixel block holding any object pixel; not
    widened, as an 8x8 block is already wider than the edge it holds), and the pool's std."""
    out = path("latents.pt")
    state = torch.load(out, weights_only=False) if os.path.exists(out) else dict(z=[], obj=[], specs=[],
                                                                                  rng=random.Random(123))
    vae = load_vae()
    held = world.held_out_combos()
    with torch.no_grad():
        while len(state["z"]) < args.pool and not T.stop_requested:
            x, items = T.batch_clips(state["rng"], 16, FRAMES, SIZE, held)  # [16, 3, F, 64, 64]
            z = vae.encode(T.clips_to_frames(x)).latent_dist.mean  # [16·F, 8, 8, 8]
            z = T.frames_to_clips(z, FRAMES)  # [16, 8, F, 8, 8]
            obj = F.max_pool3d(T.object_pixels(x, items), (1, LATENT_SCALE, LATENT_SCALE)) > 0  # [16, 1, F, 8, 8]
            state["z"].extend(list(z.half())); state["obj"].extend(list(obj)); state["specs"].extend(items)
            if len(state["z"]) % 256 == 0:
                save_atomic(state, out); print("latents:", len(state["z"]), flush=True)
    zs = torch.stack([z.float() for z in state["z"]])
    state["mean"] = zs.mean(dim=(0, 2, 3, 4)).tolist()
    state["std"] = zs.std(dim=(0, 2, 3, 4)).tolist()
    state["scaling_factor"] = 1.0 / zs.std().item()
    save_atomic(state, out)
    print(f"latents: {len(zs)} clips; per-channel mean {[round(v, 3) for v in state['mean']]}, "
          f"std {[round(v, 3) for v in state['std']]}; scaling_factor {state['scaling_factor']:.4f}")


# ----------------------------------------------------------------------------- unet
def new_models(tok):
    from diffusers import UNet3DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel
    te = CLIPTextModel(CLIPTextConfig(vocab_size=len(tok), bos_token_id=tok.bos_token_id,
                                      eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id, **TEXT_CONFIG))
    return te, UNet3DConditionModel(**UNET_CONFIG)


def training_schedule():
    from diffusers import DDIMScheduler
    return DDIMScheduler(**SCHEDULER_CONFIG)


def stage_unet(args) -> None:
    tok = load_tokenizer()
    lat = torch.load(path("latents.pt"), weights_only=False)
    scale = lat["scaling_factor"]
    zs = torch.stack([z.float() for z in lat["z"]]) * scale  # [N, 8, F, 8, 8], as the pipeline sees them
    obj = torch.stack(lat["obj"]).float()  # [N, 1, F, 8, 8]
    specs = lat["specs"]
    weights = 1 + args.object_gain * obj
    print(f"unet: {len(zs)} pool clips; object share of latent positions {obj.mean():.3f}, gain {args.object_gain}")
    alphas = training_schedule().alphas_cumprod.float()  # [1000]; alphas[999] = 0 (zero terminal SNR)
    torch.manual_seed(1)
    te, unet = new_models(tok)
    print(f"unet: UNet {sum(p.numel() for p in unet.parameters()) / 1e6:.2f} M, "
          f"text encoder {sum(p.numel() for p in te.parameters()) / 1e6:.2f} M parameters")
    params = list(te.parameters()) + list(unet.parameters())
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    ck = path("unet.pt")
    step, rng, warm_from = 0, random.Random(131), 0
    if os.path.exists(ck):
        state = torch.load(ck, weights_only=False)
        te.load_state_dict(state["te"]); unet.load_state_dict(state["unet"]); opt.load_state_dict(state["opt"])
        step, rng, warm_from = state["step"], state["rng"], state.get("warm_from", 0)
        torch.set_rng_state(state["torch_rng"])
    elif os.path.exists(kept_path("unet.safetensors")):
        kept, meta = T.load_kept("unet.safetensors")
        te.load_state_dict({k[3:]: v.float() for k, v in kept.items() if k.startswith("te.")})
        unet.load_state_dict({k[5:]: v.float() for k, v in kept.items() if k.startswith("unet.")})
        step, rng = int(meta["step"]), T.rng_from_json(meta["rng"])
        warm_from = step  # fresh Adam moments: warm up again
        torch.manual_seed(step)
        print(f"unet: starting from the kept checkpoint at step {step}")
    if step >= args.unet_steps:
        print("unet: done"); return
    t_end = time.time() + args.minutes * 60
    te.train(); unet.train()

    def save() -> None:
        save_atomic(dict(te=te.state_dict(), unet=unet.state_dict(), opt=opt.state_dict(), step=step, rng=rng,
                         torch_rng=torch.get_rng_state(), warm_from=warm_from), ck)
    while step < args.unet_steps and not T.stop_requested and time.time() < t_end:
        t0 = time.time()
        idx = [rng.randrange(len(zs)) for _ in range(args.batch)]
        x0, w = zs[idx], weights[idx]
        caps = [T.caption_of(specs[i], rng) if rng.random() > 0.1 else "" for i in idx]  # 10% unconditional
        t = torch.randint(0, 1000, (len(idx),))
        a = alphas[t].view(-1, 1, 1, 1, 1)
        noise = torch.randn_like(x0)
        xt = a.sqrt() * x0 + (1 - a).sqrt() * noise
        target = a.sqrt() * noise - (1 - a).sqrt() * x0  # v
        pred = unet(xt, t, encode_text(tok, te, caps)).sample
        loss = (w * (pred - target) ** 2).mean() / w.mean()
        T.optimiser_step(opt, params, loss, args.lr, step, args.unet_steps, warmup=200, warm_from=warm_from)
        step += 1
        T.log_step("unet", step, loss, t0, print_every=50, save_every=200, save=save)
    save()
    print(f"unet: stopped at step {step}")


# ----------------------------------------------------------------------------- export / keep
def build_pipeline():
    from diffusers import DDIMScheduler, TextToVideoSDPipeline
    tok = load_tokenizer()
    lat = torch.load(path("latents.pt"), weights_only=False)
    vae = load_vae(scaling_factor=lat["scaling_factor"])
    te, unet = new_models(tok)
    state = torch.load(path("unet.pt"), weights_only=False)
    te.load_state_dict(state["te"]); unet.load_state_dict(state["unet"])
    return TextToVideoSDPipeline(vae=vae, text_encoder=te.eval(), tokenizer=tok, unet=unet.eval(),
                                 scheduler=DDIMScheduler(**SCHEDULER_CONFIG)), state["step"]


def stage_export(args) -> None:
    from safetensors.torch import load_file, save_file
    pipe, step = build_pipeline()
    pipe.save_pretrained(args.out, safe_serialization=True)
    for comp, fname in [("unet", "diffusion_pytorch_model.safetensors"), ("text_encoder", "model.safetensors")]:
        p = os.path.join(args.out, comp, fname)
        save_file({k: v.half() for k, v in load_file(p).items()}, p, metadata={"format": "pt"})
    with open(os.path.join(args.out, "zoetrope.json"), "w") as f:
        json.dump({"defaults": {"frames": FRAMES, "width": SIZE, "height": SIZE, "steps": 20,
                                "guidance_scale": 5.0}}, f, indent=2)
    write_latent_preview(pipe.vae, os.path.join(args.out, "latent_preview.json"))
    print(f"exported UNet step {step} to {args.out}")


@torch.no_grad()
def write_latent_preview(vae, out: str, clips: int = 32) -> None:
    """The engine's cheap preview for this VAE: scaled latent channels -> RGB in [-1, 1], one linear
    map with bias, fitted by least squares against the frames pooled to latent resolution."""
    rng = random.Random(97)
    x, _ = T.batch_clips(rng, clips, FRAMES, SIZE, None)
    frames = T.clips_to_frames(x)  # [N·F, 3, 64, 64]
    z = vae.encode(frames).latent_dist.mean * vae.config.scaling_factor  # [N, 8, 8, 8]
    target = F.avg_pool2d(frames, LATENT_SCALE)  # [N, 3, 8, 8]
    X = z.permute(0, 2, 3, 1).reshape(-1, z.shape[1])
    X = torch.cat([X, torch.ones(len(X), 1)], dim=1).double()
    Y = target.permute(0, 2, 3, 1).reshape(-1, 3).double()
    W = torch.linalg.lstsq(X, Y).solution
    error = ((X @ W - Y) ** 2).mean().sqrt().item()
    with open(out, "w") as f:
        json.dump({"weights": W[:-1].T.tolist(), "bias": W[-1].tolist(),
                   "fit": {"clips": clips, "rms_error": round(error, 4)}}, f, indent=1)
    print(f"latent preview map: rms error {error:.3f}; pixels in [-1, 1]")


def stage_keep(args) -> None:  # noqa: ARG001
    """Copies the tokenizer, the VAE (fp32) and the UNet and text encoder (fp16) with their steps
    and data rngs into tools/train/checkpoints/unet/, and the loss logs into
    tools/train/history/unet/, for git; no optimiser moments."""
    import shutil
    os.makedirs(os.path.join(T.KEPT, T.RECIPE_NAME), exist_ok=True)
    kept = []
    if os.path.exists(path("tokenizer", "vocab.json")):
        shutil.copytree(path("tokenizer"), kept_path("tokenizer"), dirs_exist_ok=True)
        kept.append("tokenizer")
    step = T.keep_checkpoint("vae", ["model"], half=False, configs=dict(config=VAE_CONFIG))
    if step is not None:
        kept.append(f"VAE step {step}")
    step = T.keep_checkpoint("unet", ["te", "unet"], half=True,
                             configs=dict(unet_config=UNET_CONFIG, text_config=TEXT_CONFIG))
    if step is not None:
        kept.append(f"UNet step {step}")
    for stage in ["vae", "unet"]:
        if T.keep_history(stage):
            kept.append(f"{stage} loss history")
    if not kept:
        raise SystemExit(f"keep: {T.RUNS} holds nothing to keep")
    print(f"keep: {os.path.join(T.KEPT, T.RECIPE_NAME)} ({', '.join(kept)})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("stage", choices=["tokenizer", "vae", "latents", "unet", "export", "keep", "all"])
    ap.add_argument("--minutes", type=float, default=1e9, help="stop this stage after this long (resumable)")
    ap.add_argument("--vae-steps", type=int, default=6000,
                    help="vae: the cosine schedule's length (3000 until step 3000, 6000 since the switch to one "
                         "GroupNorm group; every chunk must pass the same value)")
    ap.add_argument("--vae-object-gain", type=float, default=None,
                    help="vae: extra loss weight on object pixels (default: v2's recipe, 4)")
    ap.add_argument("--pool", type=int, default=8192, help="clips encoded to latents for the UNet")
    # 4,000 steps fit issue #21's 8 CPU-hours with the VAE (~1 h 45 min, 14 min of it lost with a
    # machine) and the latents: ~6 h at 4.5-5.9 s a step. The cosine schedule ends at this step, so
    # every chunk of one run must pass the same value.
    ap.add_argument("--unet-steps", type=int, default=4000)
    ap.add_argument("--batch", type=int, default=16, help="unet: clips per step")
    ap.add_argument("--lr", type=float, default=3e-4, help="unet: peak learning rate (AdamW, cosine to 10%%)")
    ap.add_argument("--object-gain", type=float, default=9.0, help="unet: extra loss weight on object positions")
    ap.add_argument("--out", default=os.path.join(HERE, "..", "..", "Sources", "BundledModels", "Resources",
                                                  "tiny-shapes-unet"))
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    stages = ["tokenizer", "vae", "latents", "unet", "export"] if args.stage == "all" else [args.stage]
    for s in stages:
        if T.stop_requested:
            break
        globals()[f"stage_{s}"](args)


if __name__ == "__main__":
    main()
