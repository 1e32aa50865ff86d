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
  clip-openai/    OpenAI CLIP's real 49,408-token vocabulary (what SD 1.x / SD 2.x / ModelScope / AnimateDiff
            ship): `vocab.json` + `merges.txt` built, by the rules of OpenAI's `simple_tokenizer.py`, from
            `bpe_simple_vocab_16e6.txt.gz` as the `open_clip_torch` package ships it (MIT, OpenAI); the
            `special_tokens_map.json` / `tokenizer_config.json` of SD 1.x repos (bos/eos/unk as
            `normalized: true` AddedToken dicts, pad `<|endoftext|>`); a compact `tokenizer.json` written by
            the `tokenizers` backend transformers builds from them; `sd2/` holds the configs of SD 2.x /
            ModelScope repos (pad "!"). Its own `expected.json` has the ids for every corpus prompt.
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

import gzip
import importlib.metadata
import importlib.util

import sentencepiece as spm
import tokenizers
import transformers
from transformers import CLIPTokenizer, T5Tokenizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clip_bpe import bytes_to_unicode, train_clip_bpe  # noqa: E402

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

def write_clip(workdir):  # noqa: ARG001 (kept for the call below)
    train_clip_bpe(training_sentences(), vocab_size=1100, out_dir=os.path.join(OUT, "clip"), pad_token="!")


# --------------------------------------------------------------------------------------------
# OpenAI CLIP's real vocabulary
# --------------------------------------------------------------------------------------------

CLIP_VOCAB_SIZE = 49408


def open_clip_bpe_path():
    """`bpe_simple_vocab_16e6.txt.gz` from the installed open_clip_torch (found, not imported: open_clip
    imports torchvision and timm, which this script does not need)."""
    spec = importlib.util.find_spec("open_clip")
    if spec is None or spec.origin is None:
        sys.exit("open_clip_torch is not installed: pip install --no-deps open_clip_torch "
                 "(pinned in tools/reference/requirements.txt)")
    return os.path.join(os.path.dirname(spec.origin), "bpe_simple_vocab_16e6.txt.gz")


def openai_clip_vocab_and_merges():
    """The vocabulary and merges exactly as OpenAI CLIP's `clip/simple_tokenizer.py` `SimpleTokenizer`
    derives them (and as the hub's openai/clip-vit-* `vocab.json` / `merges.txt` hold them): the first
    49152 - 256 - 2 merge lines after the header; vocab = the 256 byte characters, the same with `</w>`,
    every merge joined, then `<|startoftext|>` and `<|endoftext|>`."""
    with gzip.open(open_clip_bpe_path()) as f:
        lines = f.read().decode("utf-8").split("\n")
    merges = lines[1:49152 - 256 - 2 + 1]
    assert all(len(m.split(" ")) == 2 for m in merges)
    base = bytes_to_unicode()
    vocab_list = base + [b + "</w>" for b in base] + ["".join(m.split(" ")) for m in merges]
    vocab_list += ["<|startoftext|>", "<|endoftext|>"]
    vocab = {t: i for i, t in enumerate(vocab_list)}
    assert len(vocab) == len(vocab_list) == CLIP_VOCAB_SIZE, len(vocab)
    return vocab, merges


def legacy_added_token(content, config=False):
    token = {"content": content, "lstrip": False, "normalized": True, "rstrip": False, "single_word": False}
    return {"__type": "AddedToken", **token} if config else token


