"""A generation as a PNG card: title line, the verse, and a footer naming the model and the id.

Rendering is Pillow only (no browser, no system fonts): one bundled OFL face covers Latin and the
Tang model's characters, so a card looks the same on every machine. English verse is set ragged
right in a centred block, long lines wrapped with a hanging indent; Chinese verse is set one
couplet a line, centred, as modern editions print it. Pillow is blocking: call ``render_card``
from a worker thread.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT = Path(__file__).parent / "fonts" / "NotoSerifSC-Bardling.woff"
WIDTH = 960
MARGIN = 72
MAX_BODY_LINES = 40  # a 1,000-token poem still makes a card one can read on a phone
TITLE_WORDS = 6
PAPER = (250, 245, 232)
INK = (43, 33, 24)
MUTED = (128, 112, 96)
RULE = (205, 190, 160)
CLAUSE_END = re.compile(r"[，。？！；,.?!;]")


@dataclass(frozen=True)
class Style:
    title_size: int
    body_size: int
    leading: float  # line height as a multiple of the body size
    centred: bool  # each line centred (Chinese) or a left-aligned block centred as a whole


ENGLISH = Style(title_size=40, body_size=30, leading=1.45, centred=False)
CHINESE = Style(title_size=46, body_size=42, leading=1.7, centred=True)
FOOTER_SIZE = 22


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT), size)


def is_chinese(text: str) -> bool:
    """Mostly CJK ideographs: set as Chinese verse."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum("\u4e00" <= c <= "\u9fff" for c in letters) * 2 > len(letters)


def title_of(text: str) -> str:
    """A poem's title line, as untitled poems are named: its first words (Chinese: its first clause)."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if is_chinese(first):
        return CLAUSE_END.split(first, maxsplit=1)[0]
    words = first.split()
    title = " ".join(words[:TITLE_WORDS]).rstrip(",;:.!?—-–'\" ")
    return title + "…" if len(words) > TITLE_WORDS or first.rstrip()[-1:] in ",;:—-–" else title


def _wrap(line: str, font: ImageFont.FreeTypeFont, width: float, indent: str) -> list[str]:
    """A line broken at spaces to fit ``width``; continuations start with ``indent``."""
    out: list[str] = []
    current = ""
    for word in line.split(" "):
        candidate = f"{current} {word}" if current else (indent if out else "") + word
        if current and font.getlength(candidate) > width:
            out.append(current)
            current = indent + word
        else:
            current = candidate
    out.append(current)
    return out


def body_lines(text: str, style: Style, width: float) -> list[str]:
    font = _font(style.body_size)
    lines: list[str] = []
    for line in text.rstrip().splitlines():
        line = line.rstrip()
        if style.centred or font.getlength(line) <= width:
            lines.append(line)
        else:
            lines.extend(_wrap(line, font, width, indent="    "))
    if len(lines) > MAX_BODY_LINES:
        lines = [*lines[: MAX_BODY_LINES - 1], "…"]
    return lines


def render_card(text: str, footer: str, target: Path) -> Path:
    """Draw the card and write it to ``target`` (atomically: a reader never sees half a PNG)."""
    style = CHINESE if is_chinese(text) else ENGLISH
    inner = WIDTH - 2 * MARGIN
    title_font, body_font, footer_font = _font(style.title_size), _font(style.body_size), _font(FOOTER_SIZE)
    title = title_of(text) or "…"
    lines = body_lines(text, style, inner) or ["(silence)"]
    step = round(style.body_size * style.leading)
    title_h = round(title_font.getbbox(title, anchor="ma")[3]) + 22  # the face's ascent is tall
    height = MARGIN + title_h + 28 + len(lines) * step + 36 + round(FOOTER_SIZE * 1.6) + MARGIN

    image = Image.new("RGB", (WIDTH, height), PAPER)
    draw = ImageDraw.Draw(image)
    y: float = MARGIN
    draw.text((WIDTH / 2, y), title, font=title_font, fill=INK, anchor="ma")
    y += title_h
    draw.line([(WIDTH / 2 - 60, y), (WIDTH / 2 + 60, y)], fill=RULE, width=2)
    y += 28
    block = max((body_font.getlength(line) for line in lines), default=0)
    left = MARGIN + max(0.0, (inner - block) / 2)
    for line in lines:
        if style.centred:
            draw.text((WIDTH / 2, y), line, font=body_font, fill=INK, anchor="ma")
        else:
            draw.text((left, y), line, font=body_font, fill=INK)
        y += step
    y += 36
    draw.line([(MARGIN, y - 18), (WIDTH - MARGIN, y - 18)], fill=RULE, width=1)
    draw.text((MARGIN, y), footer, font=footer_font, fill=MUTED)
    draw.text((WIDTH - MARGIN, y), "Bardling", font=footer_font, fill=MUTED, anchor="ra")

    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".card-", suffix=".png", delete=False) as fh:
        image.save(fh, format="PNG", optimize=True)
    Path(fh.name).replace(target)
    return target
