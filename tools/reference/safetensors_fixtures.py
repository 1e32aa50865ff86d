"""Writes Tests/Fixtures/weights/sample.safetensors with the Python safetensors library.

The WeightsIOTests read it back and compare against values written out in the test
(`SafetensorsReferenceTests`), so the Swift reader is checked against the reference writer.

Regenerate (from the repository root):
    tools/reference/generate_all.sh   (or: .venv/bin/python tools/reference/safetensors_fixtures.py --out Tests/Fixtures)
Generated with safetensors 0.8.0, torch 2.15.0.
"""
from pathlib import Path

import torch
from safetensors.torch import save_file

OUT = Path(__file__).resolve().parents[2] / "Tests" / "Fixtures" / "weights" / "sample.safetensors"


def main() -> None:
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=None, help="the Tests/Fixtures folder (generate_all.sh passes it)")
    args = ap.parse_args()
    out = Path(args.out) / "weights" / "sample.safetensors" if args.out else OUT
    tensors = {
        # F32 [2, 3]: 0, 0.5, ..., 2.5
        "linear.weight": torch.arange(6, dtype=torch.float32).reshape(2, 3) / 2,
        # F32 scalar
        "scale": torch.tensor(3.25, dtype=torch.float32),
        # F16 known values: 1, -2, 0.5, max normal 65504, smallest subnormal 2^-24,
        # smallest normal 2^-14, 1/3 rounded to half (0x3555), -0
        "half.values": torch.tensor(
            [1.0, -2.0, 0.5, 65504.0, 2.0**-24, 2.0**-14, 1.0 / 3.0, -0.0], dtype=torch.float16
        ),
        # BF16 known values: 1, -2, 3.140625 (pi rounded to bf16, 0x4049), 2^-126, 1e30 rounded
        "bf16.values": torch.tensor([1.0, -2.0, 3.14159265, 2.0**-126, 1e30], dtype=torch.bfloat16).reshape(5, 1),
        # I64 position ids
        "position_ids": torch.arange(4, dtype=torch.int64).reshape(1, 4),
        # empty tensor
        "empty": torch.zeros(0, 3, dtype=torch.float32),
    }
    metadata = {"format": "pt", "generator": "tools/reference/safetensors_fixtures.py"}
    out.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out), metadata=metadata)
    for name, t in tensors.items():
        if t.dtype in (torch.float16, torch.bfloat16):
            bits = t.view(torch.int16).flatten().tolist()
            print(name, [hex(b & 0xFFFF) for b in bits], t.float().flatten().tolist())
    print("wrote", out, out.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