def clip_configs(pad, name_or_path, config_pad):
    """(special_tokens_map.json, tokenizer_config.json) as SD-era hub repos carry them (written by
    transformers 4.2x): bos/eos/unk as AddedToken dicts with `normalized: true`, pad a plain string."""
    special = {"bos_token": legacy_added_token("<|startoftext|>"), "eos_token": legacy_added_token("<|endoftext|>"),
               "pad_token": pad, "unk_token": legacy_added_token("<|endoftext|>")}
    config = {"add_prefix_space": False, "bos_token": legacy_added_token("<|startoftext|>", True),
              "do_lower_case": True, "eos_token": legacy_added_token("<|endoftext|>", True), "errors": "replace",
              "model_max_length": 77, "name_or_path": name_or_path, "pad_token": config_pad,
              "special_tokens_map_file": "./special_tokens_map.json", "tokenizer_class": "CLIPTokenizer",
              "unk_token": legacy_added_token("<|endoftext|>", True)}
    return special, config


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def write_clip_openai(workdir):
    vocab, merges = openai_clip_vocab_and_merges()
    d = os.path.join(OUT, "clip-openai")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "sd2"))
    with open(os.path.join(d, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(d, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "\n".join(merges) + "\n")
    # SD 1.x (openai/clip-vit-large-patch14): pads with <|endoftext|>
    special, config = clip_configs("<|endoftext|>", "openai/clip-vit-large-patch14", "<|endoftext|>")
    write_json(os.path.join(d, "special_tokens_map.json"), special)
    write_json(os.path.join(d, "tokenizer_config.json"), config)
    # SD 2.x / ModelScope (OpenCLIP ViT-H): special_tokens_map.json says pad "!" and wins over the
    # tokenizer_config.json's "<|endoftext|>" (transformers reads it last when the config has no
    # added_tokens_decoder)
    special, config = clip_configs("!", "stabilityai/stable-diffusion-2", "<|endoftext|>")
    write_json(os.path.join(d, "sd2", "special_tokens_map.json"), special)
    write_json(os.path.join(d, "sd2", "tokenizer_config.json"), config)
    # the tokenizers backend transformers builds from them, as a compact tokenizer.json (save_pretrained
    # writes it pretty-printed, 3.6 MB; the content is the same)
    tok = CLIPTokenizer.from_pretrained(only_files(workdir, "clip-openai", ["vocab.json", "merges.txt",
                                                                         "special_tokens_map.json",
                                                                         "tokenizer_config.json"]))
    tok.backend_tokenizer.save(os.path.join(d, "tokenizer.json"), pretty=False)


def check_clip_openai_round_trip(tok, label):
    vocab, merges = openai_clip_vocab_and_merges()
    got = tok.get_vocab()
    if got != vocab:
        sys.exit(f"{label}: the loaded vocabulary differs from the one built from open_clip's merges")
    backend = json.loads(tok.backend_tokenizer.to_str())["model"]
    got_merges = [m if isinstance(m, str) else " ".join(m) for m in backend["merges"]]
    if got_merges != merges:
        sys.exit(f"{label}: the loaded merges differ from open_clip's")
    # the ids every Stable Diffusion user has seen
    ids = tok("a photo of an astronaut riding a horse")["input_ids"]
    want = [49406, 320, 1125, 539, 550, 18376, 6765, 320, 4558, 49407]
    if ids != want:
        sys.exit(f"{label}: 'a photo of an astronaut riding a horse' gives {ids}, not {want}")


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


def added_tokens_state(tok):
    return {str(i): {"content": t.content, "normalized": t.normalized, "special": t.special,
                     "lstrip": t.lstrip, "rstrip": t.rstrip}
            for i, t in sorted(tok.backend_tokenizer.get_added_tokens_decoder().items())}


def expected_clip_openai(workdir, texts):
    """Ids of the real CLIP vocabulary for every prompt: SD 1.x configs through vocab.json + merges.txt and
    through tokenizer.json (which must agree), and SD 2.x configs (pad "!") through vocab.json + merges.txt."""
    files = ["vocab.json", "merges.txt", "special_tokens_map.json", "tokenizer_config.json"]
    legacy = CLIPTokenizer.from_pretrained(only_files(workdir, "clip-openai", files))
    fast = CLIPTokenizer.from_pretrained(only_files(workdir, "clip-openai", ["tokenizer.json", "tokenizer_config.json"]))
    check_clip_openai_round_trip(legacy, "clip-openai vocab.json + merges.txt")
    check_clip_openai_round_trip(fast, "clip-openai tokenizer.json")
    sd2_dir = os.path.join(workdir, "clip-openai-sd2")
    os.makedirs(sd2_dir, exist_ok=True)
    for n in ["vocab.json", "merges.txt"]:
        shutil.copy(os.path.join(OUT, "clip-openai", n), os.path.join(sd2_dir, n))
    for n in ["special_tokens_map.json", "tokenizer_config.json"]:
        shutil.copy(os.path.join(OUT, "clip-openai", "sd2", n), os.path.join(sd2_dir, n))
    sd2 = CLIPTokenizer.from_pretrained(sd2_dir)
    cases = {"plain": {}, "pad77": {"padding": "max_length", "max_length": 77, "truncation": True}}
    a = run_cases(legacy, texts, cases)
    b = run_cases(fast, texts, cases)
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            sys.exit(f"clip-openai: tokenizer.json and vocab.json+merges.txt disagree on prompt {i}: {x} vs {y}")
    if added_tokens_state(legacy) != added_tokens_state(fast):
        sys.exit("clip-openai: tokenizer.json and vocab.json+merges.txt give different added tokens")
    c = run_cases(sd2, texts, cases)
    header = lambda t: {"bos_id": t.bos_token_id, "eos_id": t.eos_token_id, "pad_id": t.pad_token_id,
                        "unk_id": t.unk_token_id, "vocab_size": len(t), "added_tokens": added_tokens_state(t)}
    return {"sd15": {**header(legacy), "entries": a}, "sd2": {**header(sd2), "entries": c}}


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
        if args.retrain or not os.path.exists(os.path.join(OUT, "clip-openai", "vocab.json")):
            write_clip_openai(workdir)
        with open(os.path.join(OUT, "corpus.json"), encoding="utf-8") as f:
            corpus = json.load(f)
        texts = [e["text"] for e in corpus["prompts"]]
        res = expected(workdir, texts)
        real = expected_clip_openai(workdir, texts)
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
    for section in real.values():
        for e, rec in zip(corpus["prompts"], section["entries"]):
            rec["name"] = e["name"]
    # transformers 5 has one CLIPTokenizer (the `tokenizers` backend); CLIPTokenizerFast is the same class,
    # and it never calls ftfy (the old Python tokenizer did when ftfy was installed).
    assert transformers.CLIPTokenizerFast is CLIPTokenizer
    real["meta"] = {**res["meta"], "open_clip_torch": importlib.metadata.version("open_clip_torch"),
                    "vocabulary": "open_clip/bpe_simple_vocab_16e6.txt.gz (OpenAI CLIP, MIT licence)",
                    "ftfy_installed": importlib.util.find_spec("ftfy") is not None,
                    "ftfy_used": False, "clip_tokenizer_fast_is_clip_tokenizer": True}
    path = os.path.join(OUT, "clip-openai", "expected.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(real, f, ensure_ascii=False, indent=None, separators=(",", ":"))
        f.write("\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
