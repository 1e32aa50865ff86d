"""Make the tokenizer fixtures under Tests/Fixtures/tokenizers/.

No hub is reachable, so this script *makes* real tokenizer files and records what transformers does
with them:

  unigram/  a sentencepiece Unigram model (nmt_nfkc, T5 id layout pad=0 </s>=1 <unk>=2, no byte
            fallback) trained on synthetic video captions and some multilingual text, saved as
            `spiece.model` and, through transformers' T5Tokenizer, as `tokenizer.json` +
            `tokenizer_config.json` (+ a hand-written `special_tokens_map.json` like hub repos carry).
  clip/     a CLIP-style byte-level BPE (`</w>` end-of-word suffix, vocab laid out like CLIP's:
            256 byte symbols, the same with `</w>`, merge results, then <|startoftext|> and
            <|endoftext|>) trained with the `tokenizers` library, written as `vocab.json` +
            `merges.txt` + `special_tokens_map.json` (pad "!" like SD2 / OpenCLIP repos), and, through
            transformers' CLIPTokenizer, as `tokenizer.json` + `tokenizer_config.json`.
  corpus.json     the hostile prompts (committed; edit there, not here, after the first run).
  expected.json   token ids and attention masks from transformers for every prompt, both
                  tokenizers, both loading paths (the script checks that the paths agree).

Run from the repository root:
    tools/reference/generate_all.sh   (or: .venv/bin/python tools/reference/tokenizers_fixtures.py --out Tests/Fixtures)
Training is deterministic (single thread, fixed seed); the expected ids are always recomputed from
the committed tokenizer files, so re-running only rewrites expected.json unless --retrain is given.
"""

import argparse
import json
import os
import random
import shutil
import sys
import tempfile

import sentencepiece as spm
import tokenizers
import transformers
from tokenizers import Regex, Tokenizer, normalizers, pre_tokenizers, trainers
from tokenizers.models import BPE
from transformers import CLIPTokenizer, T5Tokenizer

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "tokenizers")
FORMAT_VERSION = 1


# --------------------------------------------------------------------------------------------
# Training text
# --------------------------------------------------------------------------------------------

def training_sentences():
    rng = random.Random(1234)
    colors = ["red", "green", "blue", "yellow", "white", "black", "orange", "purple", "pink", "gray"]
    shapes = ["circle", "square", "triangle", "ball", "cube", "star", "line", "dot", "ring", "box"]
    moves = ["moving left", "moving right", "moving up", "moving down", "spinning", "bouncing",
             "rotating slowly", "falling", "rising", "growing", "shrinking", "drifting"]
    places = ["on a black background", "on a white background", "in the sky", "over the sea",
              "in a forest", "on a wooden table", "in a dark room", "under the rain", "at sunset",
              "in the city at night"]
    subjects = ["a cat", "a dog", "a horse", "a bird", "two people", "a car", "a train", "a robot",
                "an astronaut", "a small boat", "a child", "an old man", "a woman", "the camera"]
    actions = ["walking", "running", "dancing", "flying", "jumping", "swimming", "sleeping",
               "looking around", "playing", "driving fast", "slowly turning"]
    styles = ["cinematic", "high quality", "4k", "slow motion", "watercolor style", "anime style",
              "photorealistic", "dramatic lighting", "soft light", "time lapse"]
    out = []
    for _ in range(300):
        kind = rng.randrange(4)
        if kind == 0:
            s = f"a {rng.choice(colors)} {rng.choice(shapes)} {rng.choice(moves)} {rng.choice(places)}"
        elif kind == 1:
            s = f"{rng.choice(subjects)} {rng.choice(actions)} {rng.choice(places)}, {rng.choice(styles)}"
        elif kind == 2:
            s = (f"The {rng.choice(colors)} {rng.choice(shapes)} is {rng.choice(moves)}; "
                 f"{rng.choice(subjects)} is {rng.choice(actions)}.")
        else:
            s = (f"{rng.choice(styles).capitalize()}: {rng.choice(subjects)} and "
                 f"{rng.choice(subjects)} {rng.choice(actions)} {rng.choice(places)}!")
        out.append(s)
    out += [
        "Un chat noir qui court dans la forêt, lumière douce.",
        "Une voiture rouge roule très vite sous la pluie à Paris.",
        "Ein großer Hund spielt im Schnee, Zeitlupe.",
        "Die Sonne geht über dem Meer unter, schöne Farben.",
        "Un niño juega con una pelota azul en el parque.",
        "El tren pasa por la montaña al atardecer.",
        "Um gato dorme na janela, estilo aquarela.",
        "Кошка бежит по снегу, замедленная съёмка.",
        "一只猫在森林里奔跑，电影质感。",
        "夕阳下的大海，高清，慢动作。",
        "東京の夜の街を走る車、シネマティック。",
        "猫が窓辺で眠っている、水彩画風。",
        "바다 위로 해가 지는 장면, 고화질.",
        "강아지가 공원에서 뛰어놀고 있다.",
        "قطة تجري في الغابة",
        "Numbers 0 1 2 3 4 5 6 7 8 9 10 24 30 60 100 1080 2024 and 3.5 percent.",
        "Punctuation: (a) [b] {c} \"quoted\" 'single' - dash -- 50% & more @ # $ ^ * + = / \\ | ~ ` ? !",
    ]
    return out


