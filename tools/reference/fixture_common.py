"""Shared helpers for the `*_fixtures.py` scripts that write `Tests/Fixtures/`.

Every fixture file is a safetensors file whose `__metadata__` header holds:

    format_version   FORMAT_VERSION below (bump it when the layout of a fixture changes)
    script           the script that wrote the file, relative to the repository root
    torch, diffusers, transformers, safetensors
                     the library versions that produced the numbers
    config           JSON of the configuration of the model or scheduler that produced the numbers
    description      one line saying what the file holds (optional)
    regenerate       the one command that rewrites every fixture

Values in a safetensors header must be strings, so `config` is JSON text (sorted keys).
Floating-point tensors are stored as float32, integer tensors (token ids, integer timesteps,
masks) as int64, which is what torch hands to the models.
"""

from __future__ import annotations

import json
import os
import random
import struct
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import safetensors
import torch
from safetensors.torch import save as serialize_safetensors

FORMAT_VERSION = "1"
REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES_ROOT = REPO_ROOT / "Tests" / "Fixtures"
REGENERATE_COMMAND = "tools/reference/generate_all.sh"


def setup_determinism(seed: int = 0) -> None:
    """Single-threaded, deterministic torch on the CPU, seeded.

    One thread makes float reductions (GEMM, softmax, norms) sum in the same order on
    every machine and every run, so two runs write byte-identical files.
    """
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(seed)
    quiet_libraries()
    random.seed(seed)
    np.random.seed(seed)


def quiet_libraries() -> None:
    """Turns off the progress bars diffusers and transformers print while saving and loading."""
    import diffusers.utils.logging as diffusers_logging
    import transformers.utils.logging as transformers_logging

    diffusers_logging.disable_progress_bar()
    diffusers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    transformers_logging.set_verbosity_error()


def library_versions() -> dict[str, str]:
    """Versions of the libraries whose numbers the fixtures hold."""
    import diffusers
    import transformers

    return {
        "torch": torch.__version__.split("+")[0],
        "diffusers": diffusers.__version__,
        "transformers": transformers.__version__,
        "safetensors": safetensors.__version__,
    }


@torch.no_grad()
def perturb_parameters(model: torch.nn.Module, seed: int, std: float = 0.05, constant_std: float = 0.1) -> None:
    """Adds seeded Gaussian noise to every parameter of `model`, in `named_parameters()` order.

    diffusers and transformers initialise norm weights to 1 and many biases to 0. A port that
    forgets a norm weight or a bias would still match such a model, so every parameter is
    moved away from its initial value:
    - a parameter whose entries are all equal (ones, zeros) gets `constant_std` noise,
      so norm weights become 1 ± 0.1 and zero biases become ±0.1;
    - every other parameter gets `std` noise on top of its random initial value, which keeps
      the activations of order one.
    """
    generator = torch.Generator("cpu").manual_seed(seed)
    for _, parameter in model.named_parameters():
        data = parameter.data
        flat = data.reshape(-1)
        is_constant = bool((flat == flat[0]).all())
        scale = constant_std if is_constant else std
        noise = torch.randn(data.shape, generator=generator, dtype=torch.float32) * scale
        data.add_(noise.to(data.dtype))


def _as_storable(tensor: torch.Tensor) -> torch.Tensor:
    tensor = tensor.detach().cpu()
    if tensor.is_floating_point():
        tensor = tensor.to(torch.float32)
    elif tensor.dtype in (torch.int32, torch.int16, torch.int8, torch.uint8, torch.bool):
        tensor = tensor.to(torch.int64)
    return tensor.contiguous().clone()


def save_fixture(
    path: Path,
    tensors: Mapping[str, torch.Tensor | np.ndarray],
    script: str,
    config: Any,
    description: str = "",
) -> None:
    """Writes `tensors` to `path` as safetensors with the fixture metadata header."""
    storable = {}
    for name, value in tensors.items():
        if isinstance(value, np.ndarray):
            value = torch.from_numpy(np.ascontiguousarray(value))
        storable[name] = _as_storable(value)
    metadata = {
        "format_version": FORMAT_VERSION,
        "script": script,
        "config": json.dumps(config, sort_keys=True, default=_json_default),
        "regenerate": REGENERATE_COMMAND,
        **library_versions(),
    }
    if description:
        metadata["description"] = description
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(canonical_safetensors(serialize_safetensors(storable, metadata=metadata)))


def canonical_safetensors(blob: bytes) -> bytes:
    """The same safetensors file with its JSON header in a fixed order.

    The safetensors writer keeps `__metadata__` in a hash map, so its keys come out in a
    different order on every run. Rewriting the header with `__metadata__` first (keys
    sorted), then the tensors in data-offset order, makes two runs byte-identical. The
    data section and every offset stay as they were; the header is padded with spaces to a
    multiple of 8 bytes, as the format asks.
    """
    (header_length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + header_length])
    data = blob[8 + header_length :]
    ordered = {}
    if "__metadata__" in header:
        ordered["__metadata__"] = dict(sorted(header.pop("__metadata__").items()))
    for name in sorted(header, key=lambda key: (header[key]["data_offsets"][0], key)):
        ordered[name] = header[name]
    text = json.dumps(ordered, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def _json_default(value: Any) -> Any:
    if isinstance(value, (tuple, set)):
        return list(value)
    if isinstance(value, torch.dtype):
        return str(value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"fixture config holds a value JSON cannot store: {value!r} ({type(value).__name__})")


def plain_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """A diffusers / transformers config as a plain dict, without private `_` keys."""
    return {k: v for k, v in dict(config).items() if not k.startswith("_")}


def relative_to_repo(path: Path) -> str:
    return str(Path(path).resolve().relative_to(REPO_ROOT))
