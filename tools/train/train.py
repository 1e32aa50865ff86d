"""Trains Zoetrope's bundled tiny-shapes model with the diffusers / transformers classes
the Swift engine implements, and exports it as a diffusers folder.

Stages (each checkpoints and resumes; run them in order, or `all`):
  tokenizer  train a sentencepiece Unigram vocabulary on the world's captions
  vae        train AutoencoderKLWan (3D causal, 4x temporal / 4x spatial, z=8)
  decoder    (not in `all`) fine-tune the VAE decoder at 64x64, encoder frozen (latents stay valid)
  latents    encode a pool of clips to latents; measure per-channel mean / std
  dit        train WanTransformer3DModel + a small UMT5 encoder jointly (flow matching)
  export     write the diffusers folder (fp16 weights) and the model card's numbers
  adopt      rebuild the runs folder from a shipped folder, to go on training on a new machine:
             train.py adopt --recipe v1 --adopt-step 20956 && train.py latents --recipe v1 --pool 8192
  keep       copy the tokenizer, VAE and DiT weights into tools/train/checkpoints/<recipe>/ for git;
             the stages above start from them when the runs folder is empty (a new machine)

  python tools/train/train.py all            # resumes wherever it stopped
  python tools/train/train.py dit --minutes 60

`--recipe v1` is the shipped one-object model, `--recipe v2` (the default) the second
generation: two-object scenes, a z-16 VAE. Checkpoints live under
~/.cache/zoetrope-train/<recipe>/ ($ZOETROPE_TRAIN_RUNS replaces ~/.cache/zoetrope-train), not in
git and not in the work tree. A SIGTERM or SIGINT saves a checkpoint before exiting, so a session
that ends mid-stage loses at most one step.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import random
import signal
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import shapes_world as world  # noqa: E402
import loss_history  # noqa: E402

# Checkpoints live outside the work tree: a machine is handed back with its home folder but its
# work tree laid anew, and runs/ inside the tree was lost that way twice.
RUNS_BASE = os.environ.get("ZOETROPE_TRAIN_RUNS",
                           os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "zoetrope-train"))
FRAMES, SIZE, FPS = 17, 64, 8
MAX_SEQ = 512  # WanPipeline's default max_sequence_length: train as the pipeline infers

# Recipes: v1 is the shipped tiny-shapes (one object; VAE z 8 trained on 32x32 renders of the
# world scaled down); v2 adds two-object scenes and a VAE with twice the latent channels trained
# on 32x32 crops of full-size renders, its loss weighted on the objects.
RECIPES = {
    "v1": dict(
        vae=dict(base_dim=16, z_dim=8, dim_mult=[1, 2, 2], num_res_blocks=1, attn_scales=[],
                 temperal_downsample=[True, True], dropout=0.0, scale_factor_spatial=4, scale_factor_temporal=4),
        vae_data="scaled", two_object_share=0.0, vae_object_gain=0.0),
    "v2": dict(
        vae=dict(base_dim=16, z_dim=16, dim_mult=[1, 2, 2], num_res_blocks=1, attn_scales=[],
                 temperal_downsample=[True, True], dropout=0.0, scale_factor_spatial=4, scale_factor_temporal=4),
        vae_data="crops", two_object_share=0.4, vae_object_gain=4.0,
        # two objects to bind (colour, shape and motion each) ask more of both networks
        dit=dict(num_attention_heads=5, ffn_dim=640, num_layers=6, text_dim=96),
        text=dict(d_model=96, d_kv=16, d_ff=256, num_layers=3, num_heads=6)),
}
# v2 with half the temporal compression (17 frames -> 9 latent frames): a probe of whether the
# v2 VAE's shape ceiling (~86% on moving objects, issue #21) comes from squeezing 4 frames of a
# moving object into one latent frame.
RECIPES["v2-t2"] = dict(RECIPES["v2"], vae=dict(RECIPES["v2"]["vae"], temperal_downsample=[True, False],
                                                  scale_factor_temporal=2))
BASE_DIT_CONFIG = dict(patch_size=(1, 2, 2), num_attention_heads=4, attention_head_dim=32,
                       in_channels=8, out_channels=8, text_dim=64, freq_dim=256, ffn_dim=512,
                       num_layers=4, cross_attn_norm=True, qk_norm="rms_norm_across_heads",
                       eps=1e-6, rope_max_seq_len=1024)
BASE_TEXT_CONFIG = dict(d_model=64, d_kv=16, d_ff=128, num_layers=2, num_heads=4,
                        relative_attention_num_buckets=32, relative_attention_max_distance=128,
                        feed_forward_proj="gated-gelu", dropout_rate=0.0, layer_norm_epsilon=1e-6,
                        tie_word_embeddings=False, pad_token_id=0, eos_token_id=1,
                        decoder_start_token_id=0)


def use_recipe(name: str) -> None:
    """Selects a recipe: its configs, and runs/<name> under RUNS_BASE for its checkpoints."""
    global RECIPE, VAE_CONFIG, DIT_CONFIG, TEXT_CONFIG, RUNS, RECIPE_NAME
    RECIPE, RECIPE_NAME = RECIPES[name], name
    VAE_CONFIG = RECIPE["vae"]
    z = VAE_CONFIG["z_dim"]
    DIT_CONFIG = BASE_DIT_CONFIG | RECIPE.get("dit", {}) | dict(in_channels=z, out_channels=z)
    TEXT_CONFIG = BASE_TEXT_CONFIG | RECIPE.get("text", {})
    RUNS = os.path.join(RUNS_BASE, name)


use_recipe("v2")


# Checkpoints kept in git. The runs folder lives outside the work tree, and on 2026-12-07 it did not
# survive a change of machine either (home folder and all: 4 h 50 min of v2 training lost). `keep`
# copies the tokenizer and the VAE's and DiT's weights (without optimiser moments) with their
# steps and data rngs into tools/train/checkpoints/<recipe>/. A stage whose runs/ checkpoint is
# missing starts from the kept one and warms its learning rate up again (100 steps for the VAE,
# 200 for the DiT: its Adam moments start afresh). The latent pool is not kept: `latents`
# re-encodes it from the kept VAE (same seed, same clips).
KEPT = os.path.join(HERE, "checkpoints")


def kept_path(name: str) -> str:
    return os.path.join(KEPT, RECIPE_NAME, name)


def rng_from_json(text: str) -> random.Random:
    version, internal, gauss = json.loads(text)
    rng = random.Random()
    rng.setstate((version, tuple(internal), gauss))
    return rng


def stage_keep(args) -> None:  # noqa: ARG001
    """Copies what runs/<recipe>/ has trained into tools/train/checkpoints/<recipe>/, for git:
    the tokenizer (the DiT's embeddings are indexed by its pieces), the VAE's weights (fp32) with
    its step and data rng, and the text encoder's and DiT's weights (fp16) with theirs; no
    optimiser moments. The loss logs go to tools/train/history/<recipe>/ (`keep_history`)."""
    import shutil
    os.makedirs(os.path.join(KEPT, RECIPE_NAME), exist_ok=True)
    kept = []
    if os.path.exists(path("tokenizer", "spiece.model")):
        shutil.copy(path("tokenizer", "spiece.model"), kept_path("spiece.model"))
        kept.append("tokenizer")
    step = keep_checkpoint("vae", ["model"], half=False, configs=dict(config=VAE_CONFIG))
    if step is not None:
        kept.append(f"VAE step {step}")
    # fp16 halves what each kept step adds to git (6 MB, not 12). Its rounding, at most 2^-11
    # (4.9e-4) relative, is about one Adam step at the peak learning rate 4e-4, taken once.
    step = keep_checkpoint("dit", ["te", "dit"], half=True, configs=dict(dit_config=DIT_CONFIG, text_config=TEXT_CONFIG))
    if step is not None:
        kept.append(f"DiT step {step}")
    for stage in ["vae", "dit"]:
        if keep_history(stage):
            kept.append(f"{stage} loss history")
    if not kept:
        raise SystemExit(f"keep: {RUNS} holds nothing to keep (no tokenizer, vae.pt or dit.pt)")
    print(f"keep: {os.path.join(KEPT, RECIPE_NAME)} ({', '.join(kept)})")


def keep_history(name: str) -> int:
    """Merges runs/<recipe>/<name>_log.csv into tools/train/history/<recipe>/<name>.csv (in git, so
    the loss curves outlive the machine that trained; `loss_history.merge`). Returns the number of
    rows the history holds."""
    return len(loss_history.merge(path(f"{name}_log.csv"), os.path.join(HERE, "history", RECIPE_NAME, f"{name}.csv")))


def keep_checkpoint(name: str, entries: list[str], half: bool, configs: dict) -> int | None:
    """Writes the networks of runs/<recipe>/<name>.pt to tools/train/checkpoints/<recipe>/<name>.safetensors
    (fp16 if `half`, else fp32), with the step, the data rng and `configs` (each as JSON) as metadata,
    and no optimiser moments. `entries` name the state's networks: "model" keeps its keys bare
    (a VAE), any other entry prefixes them "<entry>." (te., dit., unet.). Returns the step, or None
    when there is no such checkpoint."""
    from safetensors.torch import save_file
    if not os.path.exists(path(f"{name}.pt")):
        return None
    state = torch.load(path(f"{name}.pt"), weights_only=False)
    tensors = {}
    for entry in entries:
        tensors |= {(k if entry == "model" else f"{entry}.{k}"): v for k, v in state[entry].items()}
    tensors = {k: (v.half() if half else v.float()).contiguous() for k, v in tensors.items()}
    metadata = dict(step=str(state["step"]), rng=json.dumps(state["rng"].getstate()),
                    **{k: json.dumps(v) for k, v in configs.items()})
    # safetensors writes the metadata in hash order, which changes from process to process: an
    # unchanged network (a VAE kept again with a newer DiT) would be a new multi-MB blob in git.
    if os.path.exists(kept_path(f"{name}.safetensors")):
        kept, kept_meta = load_kept(f"{name}.safetensors")
        if kept_meta == metadata and kept.keys() == tensors.keys() and all(
                kept[k].dtype == v.dtype and torch.equal(kept[k], v) for k, v in tensors.items()):
            return state["step"]
    save_file(tensors, kept_path(f"{name}.safetensors"), metadata=metadata)
    return state["step"]


def load_kept(name: str) -> tuple[dict, dict]:
    """The tensors and metadata of a kept checkpoint, tools/train/checkpoints/<recipe>/<name>."""
    from safetensors import safe_open
    from safetensors.torch import load_file
    with safe_open(kept_path(name), "pt") as f:
        meta = f.metadata()
    return load_file(kept_path(name)), meta


stop_requested = False


def _on_signal(signum, frame):  # noqa: ARG001
    global stop_requested
    stop_requested = True


signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGINT, _on_signal)


def path(*parts: str) -> str:
    p = os.path.join(RUNS, *parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def save_atomic(obj, p: str) -> None:
    tmp = p + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, p)


def log_row(name: str, row: dict) -> None:
    p = path(f"{name}_log.csv")
    new = not os.path.exists(p)
    with open(p, "a", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(row))
        if new:
            w.writeheader()
        w.writerow(row)


# ----------------------------------------------------------------------------- tokenizer
def tokenizer_corpus(two_objects: bool) -> set[str]:
    """The text a tokenizer is trained on: the world's captions in every training phrasing (and
    two-object ones), the canonical caption of every combination, some general sentences and
    every printable ASCII character, so prompts outside the world still tokenise into real
    pieces. Never the held-out phrasings (shapes_world.HELD_OUT_*)."""
    rng = random.Random(7)
    lines = set()
    for _ in range(30000):
        lines.add(world.caption(world.sample_spec(rng), rng))
    if two_objects:
        for _ in range(20000):
            lines.add(world.scene_caption(world.sample_scene(rng), rng))
    for spec in [world.Spec(c, s, m, b) for c, s, m, b in world.all_combos()]:
        lines.add(world.canonical_caption(spec))
    # General words and every printable ASCII character, so prompts outside the world
    # still tokenise into real pieces instead of <unk>.
    general = (
        "the quick brown fox jumps over the lazy dog . a cat sits on a mat in the sun with a hat , "
        "video of a person walking in the city at night ; ocean waves crash on the beach at sunset ! "
        "two dogs play in the park while birds fly over trees and clouds drift across a bright sky ? "
        "slow motion close up of water drops falling into a glass , cinematic lighting , high quality "
        "abstract colorful pattern spinning fast ; mountains covered in snow under a clear night sky "
        "one two three four five six seven eight nine ten 0123456789 ( ) [ ] { } < > : ' \" - _ + = / * & % $ # @ ^ ~ | `"
    ).split(" . ")
    for g in general:
        lines.add(g)
    lines.add("".join(chr(c) for c in range(33, 127)))
    return lines


def stage_tokenizer(args) -> None:
    out = path("tokenizer", "spiece.model")
    if os.path.exists(out):
        print("tokenizer: done")
        return
    if os.path.exists(kept_path("spiece.model")):
        import shutil
        shutil.copy(kept_path("spiece.model"), out)
        print("tokenizer: copied the kept", kept_path("spiece.model"))
        return
    import sentencepiece as spm
    lines = tokenizer_corpus(two_objects=bool(RECIPE["two_object_share"]))
    corpus = path("tokenizer", "corpus.txt")
    with open(corpus, "w") as f:
        f.write("\n".join(sorted(lines)) + "\n")
    spm.SentencePieceTrainer.train(
        input=corpus, model_prefix=out[: -len(".model")], model_type="unigram", vocab_size=384, hard_vocab_limit=False,
        normalization_rule_name="nmt_nfkc", pad_id=0, eos_id=1, unk_id=2, bos_id=-1,
        character_coverage=1.0, byte_fallback=False, num_threads=1)
    print("tokenizer: trained", out)


def load_tokenizer():
    from transformers import T5TokenizerFast
    import sentencepiece as spm
    sp = spm.SentencePieceProcessor(model_file=path("tokenizer", "spiece.model"))
    vocab = [(sp.id_to_piece(i), sp.get_score(i)) for i in range(sp.get_piece_size())]
    tok = T5TokenizerFast(vocab=vocab, eos_token="</s>", unk_token="<unk>", pad_token="<pad>", extra_ids=0)
    return tok


# ----------------------------------------------------------------------------- data
def clip_tensor(rng: random.Random, spec, frames: int, size: int) -> torch.Tensor:
    """One rendered clip [3, F, H, W] in [-1, 1]."""
    return torch.from_numpy(world.render(spec, rng, frames=frames, size=size)).permute(3, 0, 1, 2) * 2 - 1


def batch_clips(rng: random.Random, n: int, frames: int, size: int, exclude) -> tuple[torch.Tensor, list]:
    items, clips = [], []
    for _ in range(n):  # sample, render, sample, …: the rng order the pool and the VAE were made with
        item = sample_item(rng, exclude)
        items.append(item)
        clips.append(item_tensor(rng, item, frames, size))
    return torch.stack(clips), items  # [B, 3, F, H, W]; a Spec or (v2) a two-object Scene each


def caption_of(item, rng: random.Random) -> str:
    """A training caption for a one-object Spec or a two-object Scene."""
    return world.scene_caption(item, rng) if isinstance(item, world.Scene) else world.caption(item, rng)


def sample_item(rng: random.Random, exclude):
    """A one-object Spec, or with the recipe's share a two-object Scene."""
    share = RECIPE["two_object_share"]
    if share and rng.random() < share:
        return world.sample_scene(rng, exclude)
    return world.sample_spec(rng, exclude)


