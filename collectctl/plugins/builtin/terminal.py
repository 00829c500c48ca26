"""Tables on a terminal: fit ``$COLUMNS`` and colour what needs attention.

Only for the ``table`` format written to a terminal. Long text columns (names, notes,
descriptions) are shortened with an ellipsis, widest first; money, numbers and dates never are.
Negative amounts (credit) are green, amounts in the oldest bucket (``91+`` with the default
bounds) red, and broken/partial/overdue states yellow or red. ``NO_COLOR`` (any value) turns
colours off; output to a pipe or a file is never touched.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence

from collectctl.output import Column

RED, GREEN, YELLOW, RESET = "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[0m"
ELLIPSIS = "…"
#: Text cells that mean trouble, and their colour.
STATES = {"broken": RED, "partial": YELLOW, "overdue": YELLOW, "late": YELLOW, "escalated": RED}
#: Narrowest a shortened text column gets (its heading still shows).
MIN_TEXT = 8
#: Space between columns in the ``simple`` table format, and tabulate's padding per column.
GAP = 2
PAD = 2


def colours_wanted() -> bool:
    """False when ``NO_COLOR`` is set to anything (https://no-color.org)."""
    return not os.environ.get("NO_COLOR")


def width() -> int:
    """The terminal's width (``$COLUMNS`` wins, as :func:`shutil.get_terminal_size` reads it)."""
    return shutil.get_terminal_size(fallback=(100, 24)).columns


def fit(columns: Sequence[Column], body: list[list[str]], limit: int) -> list[list[str]]:
    """Shorten text columns (widest first, to :data:`MIN_TEXT`) until the table fits ``limit``."""
    widths = [max([len(c.heading), *(len(r[i]) for r in body)]) for i, c in enumerate(columns)]
    text = [i for i, c in enumerate(columns) if c.kind == "text"]
    over = sum(w + PAD for w in widths) + GAP * (len(widths) - 1) - limit
    while over > 0:
        shrinkable = [i for i in text if widths[i] > max(MIN_TEXT, len(columns[i].heading))]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda i: widths[i])
        floor = max(MIN_TEXT, len(columns[widest].heading))
        second = max([widths[i] for i in shrinkable if i != widest] or [floor])
        cut = min(over, widths[widest] - max(floor, second - 1))
        widths[widest] -= max(cut, 1)
        over -= max(cut, 1)
    return [
        [_shorten(cell, widths[i]) if i in text else cell for i, cell in enumerate(row)]
        for row in body
    ]


def _shorten(cell: str, room: int) -> str:
    return cell if len(cell) <= room else cell[: max(room - 1, 0)] + ELLIPSIS


def colour(columns: Sequence[Column], body: list[list[str]]) -> list[list[str]]:
    """Colour negative amounts, amounts in the last (oldest) bucket and troubled states."""
    oldest = next((i for i, c in reversed(list(enumerate(columns))) if c.key.endswith("+")), None)
    out = []
    for row in body:
        cells = []
        for i, (c, cell) in enumerate(zip(columns, row, strict=True)):
            shade = None
            if c.kind == "money" and cell.startswith("-"):
                shade = GREEN
            elif i == oldest and cell.strip("0.") not in ("", "-"):
                shade = RED
            elif c.kind == "text" and cell in STATES:
                shade = STATES[cell]
            cells.append(f"{shade}{cell}{RESET}" if shade else cell)
        out.append(cells)
    return out
