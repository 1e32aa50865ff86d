"""Loss histories kept in git (tools/train/history/): a training stage's per-step log compacted to
one row per EVERY steps and merged into the history file, so the model cards' loss curves outlive
the machine that trained. No torch: model_card.py and train.py both use it."""
from __future__ import annotations

import csv
import os

EVERY = 50  # a history row is the mean loss over this many steps
FIELDS = ["step", "loss", "sec", "steps"]


def read_rows(p: str) -> list[dict]:
    if not os.path.exists(p):
        return []
    with open(p) as f:
        return list(csv.DictReader(f))


def compact(rows: list[dict]) -> list[dict]:
    """Per-step log rows -> one row per EVERY steps: the last step, the mean loss, the summed step
    time and how many steps the row stands for."""
    groups: dict[int, list[dict]] = {}
    for r in rows:
        groups.setdefault((int(r["step"]) - 1) // EVERY, []).append(r)
    return [{"step": int(g[-1]["step"]), "loss": round(sum(float(r["loss"]) for r in g) / len(g), 5),
             "sec": round(sum(float(r["sec"]) for r in g), 2), "steps": len(g)}
            for _, g in sorted(groups.items())]


def merge(log: str, history: str) -> list[dict]:
    """The history file `history` merged with the compacted rows of the per-step `log`, which win
    where both cover a step and are written back to `history`. A resumed stage restarts from its
    last checkpoint and logs the steps after it again; the later row of a step wins (it is the one
    the weights carry)."""
    by_step = {int(r["step"]): r for r in read_rows(log)}
    fresh = compact([by_step[k] for k in sorted(by_step)])
    first_fresh = min((int(r["step"]) - int(r["steps"]) for r in fresh), default=None)
    kept = [r for r in read_rows(history) if first_fresh is None or int(r["step"]) <= first_fresh]
    merged = [{k: r[k] for k in FIELDS} for r in kept] + fresh
    if fresh:
        os.makedirs(os.path.dirname(history), exist_ok=True)
        with open(history, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=FIELDS)
            w.writeheader(); w.writerows(merged)
    return merged