def item_tensor(rng: random.Random, item, frames: int, size: int) -> torch.Tensor:
    """One rendered clip of a Spec or Scene, [3, F, H, W] in [-1, 1]."""
    if isinstance(item, world.Scene):
        clip = world.render_scene(item, rng, frames=frames, size=size)
        return torch.from_numpy(clip).permute(3, 0, 1, 2) * 2 - 1
    return clip_tensor(rng, item, frames, size)


def clips_to_frames(x: torch.Tensor) -> torch.Tensor:
    """Clips [N, C, F, H, W] -> their frames [N·F, C, H, W], clip by clip, for a 2-D network."""
    n, c, f, h, w = x.shape
    return x.permute(0, 2, 1, 3, 4).reshape(n * f, c, h, w)


def frames_to_clips(y: torch.Tensor, frames: int) -> torch.Tensor:
    """The inverse of clips_to_frames: [N·F, C, H, W] -> [N, C, F, H, W]."""
    nf, c, h, w = y.shape
    return y.view(nf // frames, frames, c, h, w).permute(0, 2, 1, 3, 4)


def object_pixels(x: torch.Tensor, items: list) -> torch.Tensor:
    """[B, 1, F, H, W]: 1 where a clip differs from its plain background, widened by a pixel."""
    bg = torch.stack([torch.tensor(world.BACKGROUNDS[i.background], dtype=torch.float32) / 255 * 2 - 1
                      for i in items]).view(-1, 3, 1, 1, 1)
    obj = ((x - bg).abs().amax(1, keepdim=True) > 0.05).float()
    return F.max_pool3d(obj, (1, 3, 3), 1, (0, 1, 1))


def vae_batch(rng: random.Random, n: int, exclude) -> tuple[torch.Tensor, torch.Tensor]:
    """A VAE training batch [n, 3, 17, 32, 32] and its object mask. v1: the world drawn at 32x32
    (objects half as large, moving half as fast as in the 64x64 clips the DiT sees). v2: 32x32
    crops of full-size renders (true object size and speed), each crop holding some object."""
    if RECIPE["vae_data"] == "scaled":
        x, items = batch_clips(rng, n, FRAMES, 32, exclude)
        return x, object_pixels(x, items)
    clips, masks = [], []
    while len(clips) < n:
        item = sample_item(rng, exclude)
        full = item_tensor(rng, item, FRAMES, SIZE).unsqueeze(0)
        obj = object_pixels(full, [item])
        y0, x0 = rng.randrange(0, SIZE - 32 + 1, 4), rng.randrange(0, SIZE - 32 + 1, 4)
        crop, m = full[..., y0:y0 + 32, x0:x0 + 32], obj[..., y0:y0 + 32, x0:x0 + 32]
        if m.mean() < 0.01 and rng.random() < 0.8:  # mostly crops with an object in them
            continue
        clips.append(crop); masks.append(m)
    return torch.cat(clips), torch.cat(masks)


# ----------------------------------------------------------------------------- vae
def log_step(name: str, step: int, loss: torch.Tensor, t0: float, print_every: int, save_every: int, save) -> None:
    """After a training step: appends its loss and time to runs/<recipe>/<name>_log.csv, prints them
    every `print_every` steps and calls `save` every `save_every`."""
    log_row(name, dict(step=step, loss=round(loss.item(), 5), sec=round(time.time() - t0, 3)))
    if step % print_every == 0:
        print(f"{name} step {step} loss {loss.item():.4f} ({time.time() - t0:.2f}s/step)", flush=True)
    if step % save_every == 0:
        save()


def optimiser_step(opt, params, loss: torch.Tensor, peak_lr: float, step: int, total_steps: int, warmup: int,
                   warm_from: int = 0) -> None:
    """Backpropagates `loss` and takes one AdamW step at the learning rate of `step`: a linear warm-up
    over `warmup` steps from `warm_from`, then a cosine decay from `peak_lr` to 10% of it at
    `total_steps`; gradients clipped to norm 1."""
    lr = peak_lr * min(1.0, (step + 1 - warm_from) / warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / total_steps)))
    for g in opt.param_groups:
        g["lr"] = lr
    opt.zero_grad(); loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()