# --------------------------------------------------------------------------------------------
# Unigram (sentencepiece / T5)
# --------------------------------------------------------------------------------------------

def train_unigram(workdir):
    corpus_path = os.path.join(workdir, "unigram_train.txt")
    with open(corpus_path, "w", encoding="utf-8") as f:
        f.write("\n".join(training_sentences()) + "\n")
    prefix = os.path.join(workdir, "spiece")
    spm.SentencePieceTrainer.train(
        input=corpus_path, model_prefix=prefix, model_type="unigram", vocab_size=800,
        normalization_rule_name="nmt_nfkc", byte_fallback=False, character_coverage=0.9995,
        pad_id=0, eos_id=1, unk_id=2, bos_id=-1, hard_vocab_limit=False,
        num_threads=1, seed_sentencepiece_size=100000, minloglevel=2,
    )
    return prefix + ".model"


def write_unigram(workdir):
    model_path = train_unigram(workdir)
    d = os.path.join(OUT, "unigram")
    os.makedirs(d, exist_ok=True)
    shutil.copy(model_path, os.path.join(d, "spiece.model"))
    # T5Tokenizer from the sentencepiece model (transformers 5 converts it to a tokenizers backend)
    src = os.path.join(workdir, "unigram_src")
    os.makedirs(src, exist_ok=True)
    shutil.copy(model_path, os.path.join(src, "spiece.model"))
    tok = T5Tokenizer.from_pretrained(src)
    tok.save_pretrained(os.path.join(workdir, "unigram_saved"))
    for name in ["tokenizer.json", "tokenizer_config.json"]:
        shutil.copy(os.path.join(workdir, "unigram_saved", name), os.path.join(d, name))
    with open(os.path.join(d, "special_tokens_map.json"), "w", encoding="utf-8") as f:
        json.dump({"eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>",
                   "additional_special_tokens": [f"<extra_id_{i}>" for i in range(100)]}, f, indent=2)


# --------------------------------------------------------------------------------------------
# CLIP BPE
# --------------------------------------------------------------------------------------------

def bytes_to_unicode():
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


CLIP_PATTERN = r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""


def write_clip(workdir):
    tok = Tokenizer(BPE(end_of_word_suffix="</w>", continuing_subword_prefix="", fuse_unk=False))
    tok.normalizer = normalizers.Sequence(
        [normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(CLIP_PATTERN), behavior="removed", invert=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False),
    ])
    trainer = trainers.BpeTrainer(vocab_size=1100, min_frequency=2, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  end_of_word_suffix="</w>", special_tokens=[])
    tok.train_from_iterator(training_sentences(), trainer=trainer)
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
    d = os.path.join(OUT, "clip")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(d, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "\n".join(merges) + "\n")
    special = {"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>",
               "unk_token": "<|endoftext|>", "pad_token": "!"}
    with open(os.path.join(d, "special_tokens_map.json"), "w", encoding="utf-8") as f:
        json.dump(special, f, indent=2)
    legacy = os.path.join(workdir, "clip_legacy")
    os.makedirs(legacy, exist_ok=True)
    for name in ["vocab.json", "merges.txt", "special_tokens_map.json"]:
        shutil.copy(os.path.join(d, name), os.path.join(legacy, name))
    clip = CLIPTokenizer.from_pretrained(legacy)
    assert clip.pad_token == "!", clip.pad_token
    clip.save_pretrained(os.path.join(workdir, "clip_saved"))
    for name in ["tokenizer.json", "tokenizer_config.json"]:
        shutil.copy(os.path.join(workdir, "clip_saved", name), os.path.join(d, name))


# --------------------------------------------------------------------------------------------
# Expected outputs
# --------------------------------------------------------------------------------------------

