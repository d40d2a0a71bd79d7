"""Where a search term occurs in log lines: the matches of a log's `/` search and `&` filter.

Pure functions over plain lines, so a 10,000-line log is searched with `str.find` once per
(debounced) query, not once per rendered row. Case-insensitive, like less's `-i` and k9s.
"""

from __future__ import annotations

#: One occurrence: (absolute line number, start offset in that line).
Match = tuple[int, int]


def find_in(line: str, query: str) -> list[int]:
    """Start offsets of `query` (already lower-case) in `line`, left to right, not overlapping."""
    low = line.lower()
    starts: list[int] = []
    at = low.find(query)
    while at >= 0:
        starts.append(at)
        at = low.find(query, at + len(query))
    return starts


def search_status(query: str, filtering: bool, matches: int, current: int | None) -> str:
    """The log header's search part: `/term 3/17`, `&term 17 matches`, `/term no match`."""
    if not query:
        return ""
    shown = f"{'&' if filtering else '/'}{query}"
    if not matches:
        return f"{shown} no match"
    if filtering or current is None:
        return f"{shown} {matches} match{'es' if matches != 1 else ''}"
    return f"{shown} {current + 1}/{matches}"
