"""Renders a tmux capture with escapes (`tmux capture-pane -e -p`, the `.ansi` files the studio's
end-to-end test writes) to a PNG, so the README can show the studio as a terminal shows it:
24-bit and 256-colour SGR, bold, and the half-block pictures (`▀`: upper pixel in the foreground
colour, lower in the background), which plain text cannot carry.

  .venv/bin/python tools/screenshots/ansi_to_png.py Tests/StudioTests/Screenshots/finished.ansi docs/finished.png

Only the SGR subset the studio emits is understood (reset, bold, 30–37/90–97, 38/48 with ;5; or
;2;, 39, 49); the colours of the 16-colour palette and the defaults are xterm's.
"""
from __future__ import annotations

import argparse
import re
import unicodedata

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
DEFAULT_FG, DEFAULT_BG = (208, 208, 208), (24, 24, 24)
BASIC = [(0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205),
         (229, 229, 229), (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255),
         (255, 0, 255), (0, 255, 255), (255, 255, 255)]
# Box drawing: which sides of the cell the line reaches (left, right, up, down).
BOX = {"─": (1, 1, 0, 0), "│": (0, 0, 1, 1), "┌": (0, 1, 0, 1), "┐": (1, 0, 0, 1), "└": (0, 1, 1, 0),
       "┘": (1, 0, 1, 0), "├": (0, 1, 1, 1), "┤": (1, 0, 1, 1), "┬": (1, 1, 0, 1), "┴": (1, 1, 1, 0),
       "┼": (1, 1, 1, 1)}
SGR = re.compile(r"\x1b\[([0-9;]*)m")


def xterm256(n: int) -> tuple[int, int, int]:
    if n < 16:
        return BASIC[n]
    if n < 232:
        n -= 16
        level = [0, 95, 135, 175, 215, 255]
        return level[n // 36], level[(n // 6) % 6], level[n % 6]
    v = 8 + 10 * (n - 232)
    return v, v, v


def parse_line(line: str) -> list[tuple[str, tuple, tuple, bool]]:
    """The cells of one captured row: (character, fg, bg, bold)."""
    cells, fg, bg, bold = [], DEFAULT_FG, DEFAULT_BG, False
    pos = 0
    for match in list(SGR.finditer(line)) + [None]:
        end = match.start() if match else len(line)
        for ch in line[pos:end]:
            cells.append((ch, fg, bg, bold))
            if unicodedata.east_asian_width(ch) in ("W", "F"):
                cells.append(("", fg, bg, bold))  # the right half of a wide character
        if not match:
            break
        pos = match.end()
        codes = [int(c) if c else 0 for c in match.group(1).split(";")]
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0:
                fg, bg, bold = DEFAULT_FG, DEFAULT_BG, False
            elif c == 1:
                bold = True
            elif c == 22:
                bold = False
            elif 30 <= c <= 37 or 90 <= c <= 97:
                fg = BASIC[c - 30 if c < 90 else c - 82]
            elif 40 <= c <= 47 or 100 <= c <= 107:
                bg = BASIC[c - 40 if c < 100 else c - 92]
            elif c in (38, 48) and i + 1 < len(codes):
                if codes[i + 1] == 5 and i + 2 < len(codes):
                    colour, i = xterm256(codes[i + 2]), i + 2
                elif codes[i + 1] == 2 and i + 4 < len(codes):
                    colour, i = tuple(codes[i + 2:i + 5]), i + 4
                else:
                    colour = DEFAULT_FG if c == 38 else DEFAULT_BG
                if c == 38:
                    fg = colour
                else:
                    bg = colour
            elif c == 39:
                fg = DEFAULT_FG
            elif c == 49:
                bg = DEFAULT_BG
            i += 1
    return cells


def render(text: str, size: int = 14) -> Image.Image:
    rows = [parse_line(line) for line in text.rstrip("\n").split("\n")]
    font, bold_font = ImageFont.truetype(FONT, size), ImageFont.truetype(FONT_BOLD, size)
    cw = round(font.getlength("M"))
    ch = round(size * 1.2)
    width = max(len(r) for r in rows)
    img = Image.new("RGB", (width * cw, len(rows) * ch), DEFAULT_BG)
    draw = ImageDraw.Draw(img)
    for y, row in enumerate(rows):
        for x, (glyph, fg, bg, bold) in enumerate(row):
            box = (x * cw, y * ch, (x + 1) * cw - 1, (y + 1) * ch - 1)
            if glyph == "▀":  # exact halves, not the font's idea of them
                draw.rectangle((box[0], box[1], box[2], box[1] + ch // 2 - 1), fill=fg)
                draw.rectangle((box[0], box[1] + ch // 2, box[2], box[3]), fill=bg)
                continue
            if glyph == "█":
                draw.rectangle(box, fill=fg)
                continue
            draw.rectangle(box, fill=bg)
            if glyph in BOX:  # lines that meet across cells, which font glyphs do not
                left, right, up, down = BOX[glyph]
                mx, my = (box[0] + box[2]) // 2, (box[1] + box[3]) // 2
                w = 2 if bold else 1
                if left or right:
                    draw.line((box[0] if left else mx, my, box[2] + 1 if right else mx, my), fill=fg, width=w)
                if up or down:
                    draw.line((mx, box[1] if up else my, mx, box[3] + 1 if down else my), fill=fg, width=w)
                continue
            if glyph.strip():
                draw.text((x * cw, y * ch + (ch - size) // 2 - 1), glyph, fill=fg, font=bold_font if bold else font)
    return img


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("capture")
    ap.add_argument("png")
    ap.add_argument("--size", type=int, default=14, help="font size in pixels")
    args = ap.parse_args()
    with open(args.capture, encoding="utf-8") as f:
        render(f.read(), args.size).save(args.png, optimize=True)
    print("wrote", args.png)


if __name__ == "__main__":
    main()