def vae_step(vae, opt, x: torch.Tensor, obj: torch.Tensor, object_gain: float, step: int, total_steps: int,
             warm_from: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One optimiser step of a VAE (AutoencoderKLWan or AutoencoderKL) on `x` with object mask `obj`
    (same shape but one channel): L1 + L2 reconstruction of a posterior sample, weighted 1 +
    `object_gain` on the objects (a few percent of the pixels, and their shape is what the plain
    loss blurs), plus 1e-4 KL; AdamW at 1e-3 with a 100-step warm-up from `warm_from` and a cosine
    decay to 10% over `total_steps`. Returns (loss, reconstruction, KL)."""
    post = vae.encode(x).latent_dist
    y = vae.decode(post.sample()).sample
    w = 1 + object_gain * obj
    err = (y - x).abs() + (y - x) ** 2
    rec = (w * err).mean() / w.mean()
    kl = 0.5 * (post.mean.pow(2) + post.var - 1 - post.logvar).mean()
    loss = rec + 1e-4 * kl
    optimiser_step(opt, vae.parameters(), loss, 1e-3, step, total_steps, warmup=100, warm_from=warm_from)
    return loss, rec, kl


def stage_vae(args) -> None:
    from diffusers import AutoencoderKLWan
    torch.manual_seed(0)
    z_dim = VAE_CONFIG["z_dim"]
    vae = AutoencoderKLWan(**VAE_CONFIG, latents_mean=[0.0] * z_dim, latents_std=[1.0] * z_dim)
    opt = torch.optim.AdamW(vae.parameters(), lr=1e-3, weight_decay=0.0)
    ck = path("vae.pt")
    step, rng, warm_from = 0, random.Random(11), 0
    if os.path.exists(ck):
        state = torch.load(ck, weights_only=False)
        vae.load_state_dict(state["model"])
        if state["opt"] is not None:  # None after `adopt`: weights only
            opt.load_state_dict(state["opt"])
        step, rng, warm_from = state["step"], state["rng"], state.get("warm_from", 0)
    elif os.path.exists(kept_path("vae.safetensors")):
        weights, meta = load_kept("vae.safetensors")
        vae.load_state_dict(weights)
        step, rng = int(meta["step"]), rng_from_json(meta["rng"])
        warm_from = step  # fresh Adam moments: warm up again
        print(f"vae: starting from the kept checkpoint {kept_path('vae.safetensors')} at step {step}")
    if step >= args.vae_steps:
        print("vae: done"); return
    held = world.held_out_combos()
    t_end = time.time() + args.minutes * 60
    vae.train()
    while step < args.vae_steps and not stop_requested and time.time() < t_end:
        t0 = time.time()
        # Small crops (the VAE is convolutional) but all 17 frames: the causal stack's temporal
        # receptive field spans several latent frames, and latent frames never seen in training
        # decode wrong (measured: 5-frame crops broke latent frames 2-4, 9-frame crops 3-4).
        x, obj = vae_batch(rng, 6, held)
        loss, rec, kl = vae_step(vae, opt, x, obj, RECIPE["vae_object_gain"], step, args.vae_steps, warm_from)
        step += 1
        log_row("vae", dict(step=step, loss=round(loss.item(), 5), rec=round(rec.item(), 5),
                            kl=round(kl.item(), 4), sec=round(time.time() - t0, 3)))
        if step % 50 == 0:
            print(f"vae step {step} loss {loss.item():.4f} rec {rec.item():.4f} kl {kl.item():.3f}", flush=True)
        if step % 100 == 0:
            save_atomic(dict(model=vae.state_dict(), opt=opt.state_dict(), step=step, rng=rng, warm_from=warm_from), ck)
    save_atomic(dict(model=vae.state_dict(), opt=opt.state_dict(), step=step, rng=rng, warm_from=warm_from), ck)
    print(f"vae: stopped at step {step}")


def load_vae(mean=None, std=None, checkpoint: str | None = None):
    from diffusers import AutoencoderKLWan
    z_dim = VAE_CONFIG["z_dim"]
    vae = AutoencoderKLWan(**VAE_CONFIG, latents_mean=mean or [0.0] * z_dim, latents_std=std or [1.0] * z_dim)
    if checkpoint is None and not os.path.exists(path("vae.pt")) and os.path.exists(kept_path("vae.safetensors")):
        vae.load_state_dict(load_kept("vae.safetensors")[0])  # a new machine: the VAE kept in git
    else:
        vae.load_state_dict(torch.load(checkpoint or path("vae.pt"), weights_only=False)["model"])
    return vae.eval()


def resume_fine_tune(state: dict, prefix: str, opt, seed: int) -> tuple[int, random.Random]:
    """A VAE fine-tuning stage's step and data rng from `vae.pt` (`<prefix>_step`, `<prefix>_rng`),
    with its optimiser state loaded into `opt`; step 0 and a fresh rng the first time."""
    if state.get(f"{prefix}_opt") is not None:
        opt.load_state_dict(state[f"{prefix}_opt"])
    return state.get(f"{prefix}_step", 0), state.get(f"{prefix}_rng", random.Random(seed))


def save_fine_tune(path_: str, state: dict, vae, prefix: str, step: int, rng: random.Random, opt) -> None:
    """Saves a VAE fine-tuning stage into `vae.pt`, keeping the other stages' entries."""
    save_atomic(dict(state, model=vae.state_dict(), **{f"{prefix}_step": step, f"{prefix}_rng": rng,
                                                        f"{prefix}_opt": opt.state_dict()}), path_)


def stage_decoder(args) -> None:
    """Fine-tunes the VAE decoder (and post_quant_conv) at the full 64×64 with the encoder frozen.

    The VAE trained on 32×32 renders, where an object moves half as many pixels per frame as in
    the 64×64 clips the DiT is trained and sampled on. Its reconstructions of 64×64 clips were
    good for slow motions and poor for bouncing (the fastest: two hops in 17 frames): measured,
    the scorer read the right colour in 4 of 10 reconstructed bouncing clips against 9-10 of 10
    for most other motions. With the encoder frozen the latents do not change, so the DiT trained
    on them stays valid and only the decoding improves. A `--decoder-bounce` share of the clips is
    drawn as bouncing; the rest draws all motions alike."""
    vae = load_vae()
    ck = path("vae.pt")
    state = torch.load(ck, weights_only=False)
    base = path("vae-base.pt")
    if not os.path.exists(base):  # keep the weights the latents were encoded with
        save_atomic(state, base)
    trainable = list(vae.decoder.parameters()) + list(vae.post_quant_conv.parameters())
    for p_ in vae.parameters():
        p_.requires_grad_(False)
    for p_ in trainable:
        p_.requires_grad_(True)
    opt = torch.optim.AdamW(trainable, lr=3e-4, weight_decay=0.0)
    step, rng = resume_fine_tune(state, "dec", opt, seed=41)
    if step >= args.decoder_steps:
        print("decoder: done"); return
    held = world.held_out_combos()

    def save() -> None:
        save_fine_tune(ck, state, vae, "dec", step, rng, opt)

    t_end = time.time() + args.minutes * 60
    vae.decoder.train()
    while step < args.decoder_steps and not stop_requested and time.time() < t_end:
        t0 = time.time()
        specs = []
        for _ in range(4):
            spec = world.sample_spec(rng, held)
            if rng.random() < args.decoder_bounce:
                while spec.motion != "bouncing":
                    spec = world.sample_spec(rng, held)
            specs.append(spec)
        x = torch.stack([clip_tensor(rng, spec, FRAMES, SIZE) for spec in specs])  # [4, 3, 17, 64, 64]
        with torch.no_grad():
            z = vae.encode(x).latent_dist.mean  # what the latent pool holds and the DiT learns
        y = vae.decode(z).sample
        loss = (y - x).abs().mean() + F.mse_loss(y, x)
        optimiser_step(opt, trainable, loss, 3e-4, step, args.decoder_steps, warmup=50)
        step += 1
        log_step("decoder", step, loss, t0, print_every=25, save_every=100, save=save)
    save()
    print(f"decoder: stopped at step {step}")


def stage_joint(args) -> None:
    """Fine-tunes the whole VAE, encoder at a low rate, at the full 64×64 from `vae.pt`.

    The decoder-only fine-tune (`decoder`) stopped improving the probe after ~600 steps: small
    squares and triangles moving up, down or left still came back rounded, which the decoder
    cannot undo if the encoder has already blurred the corner away. This lets the encoder move,
    ten times slower than the decoder so the latent space stays close to the one the decoder
    has learned, with the object-weighted loss of `vae` and two-object scenes in the recipe's
    share. It runs before any latents are encoded for the DiT (they must come from the final
    encoder). `vae-joint-start.pt` keeps the weights it started from."""
    vae = load_vae()
    ck = path("vae.pt")
    state = torch.load(ck, weights_only=False)
    start = path("vae-joint-start.pt")
    if not os.path.exists(start):
        save_atomic(state, start)
    for p_ in vae.parameters():
        p_.requires_grad_(True)
    decoder = list(vae.decoder.parameters()) + list(vae.post_quant_conv.parameters())
    encoder = list(vae.encoder.parameters()) + list(vae.quant_conv.parameters())
    peak = dict(decoder=1e-4, encoder=1e-5)
    opt = torch.optim.AdamW([dict(params=decoder, name="decoder"), dict(params=encoder, name="encoder")],
                            lr=peak["decoder"], weight_decay=0.0)
    step, rng = resume_fine_tune(state, "joint", opt, seed=43)
    if step >= args.joint_steps:
        print("joint: done"); return
    held = world.held_out_combos()

    def save() -> None:
        save_fine_tune(ck, state, vae, "joint", step, rng, opt)

    t_end = time.time() + args.minutes * 60
    vae.train()
    while step < args.joint_steps and not stop_requested and time.time() < t_end:
        t0 = time.time()
        items = []
        for _ in range(4):
            item = sample_item(rng, held)
            if rng.random() < args.decoder_bounce:
                while not (isinstance(item, world.Spec) and item.motion == "bouncing"):
                    item = world.sample_spec(rng, held)
            items.append(item)
        x = torch.stack([item_tensor(rng, item, FRAMES, SIZE) for item in items])  # [4, 3, 17, 64, 64]
        obj = object_pixels(x, items)
        post = vae.encode(x).latent_dist
        y = vae.decode(post.sample()).sample
        w = 1 + RECIPE["vae_object_gain"] * obj
        rec = (w * ((y - x).abs() + (y - x) ** 2)).mean() / w.mean()
        kl = 0.5 * (post.mean.pow(2) + post.var - 1 - post.logvar).mean()
        loss = rec + 1e-4 * kl
        scale = min(1.0, (step + 1) / 50) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / args.joint_steps)))
        for g in opt.param_groups:
            g["lr"] = peak[g["name"]] * scale
        opt.zero_grad(); loss.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
        opt.step(); step += 1
        log_row("joint", dict(step=step, loss=round(loss.item(), 5), rec=round(rec.item(), 5),
                              kl=round(kl.item(), 4), sec=round(time.time() - t0, 3)))
        if step % 25 == 0:
            print(f"joint step {step} rec {rec.item():.4f} kl {kl.item():.3f} ({time.time() - t0:.2f}s/step)", flush=True)
        if step % 100 == 0:
            save()
    save()
    print(f"joint: stopped at step {step}")