def only_files(workdir, kind, names):
    """A directory holding only `names` from Tests/Fixtures/tokenizers/<kind>/."""
    d = os.path.join(workdir, f"{kind}_only_" + "_".join(n.split(".")[0] for n in names))
    os.makedirs(d, exist_ok=True)
    for n in names:
        shutil.copy(os.path.join(OUT, kind, n), os.path.join(d, n))
    return d


def run_cases(tok, texts, cases):
    out = []
    for text in texts:
        rec = {}
        for name, kwargs in cases.items():
            enc = tok(text, **kwargs)
            rec[name] = {"ids": list(enc["input_ids"]), "mask": list(enc["attention_mask"])}
        rec["tokens"] = tok.convert_ids_to_tokens(rec[next(iter(cases))]["ids"])
        out.append(rec)
    return out


UNIGRAM_CASES = {
    "plain": {},
    "pad16": {"padding": "max_length", "max_length": 16, "truncation": True},
}
CLIP_CASES = {
    "plain": {},
    "pad77": {"padding": "max_length", "max_length": 77, "truncation": True},
    "pad8": {"padding": "max_length", "max_length": 8, "truncation": True},
}


def expected(workdir, texts):
    result = {}
    # Unigram: tokenizer.json path and spiece.model path.
    uj = T5Tokenizer.from_pretrained(only_files(workdir, "unigram", ["tokenizer.json", "tokenizer_config.json"]))
    us = T5Tokenizer.from_pretrained(only_files(workdir, "unigram", ["spiece.model", "special_tokens_map.json"]))
    a = run_cases(uj, texts, UNIGRAM_CASES)
    b = run_cases(us, texts, UNIGRAM_CASES)
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            sys.exit(f"unigram: tokenizer.json and spiece.model disagree on prompt {i}: {x} vs {y}")
    sp = spm.SentencePieceProcessor(model_file=os.path.join(OUT, "unigram", "spiece.model"))
    for text, rec in zip(texts, a):
        # sentencepiece itself, for information only (transformers is the reference)
        rec["sentencepiece"] = sp.encode(text) + [1]
    result["unigram"] = {"eos_id": uj.eos_token_id, "pad_id": uj.pad_token_id, "unk_id": uj.unk_token_id,
                         "entries": a}
    # CLIP: tokenizer.json path and vocab.json + merges.txt path.
    cj = CLIPTokenizer.from_pretrained(only_files(workdir, "clip", ["tokenizer.json", "tokenizer_config.json"]))
    cl = CLIPTokenizer.from_pretrained(only_files(workdir, "clip", ["vocab.json", "merges.txt", "special_tokens_map.json"]))
    a = run_cases(cj, texts, CLIP_CASES)
    b = run_cases(cl, texts, CLIP_CASES)
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            sys.exit(f"clip: tokenizer.json and vocab.json+merges.txt disagree on prompt {i}: {x} vs {y}")
    result["clip"] = {"bos_id": cj.bos_token_id, "eos_id": cj.eos_token_id, "pad_id": cj.pad_token_id,
                      "entries": a}
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--retrain", action="store_true", help="retrain and rewrite the tokenizer files")
    ap.add_argument("--out", default=None, help="the Tests/Fixtures folder (generate_all.sh passes it)")
    args = ap.parse_args()
    global OUT
    if args.out:
        if os.path.abspath(os.path.join(args.out, "tokenizers")) != os.path.abspath(OUT):
            # Copy the committed tokenizer files so a --check run compares expected.json, not a retrain.
            import shutil
            dest = os.path.join(args.out, "tokenizers")
            if os.path.isdir(OUT) and not os.path.exists(dest):
                shutil.copytree(OUT, dest)
        OUT = os.path.join(args.out, "tokenizers")
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as workdir:
        if args.retrain or not os.path.exists(os.path.join(OUT, "unigram", "spiece.model")):
            write_unigram(workdir)
        if args.retrain or not os.path.exists(os.path.join(OUT, "clip", "vocab.json")):
            write_clip(workdir)
        with open(os.path.join(OUT, "corpus.json"), encoding="utf-8") as f:
            corpus = json.load(f)
        texts = [e["text"] for e in corpus["prompts"]]
        res = expected(workdir, texts)
    for kind in ["unigram", "clip"]:
        for e, rec in zip(corpus["prompts"], res[kind]["entries"]):
            rec["name"] = e["name"]
    res["meta"] = {"format_version": FORMAT_VERSION, "generator": "tools/reference/tokenizers_fixtures.py",
                   "transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
                   "sentencepiece": spm.__version__}
    with open(os.path.join(OUT, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(res, f, ensure_ascii=False, indent=None, separators=(",", ":"))
        f.write("\n")
    print("wrote", os.path.join(OUT, "expected.json"))


if __name__ == "__main__":
    main()
