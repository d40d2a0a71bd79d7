"""Column widths from content for a table wider than its screen, and eliding that says so.

A table whose columns add up to more than the screen used to be cut at the screen's edge, in
the middle of whatever was there (`http://10.10.0.24:5` for port 5006). `fit_widths` gives each
flexible column its natural width (its widest cell) and, when they do not all fit, takes the
missing room from the columns that can spare it: tier by tier (a lower tier gives first), and
within a tier from the widest column first, never below a column's minimum. A cell wider than
its column is then elided by `elide`, visibly (`…`) and, for URLs and errors, only at whole
tokens: a URL is shown whole or as `…`, an error keeps its first whole words.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size

ELLIPSIS = "…"

#: How a cell too wide for its column is shortened.
#: "end": characters, then `…` (names, hostnames); "words": whole words, then `…`, falling back
#: to "end" for a first word too long; "tokens": whole words or nothing (`…`) (errors);
#: "whole": the text or `…` alone (URLs).
ELIDE_MODES = ("end", "words", "tokens", "whole")


@dataclass(frozen=True)
class Flex:
    """A column that may be narrower than its content."""

    tier: int = 0  # lower tiers give up room first
    minimum: int = 4
    elide: str = "end"


def fit_widths(natural: dict[str, int], flex: dict[str, Flex], room: int) -> dict[str, int]:
    """Widths (content, without padding) for the flexible columns in `natural` so that the sum
    of `natural` (fixed columns keep theirs) fits `room` when the minimums allow it."""
    widths = dict(natural)
    excess = sum(widths.values()) - room
    for tier in sorted({f.tier for f in flex.values()}):
        keys = [k for k, f in flex.items() if f.tier == tier and k in widths]
        while excess > 0:
            # take one cell at a time from the widest column that is above its minimum
            able = [k for k in keys if widths[k] > flex[k].minimum]
            if not able:
                break
            widest = max(widths[k] for k in able)
            tops = [k for k in able if widths[k] == widest]
            below = max([widths[k] for k in able if widths[k] < widest] + [0])
            floor = max(below, max(flex[k].minimum for k in tops))
            # lower every top column together, down to the next width (or their floor)
            step = min(widest - floor, -(-excess // len(tops)))
            for k in tops:
                take = min(step, widths[k] - flex[k].minimum, excess)
                widths[k] -= take
                excess -= take
    return widths


def elide(text: str, width: int, mode: str = "end") -> str:
    """`text` in at most `width` cells, shortened visibly (see ELIDE_MODES)."""
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    if mode in ("words", "tokens"):
        kept = ""
        for word in text.split():
            candidate = f"{kept} {word}" if kept else word
            if cell_len(candidate) + 1 > width:
                break
            kept = candidate
        if kept:
            return kept.rstrip(",;:") + ELLIPSIS
        if mode == "tokens":
            return ELLIPSIS
    if mode in ("whole", "tokens"):
        return ELLIPSIS
    return set_cell_size(text, width - 1).rstrip() + ELLIPSIS