# ----------------------------------------------------------------------------- latents
def stage_latents(args) -> None:
    out = path("latents.pt")
    state = torch.load(out, weights_only=False) if os.path.exists(out) else dict(z=[], specs=[], rng=random.Random(23))
    if len(state["z"]) >= args.pool:
        print("latents: done"); return
    vae = load_vae()
    held = world.held_out_combos()
    with torch.no_grad():
        while len(state["z"]) < args.pool and not stop_requested:
            x, specs = batch_clips(state["rng"], 16, FRAMES, SIZE, held)
            z = vae.encode(x).latent_dist.mean  # [B, 8, 5, 16, 16]
            state["z"].extend(list(z.half())); state["specs"].extend(specs)
            if len(state["z"]) % 256 == 0:
                save_atomic(state, out); print("latents:", len(state["z"]), flush=True)
    zs = torch.stack([z.float() for z in state["z"]])
    state["mean"] = zs.mean(dim=(0, 2, 3, 4)).tolist()
    state["std"] = zs.std(dim=(0, 2, 3, 4)).tolist()
    save_atomic(state, out)
    print("latents: mean", [round(v, 3) for v in state["mean"]], "std", [round(v, 3) for v in state["std"]])


# ----------------------------------------------------------------------------- dit
def encode_text(tok, te, captions: list[str]) -> torch.Tensor:
    """As WanPipeline._get_t5_prompt_embeds: pad to MAX_SEQ, mask, zero the padded rows."""
    inputs = tok(captions, padding="max_length", max_length=MAX_SEQ, truncation=True,
                 add_special_tokens=True, return_attention_mask=True, return_tensors="pt")
    ids, mask = inputs.input_ids, inputs.attention_mask
    seq_lens = mask.sum(dim=1)
    longest = int(seq_lens.max())
    h = te(ids[:, :longest], mask[:, :longest]).last_hidden_state  # relative positions: no need to run 512
    h = h * mask[:, :longest, None]
    return F.pad(h, (0, 0, 0, MAX_SEQ - longest))


