"""Trains a CLIP-style byte-level BPE tokenizer (transformers' `CLIPTokenizer` files) with the
`tokenizers` library: `</w>` end-of-word suffix, and a vocabulary laid out like OpenAI CLIP's
(256 byte symbols, the same with `</w>`, the merge results, then <|startoftext|> and
<|endoftext|>). Used by tokenizers_fixtures.py (the `clip/` fixture) and by
tools/train/train_unet.py (the tokenizer of the bundled tiny-shapes-unet)."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from typing import Iterable

from tokenizers import Regex, Tokenizer, normalizers, pre_tokenizers, trainers
from tokenizers.models import BPE

# CLIP's pre-tokenising pattern (transformers' CLIPTokenizer, OpenAI's simple_tokenizer.py).
CLIP_PATTERN = r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""


def bytes_to_unicode() -> list[str]:
    """The printable stand-in of each byte 0…255, in CLIP's order (OpenAI simple_tokenizer.py)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


def train_clip_bpe(sentences: Iterable[str], vocab_size: int, out_dir: str, pad_token: str) -> None:
    """Trains the BPE on `sentences` and writes `vocab.json`, `merges.txt` and
    `special_tokens_map.json` (bos <|startoftext|>, eos and unk <|endoftext|>, pad `pad_token`)
    into `out_dir`, then, through transformers' CLIPTokenizer, `tokenizer.json` and
    `tokenizer_config.json`."""
    from transformers import CLIPTokenizer
    tok = Tokenizer(BPE(end_of_word_suffix="</w>", continuing_subword_prefix="", fuse_unk=False))
    tok.normalizer = normalizers.Sequence(
        [normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(CLIP_PATTERN), behavior="removed", invert=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False),
    ])
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  end_of_word_suffix="</w>", special_tokens=[])
    tok.train_from_iterator(sentences, trainer=trainer)
    model = json.loads(tok.to_str())["model"]
    merges = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
    base = bytes_to_unicode()
    vocab_list = base + [b + "</w>" for b in base]
    seen = set(vocab_list)
    for m in merges:
        a, b = m.split(" ")
        if a + b not in seen:
            seen.add(a + b)
            vocab_list.append(a + b)
    vocab_list += ["<|startoftext|>", "<|endoftext|>"]
    vocab = {t: i for i, t in enumerate(vocab_list)}
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(out_dir, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "\n".join(merges) + "\n")
    special = {"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>",
               "unk_token": "<|endoftext|>", "pad_token": pad_token}
    with open(os.path.join(out_dir, "special_tokens_map.json"), "w", encoding="utf-8") as f:
        json.dump(special, f, indent=2)
    with tempfile.TemporaryDirectory() as workdir:
        legacy = os.path.join(workdir, "legacy")
        os.makedirs(legacy)
        for name in ["vocab.json", "merges.txt", "special_tokens_map.json"]:
            shutil.copy(os.path.join(out_dir, name), os.path.join(legacy, name))
        clip = CLIPTokenizer.from_pretrained(legacy)
        assert clip.pad_token == pad_token, clip.pad_token
        clip.save_pretrained(os.path.join(workdir, "saved"))
        for name in ["tokenizer.json", "tokenizer_config.json"]:
            shutil.copy(os.path.join(workdir, "saved", name), os.path.join(out_dir, name))
