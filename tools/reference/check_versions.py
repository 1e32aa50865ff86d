"""Fails unless the installed libraries are the versions pinned in requirements.txt.

The fixtures hold numbers produced by exact library versions, and their headers say which.
Regenerating them with other versions would change the numbers the Swift tests compare
against without anyone noticing. Set ZOETROPE_ALLOW_VERSION_MISMATCH=1 to regenerate
anyway (for example to move the pins: update requirements.txt in the same commit).
"""

from __future__ import annotations

import os
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

REQUIREMENTS = Path(__file__).resolve().parent / "requirements.txt"


def pinned() -> dict[str, str]:
    pins = {}
    for line in REQUIREMENTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, wanted = line.split("==", 1)
            pins[name.strip()] = wanted.strip()
    return pins


def main() -> int:
    problems = []
    for name, wanted in pinned().items():
        try:
            installed = version(name).split("+", 1)[0]  # torch 2.15.0+cpu / +cu132 is torch 2.15.0
        except PackageNotFoundError:
            problems.append(f"{name}: not installed (wanted {wanted})")
            continue
        if installed != wanted:
            problems.append(f"{name}: installed {installed}, wanted {wanted}")
    if not problems:
        return 0
    print(f"check_versions: the installed libraries differ from {REQUIREMENTS}:", file=sys.stderr)
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
    if os.environ.get("ZOETROPE_ALLOW_VERSION_MISMATCH") == "1":
        print("check_versions: ZOETROPE_ALLOW_VERSION_MISMATCH=1, continuing", file=sys.stderr)
        return 0
    print("install them with: pip install -r tools/reference/requirements.txt "
          "(or set ZOETROPE_ALLOW_VERSION_MISMATCH=1 and update the pins)", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