def encode_text_compact(tok, te, captions: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """The same conditioning as `encode_text`, without 512 rows: the batch's longest prompt plus
    one zero row, and an additive cross-attention bias of log(count) on the zero rows, standing
    for all the identical padding rows the pipeline gives the transformer.

    Every padding row is zero, so after the text embedder and the key/value projections they are
    one key and one value repeated; attention over n copies of a key is attention over one copy
    with log(n) added to its logit. Spread over the zero rows a caption has here, the bias makes
    the softmax exactly that of the 512-row context (checked by `check_compact_context`)."""
    inputs = tok(captions, padding="max_length", max_length=MAX_SEQ, truncation=True,
                 add_special_tokens=True, return_attention_mask=True, return_tensors="pt")
    ids, mask = inputs.input_ids, inputs.attention_mask
    seq_lens = mask.sum(dim=1)
    width = int(seq_lens.max()) + 1
    longest = width - 1
    h = te(ids[:, :longest], mask[:, :longest]).last_hidden_state * mask[:, :longest, None]
    ctx = F.pad(h, (0, 0, 0, 1))  # [B, longest + 1, D]
    bias = torch.zeros(len(captions), 1, 1, width)
    for b, n in enumerate(seq_lens.tolist()):
        bias[b, 0, 0, n:] = math.log((MAX_SEQ - n) / (width - n))
    return ctx, bias


class PaddingCountProcessor:
    """WanAttnProcessor for cross-attention, with the padding-count bias of the current batch."""

    def __init__(self):
        from diffusers.models.transformers.transformer_wan import WanAttnProcessor
        self.inner = WanAttnProcessor()
        self.bias = None

    def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None, rotary_emb=None):
        return self.inner(attn, hidden_states, encoder_hidden_states, self.bias, rotary_emb)


