"""A tiny UMT5-compatible tokenizer for the tiny Wan pipeline fixture.

A sentencepiece Unigram model (vocab 256, `nmt_nfkc` normalisation, T5 special ids
pad=0, eos=1, unk=2, no bos) is trained on a few hundred synthetic captions built from
fixed word lists with a seeded RNG. The same model is then loaded by transformers 5's
`T5Tokenizer` (tokenizers backend), whose `tokenizer.json` is what diffusers'
`WanPipeline` uses through `AutoTokenizer`.

Both `spiece.model` and `tokenizer.json` are written, so a Swift tokenizer can be checked
against either spelling of the same vocabulary. Training runs single-threaded from an
in-memory sentence iterator and writes the model to memory, so the bytes of
`spiece.model` do not depend on a temporary path or on thread timing.
"""

from __future__ import annotations

import io
import random
import tempfile
from pathlib import Path

import sentencepiece as spm
from transformers import T5Tokenizer

VOCAB_SIZE = 256
CORPUS_SEED = 1234
CORPUS_SIZE = 800

_COLORS = ["red", "green", "blue", "yellow", "black", "white", "purple", "orange", "pink", "gray", "golden", "silver",
           "brown", "violet", "turquoise", "crimson", "beige", "emerald", "navy", "magenta"]
_THINGS = ["circle", "square", "triangle", "ball", "cube", "cat", "dog", "bird", "fish", "car", "boat", "tree",
           "flower", "horse", "robot", "balloon", "star", "cloud", "train", "rabbit", "penguin", "dragon",
           "butterfly", "elephant", "giraffe", "monkey", "turtle", "jellyfish", "airplane", "bicycle",
           "lighthouse", "umbrella", "kite", "snowflake", "pumpkin", "teapot", "violin", "astronaut",
           "waterfall", "volcano", "windmill", "submarine", "hedgehog", "octopus", "squirrel", "zebra"]
_ADJECTIVES = ["", "", "shiny", "fluffy", "wooden", "glowing", "tiny", "giant", "happy", "sleepy", "metallic",
               "transparent", "striped", "spotted", "ancient", "futuristic", "plastic", "crystal", "furry",
               "rusty", "colorful", "smooth", "wrinkled", "curious"]
_MOTIONS = ["moving", "rolling", "flying", "jumping", "running", "spinning", "floating", "swimming", "walking",
            "sliding", "bouncing", "drifting", "dancing", "turning", "climbing", "crawling", "galloping",
            "hovering", "wobbling", "shrinking", "growing", "melting", "sparkling", "waving", "skating", "sailing"]
_DIRECTIONS = ["left", "right", "up", "down", "forward", "backward", "in circles", "slowly", "quickly",
               "across the screen", "toward the camera", "away from the camera"]
_PLACES = ["on a beach", "in a forest", "in the city", "under the sea", "in space", "on a table", "in the snow",
           "at night", "at sunset", "in the rain", "on a road", "in a garden", "over the mountains", "in a kitchen",
           "inside a museum", "through a desert", "beside a river", "on the moon", "in a jungle", "near a castle",
           "in a library", "on a rooftop", "inside a cave", "across a bridge", "in a meadow", "by a volcano"]
_STYLES = ["", "", "", "cinematic", "cartoon style", "high quality", "4k", "watercolor", "photorealistic",
           "pixel art", "slow motion", "blurry", "low quality", "bright colors", "dark mood"]


def synthetic_captions(count: int = CORPUS_SIZE, seed: int = CORPUS_SEED) -> list[str]:
    """Captions like "a red circle moving left in the snow, cinematic"; the same list for a given seed."""
    rng = random.Random(seed)
    captions = []
    for _ in range(count):
        parts = [rng.choice(["a", "the", "one", "two", "a small", "a big"]), rng.choice(_COLORS),
                 rng.choice(_ADJECTIVES), rng.choice(_THINGS), rng.choice(_MOTIONS), rng.choice(_DIRECTIONS)]
        if rng.random() < 0.6:
            parts.append(rng.choice(_PLACES))
        caption = " ".join(part for part in parts if part)
        style = rng.choice(_STYLES)
        if style:
            caption += ", " + style
        if rng.random() < 0.1:
            caption = caption.capitalize() + "."
        captions.append(caption)
    return captions


def train_sentencepiece_model(vocab_size: int = VOCAB_SIZE) -> bytes:
    """Trains the Unigram model and returns the serialized `ModelProto` (the bytes of `spiece.model`)."""
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(synthetic_captions()),
        model_writer=model,
        model_type="unigram",
        vocab_size=vocab_size,
        normalization_rule_name="nmt_nfkc",
        character_coverage=1.0,
        pad_id=0,
        eos_id=1,
        unk_id=2,
        bos_id=-1,
        pad_piece="<pad>",
        eos_piece="</s>",
        unk_piece="<unk>",
        num_threads=1,
        shuffle_input_sentence=False,
        minloglevel=2,
    )
    return model.getvalue()


def build_tokenizer(spiece_model: bytes) -> T5Tokenizer:
    """A transformers `T5Tokenizer` (tokenizers backend, no extra ids) over `spiece_model`."""
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "spiece.model").write_bytes(spiece_model)
        tokenizer = T5Tokenizer.from_pretrained(folder, extra_ids=0, model_max_length=512)
    return tokenizer


def check_same_ids(spiece_model: bytes, tokenizer: T5Tokenizer, texts: list[str]) -> None:
    """Fails if sentencepiece and the transformers tokenizer disagree on any of `texts`."""
    processor = spm.SentencePieceProcessor(model_proto=spiece_model)
    for text in texts:
        expected = processor.encode(text) + [processor.eos_id()]
        actual = tokenizer(text).input_ids
        if expected != actual:
            raise RuntimeError(f"tokenizer mismatch for {text!r}: sentencepiece {expected}, transformers {actual}")