def use_compact_context(dit) -> PaddingCountProcessor:
    processor = PaddingCountProcessor()
    for block in dit.blocks:
        block.attn2.set_processor(processor)
    return processor


@torch.no_grad()
def check_compact_context(tok, te, dit, processor, x: torch.Tensor) -> float:
    """Max |difference| between the DiT on the full 512-row context and on the compact one."""
    from diffusers.models.transformers.transformer_wan import WanAttnProcessor
    caps = ["a red circle moving left on a black background", "", "blue box, gray background"]
    x = x[: len(caps)]
    t = torch.full((len(caps),), 500.0)
    full = encode_text(tok, te, caps)
    for block in dit.blocks:
        block.attn2.set_processor(WanAttnProcessor())
    reference = dit(x, t, full, return_dict=False)[0]
    for block in dit.blocks:
        block.attn2.set_processor(processor)
    ctx, processor.bias = encode_text_compact(tok, te, caps)
    compact = dit(x, t, ctx, return_dict=False)[0]
    return (reference - compact).abs().max().item() / reference.abs().max().item()


def sample_sigmas(n: int, shift: float = 3.0, uniform_share: float = 0.25) -> torch.Tensor:
    """Training noise levels that cover what the sampler visits: logit-normal shifted like the
    pipeline's flow shift (UniPC, shift 3), mixed with a uniform share so σ near 1 is trained.

    The sampler's first step is at σ = 1 and a shift-3 schedule spends several steps above
    0.9. Plain logit-normal σ almost never goes there (P(σ > 0.97) ≈ 2e-4), and a model that
    has never seen pure noise turns it into garbage that later steps cannot repair (measured:
    good one-step x₀ at σ 0.3 / 0.7, garbage clips from the full 20-step run)."""
    sigma = torch.sigmoid(torch.randn(n))
    sigma = shift * sigma / (1 + (shift - 1) * sigma)
    uniform = torch.rand(n) < uniform_share
    return torch.where(uniform, torch.rand(n), sigma)


def flow_matching_step(tok, te, dit, processor, opt, params, x0: torch.Tensor, caps: list[str],
                       step: int, total_steps: int, sigmas=sample_sigmas,
                       weight: torch.Tensor | None = None, warm_from: int = 0) -> torch.Tensor:
    """One optimiser step of flow matching on clean clips `x0` [B, C, F, H, W] with captions
    `caps` (x_t = (1 - σ) x0 + σ ε, target ε - x0, σ drawn by `sigmas(B)`; AdamW at 4e-4 with a
    200-step warm-up from step `warm_from` and a cosine decay to 10% over `total_steps`).
    `weight` [B, 1, F, H, W] weights the squared error per position (normalised by its mean).
    Returns the loss."""
    B = x0.shape[0]
    ctx, processor.bias = encode_text_compact(tok, te, caps)
    sigma = sigmas(B).view(B, 1, 1, 1, 1)
    noise = torch.randn_like(x0)
    xt = (1 - sigma) * x0 + sigma * noise
    pred = dit(xt, sigma.view(B) * 1000, ctx, return_dict=False)[0]
    if weight is None:
        loss = F.mse_loss(pred, noise - x0)
    else:
        loss = (weight * (pred - (noise - x0)) ** 2).mean() / weight.mean()
    optimiser_step(opt, params, loss, 4e-4, step, total_steps, warmup=200, warm_from=warm_from)
    return loss


@torch.no_grad()
def foreground_weights(zs: torch.Tensor, specs: list, mean: torch.Tensor, std: torch.Tensor,
                       gain: float) -> torch.Tensor:
    """Loss weights [N, 1, F, H, W]: 1 + gain on the object, 1 on the background.

    One small object covers about 7% of the latent positions, so a plain MSE spends most of its
    gradient on the flat background, which the model learns first; colour, shape and above all
    motion live on the object. The object is where a clip's latents differ from those of its
    plain background (mean square over channels > 0.3 in normalised units), widened by one
    latent pixel."""
    bgs = list(world.BACKGROUNDS)
    plain = torch.stack([torch.tensor(world.BACKGROUNDS[b], dtype=torch.float32).div(255).view(3, 1, 1, 1)
                         .expand(3, FRAMES, SIZE, SIZE) for b in bgs]) * 2 - 1
    zbg = (load_vae().encode(plain).latent_dist.mean - mean) / std  # [10, C, F, H, W]
    out = torch.empty(len(zs), 1, *zs.shape[2:])
    for start in range(0, len(zs), 512):
        z = zs[start:start + 512]
        ref = zbg[[bgs.index(s.background) for s in specs[start:start + 512]]]
        obj = (((z - ref) ** 2).mean(1, keepdim=True) > 0.3).float()
        obj = F.max_pool3d(obj, (1, 3, 3), 1, (0, 1, 1))
        out[start:start + 512] = 1 + gain * obj
    return out


def stage_dit(args) -> None:
    from diffusers import WanTransformer3DModel
    from transformers import UMT5Config, UMT5EncoderModel
    tok = load_tokenizer()
    lat = torch.load(path("latents.pt"), weights_only=False)
    mean = torch.tensor(lat["mean"]).view(1, -1, 1, 1, 1)
    std = torch.tensor(lat["std"]).view(1, -1, 1, 1, 1)
    zs = (torch.stack([z.float() for z in lat["z"]]) - mean) / std
    specs = lat["specs"]
    # A curriculum: `--motions` trains on the pool's clips of those motions only.
    motions = set(args.motions.split(",")) if args.motions else set(world.MOTIONS)
    unknown = motions - set(world.MOTIONS)
    if unknown:
        raise SystemExit(f"--motions: unknown {sorted(unknown)}; valid: {','.join(world.MOTIONS)}")
    pool = [i for i, item in enumerate(specs)
            if all(o.motion in motions for o in (item.objects if isinstance(item, world.Scene) else [item]))]
    print(f"dit: {len(pool)} of {len(specs)} pool clips ({', '.join(sorted(motions))})")
    weights = foreground_weights(zs, specs, mean, std, args.object_gain) if args.object_gain else None
    if weights is not None:
        print(f"dit: object loss gain {args.object_gain}, object share of positions {(weights > 1).float().mean():.3f}")
    if args.first_frame_gain:
        # Latent frame 0 is the causal VAE's one-frame group: its decoder turns a latent error
        # into ~8x the pixel error of the same error in a 4-frame group, and it leaks into frames
        # 1-2 (measured with 0.3-sigma noise on one latent frame at a time; summed over the pixel
        # frames it reaches: 0.036 for frame 0 against 0.006-0.011 for frames 1-4). Plain MSE
        # weighs all latent frames alike, and the shipped clips showed it: a blotchy first frame
        # whose oversized blob the scorer reads as "shrinking".
        if weights is None:
            weights = torch.ones(len(zs), 1, *zs.shape[2:])
        weights[:, :, 0] *= 1 + args.first_frame_gain
        print(f"dit: latent frame 0 loss gain {args.first_frame_gain}")
    torch.manual_seed(1)
    te = UMT5EncoderModel(UMT5Config(vocab_size=len(tok), **TEXT_CONFIG))
    dit = WanTransformer3DModel(**DIT_CONFIG)
    params = list(te.parameters()) + list(dit.parameters())
    opt = torch.optim.AdamW(params, lr=4e-4, weight_decay=0.01)
    ck = path("dit.pt")
    step, rng, warm_from = 0, random.Random(31), 0
    if os.path.exists(ck):
        state = torch.load(ck, weights_only=False)
        te.load_state_dict(state["te"]); dit.load_state_dict(state["dit"])
        step, rng = state["step"], state["rng"]
        # After `adopt` there are weights but no optimiser moments: warm the learning rate up
        # again from there, as a fresh AdamW's first steps are full-size sign steps.
        warm_from = state.get("warm_from", 0)
        if state["opt"] is not None:
            opt.load_state_dict(state["opt"])
        torch.set_rng_state(state["torch_rng"])
    elif os.path.exists(kept_path("dit.safetensors")):
        kept, meta = load_kept("dit.safetensors")
        te.load_state_dict({k[3:]: v for k, v in kept.items() if k.startswith("te.")})
        dit.load_state_dict({k[4:]: v for k, v in kept.items() if k.startswith("dit.")})
        step, rng = int(meta["step"]), rng_from_json(meta["rng"])
        warm_from = step  # fresh Adam moments: warm up again
        torch.manual_seed(step)
        print(f"dit: starting from the kept checkpoint {kept_path('dit.safetensors')} at step {step}")
    if step >= args.dit_steps:
        print("dit: done"); return
    processor = use_compact_context(dit)
    te.eval(); dit.eval()
    error = check_compact_context(tok, te, dit, processor, zs[:3])
    print(f"dit: compact text context vs 512 rows, max relative difference {error:.2e}")
    assert error < 1e-4, "the compact context does not reproduce the padded one"
    t_end = time.time() + args.minutes * 60
    te.train(); dit.train()
    B = 32
    while step < args.dit_steps and not stop_requested and time.time() < t_end:
        t0 = time.time()
        idx = [pool[rng.randrange(len(pool))] for _ in range(B)]
        x0 = zs[idx]
        caps = [caption_of(specs[i], rng) if rng.random() > 0.1 else "" for i in idx]
        loss = flow_matching_step(tok, te, dit, processor, opt, params, x0, caps, step, args.dit_steps,
                                  weight=None if weights is None else weights[idx], warm_from=warm_from)
        step += 1
        log_row("dit", dict(step=step, loss=round(loss.item(), 5), sec=round(time.time() - t0, 3)))
        if step % 50 == 0:
            print(f"dit step {step} loss {loss.item():.4f} ({time.time() - t0:.2f}s/step)", flush=True)
        if step % 200 == 0 or stop_requested:
            save_atomic(dict(te=te.state_dict(), dit=dit.state_dict(), opt=opt.state_dict(), step=step,
                             rng=rng, torch_rng=torch.get_rng_state(), warm_from=warm_from), ck)
    save_atomic(dict(te=te.state_dict(), dit=dit.state_dict(), opt=opt.state_dict(), step=step,
                     rng=rng, torch_rng=torch.get_rng_state(), warm_from=warm_from), ck)
    print(f"dit: stopped at step {step}")


# ----------------------------------------------------------------------------- adopt
def stage_adopt(args) -> None:
    """Rebuilds runs/ from a shipped diffusers folder (by default the bundled model), so that
    training goes on from the shipped weights on a machine that never trained them.

    runs/ is not in git and does not outlive a machine; the shipped folder does. It holds the
    tokenizer, the VAE in fp32 and the transformer and text encoder in fp16 (rounded, so a
    continued run starts within fp16 rounding of where the shipped one stopped). Optimiser
    moments are not shipped: `dit` warms its learning rate up again from `--adopt-step`. The
    latent pool is re-encoded by the `latents` stage (same seed, same VAE, same clips)."""
    import shutil
    from diffusers import WanTransformer3DModel
    from safetensors.torch import load_file
    from transformers import UMT5EncoderModel
    src = os.path.abspath(args.source)
    taken = [p for p in ("vae.pt", "dit.pt", os.path.join("tokenizer", "spiece.model"))
             if os.path.exists(os.path.join(RUNS, p))]
    if taken:
        raise SystemExit(f"adopt: {RUNS} already holds {', '.join(taken)}; move them away to adopt {src}")
    if args.adopt_step <= 0:
        raise SystemExit("adopt: --adopt-step N is required: the DiT step the shipped weights were "
                         "exported at (MODEL_CARD.md, 'Training'), so the schedule goes on from there")
    shutil.copy(os.path.join(src, "tokenizer", "spiece.model"), path("tokenizer", "spiece.model"))
    vae = load_file(os.path.join(src, "vae", "diffusion_pytorch_model.safetensors"))
    save_atomic(dict(model={k: v.float() for k, v in vae.items()}, opt=None, step=args.vae_steps,
                     rng=random.Random(11)), path("vae.pt"))
    te = UMT5EncoderModel.from_pretrained(os.path.join(src, "text_encoder"), torch_dtype=torch.float32)
    dit = WanTransformer3DModel.from_pretrained(os.path.join(src, "transformer"), torch_dtype=torch.float32)
    torch.manual_seed(args.adopt_step)
    save_atomic(dict(te=te.state_dict(), dit=dit.state_dict(), opt=None, step=args.adopt_step,
                     rng=random.Random(args.adopt_step), torch_rng=torch.get_rng_state(),
                     warm_from=args.adopt_step), path("dit.pt"))
    print(f"adopt: runs/ rebuilt from {src} (DiT step {args.adopt_step}); next: train.py latents --pool N")


# ----------------------------------------------------------------------------- export
def load_dit(tok):
    """The text encoder and DiT of runs/dit.pt, in eval mode, and the step they were saved at."""
    from diffusers import WanTransformer3DModel
    from transformers import UMT5Config, UMT5EncoderModel
    state = torch.load(path("dit.pt"), weights_only=False)
    te = UMT5EncoderModel(UMT5Config(vocab_size=len(tok), **TEXT_CONFIG)).eval()
    te.load_state_dict(state["te"])
    dit = WanTransformer3DModel(**DIT_CONFIG).eval()
    dit.load_state_dict(state["dit"])
    return te, dit, state["step"]


def build_pipeline():
    from diffusers import UniPCMultistepScheduler, WanPipeline
    tok = load_tokenizer()
    lat = torch.load(path("latents.pt"), weights_only=False)
    vae = load_vae(lat["mean"], lat["std"])
    te, dit, _ = load_dit(tok)
    sched = UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=3.0,
                                    num_train_timesteps=1000)
    return WanPipeline(tokenizer=tok, text_encoder=te, vae=vae, transformer=dit, scheduler=sched)


def stage_export(args) -> None:
    pipe = build_pipeline()
    pipe.save_pretrained(args.out, safe_serialization=True)
    # fp16 storage for the big components (the Swift loader widens per layer)
    from safetensors.torch import load_file, save_file
    for comp, fname in [("transformer", "diffusion_pytorch_model.safetensors"),
                        ("text_encoder", "model.safetensors")]:
        p = os.path.join(args.out, comp, fname)
        t = load_file(p)
        save_file({k: v.half() for k, v in t.items()}, p, metadata={"format": "pt"})
    import shutil
    shutil.copy(path("tokenizer", "spiece.model"), os.path.join(args.out, "tokenizer", "spiece.model"))
    write_latent_preview(pipe.vae, os.path.join(args.out, "latent_preview.json"))
    print("exported to", args.out)


@torch.no_grad()
def write_latent_preview(vae, out: str, clips: int = 64) -> None:
    """Fits the engine's cheap preview: normalised latent channels -> RGB in [-1, 1], linear maps
    with bias, by least squares against the clips the latents came from (each latent frame
    against the mean of the pixel frames it stands for, pooled to latent resolution).

    Two maps: the causal VAE codes latent frame 0 from one image and the others from four
    frames each, and one map for both fits worse (measured on this model: rms 0.50 for one map;
    0.31 for frame 0 and 0.38 for the later frames with a map each)."""
    rng = random.Random(97)
    x, _ = batch_clips(rng, clips, FRAMES, SIZE, None)  # [B, 3, 17, 64, 64]
    mean = torch.tensor(vae.config.latents_mean).view(1, -1, 1, 1, 1)
    std = torch.tensor(vae.config.latents_std).view(1, -1, 1, 1, 1)
    z = (vae.encode(x).latent_dist.mean - mean) / std  # [B, C, 5, 16, 16]
    t, s = vae.config.scale_factor_temporal, vae.config.scale_factor_spatial
    # pixel frames of latent frame k: 0 for k = 0, else 1 + t(k-1) .. t k
    groups = [x[:, :, :1]] + [x[:, :, 1 + t * (k - 1): 1 + t * k] for k in range(1, z.shape[2])]
    target = torch.stack([g.mean(dim=2) for g in groups], dim=2)  # [B, 3, 5, 64, 64]
    target = F.avg_pool3d(target, kernel_size=(1, s, s))  # [B, 3, 5, 16, 16]

    def fit(zs: torch.Tensor, ys: torch.Tensor) -> tuple[torch.Tensor, float]:
        X = zs.permute(0, 2, 3, 4, 1).reshape(-1, zs.shape[1])
        X = torch.cat([X, torch.ones(X.shape[0], 1)], dim=1).double()
        Y = ys.permute(0, 2, 3, 4, 1).reshape(-1, 3).double()
        W = torch.linalg.lstsq(X, Y).solution  # [C + 1, 3]
        return W, ((X @ W - Y) ** 2).mean().sqrt().item()

    W, rest_error = fit(z[:, :, 1:], target[:, :, 1:])
    W0, first_error = fit(z[:, :, :1], target[:, :, :1])
    with open(out, "w") as f:
        json.dump({"weights": W[:-1].T.tolist(), "bias": W[-1].tolist(),
                   "first_frame": {"weights": W0[:-1].T.tolist(), "bias": W0[-1].tolist()},
                   "fit": {"clips": clips, "rms_error": round(rest_error, 4),
                           "first_frame_rms_error": round(first_error, 4)}}, f, indent=1)
    print(f"latent preview maps: rms error {rest_error:.3f} (later frames), {first_error:.3f} (frame 0); pixels in [-1, 1]")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("stage", choices=["tokenizer", "vae", "decoder", "joint", "latents", "dit", "export", "adopt", "keep",
                                      "all"])
    ap.add_argument("--minutes", type=float, default=1e9, help="stop this stage after this long (resumable)")
    ap.add_argument("--vae-steps", type=int, default=4300)
    ap.add_argument("--decoder-steps", type=int, default=2000, help="decoder: fine-tuning steps at 64×64")
    ap.add_argument("--decoder-bounce", type=float, default=0.4, help="decoder: share of bouncing clips")
    ap.add_argument("--joint-steps", type=int, default=1200,
                    help="joint: whole-VAE fine-tuning steps at 64×64 (encoder at a tenth of the decoder's rate)")
    ap.add_argument("--dit-steps", type=int, default=6000)
    ap.add_argument("--pool", type=int, default=4096, help="clips encoded to latents for the DiT")
    ap.add_argument("--object-gain", type=float, default=0.0, help="DiT: extra loss weight on object positions")
    ap.add_argument("--first-frame-gain", type=float, default=0.0,
                    help="DiT: extra loss weight on latent frame 0 (the causal VAE decodes its errors ~8x louder)")
    ap.add_argument("--motions", default="", help="DiT curriculum: train on these motions only (comma-separated)")
    ap.add_argument("--out", default=os.path.join(HERE, "..", "..", "Sources", "BundledModels", "Resources", "tiny-shapes"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--recipe", choices=sorted(RECIPES), default="v2",
                    help="v1: the shipped one-object model; v2: two-object scenes, z-16 VAE on full-size crops")
    ap.add_argument("--source", default=os.path.join(HERE, "..", "..", "Sources", "BundledModels", "Resources", "tiny-shapes"),
                    help="adopt: the diffusers folder to continue from")
    ap.add_argument("--adopt-step", type=int, default=0, help="adopt: the DiT step the source was exported at")
    args = ap.parse_args()
    use_recipe(args.recipe)
    torch.set_num_threads(args.threads)
    stages = ["tokenizer", "vae", "latents", "dit", "export"] if args.stage == "all" else [args.stage]
    for s in stages:
        if stop_requested:
            break
        globals()[f"stage_{s}"](args)


if __name__ == "__main__":
    main()
