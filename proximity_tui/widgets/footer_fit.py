"""Fit a screen's footer to the terminal's width: the keys that fit, most used first.

Textual's Footer cuts off whatever does not fit, so at 80 columns a screen with many keys would
show half a label and hide the rest. A screen names tiers: (below this width, keys to leave out);
`?` still lists every key. `fit_labels` shortens some labels instead (the long one is kept as the
binding's tooltip, which the help overlay shows).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

Tiers = Sequence[tuple[float, frozenset[str]]]
#: The App's mode keys, repeated in a screen's BINDINGS so that its footer can leave them out
#: (the header names the modes already).
MODE_KEYS = (("1", "catalog"), ("2", "apps"), ("3", "operations"))


def fit_footer(screen: Any, tiers: Tiers, width: int, current: frozenset[str] | None):
    """Show or hide the tiers' keys for `width`; returns the keys now hidden (pass it back as
    `current` next time: nothing is redone while the tier stays the same)."""
    hidden = next(keys for below, keys in tiers if width < below)
    if hidden == current:
        return current
    bindings = screen._bindings.key_to_bindings
    for key in {k for _, keys in tiers for k in keys}:
        shown = key not in hidden
        bindings[key] = [replace(b, show=shown) for b in bindings.get(key, [])]
    if screen.is_mounted:  # from compose, the footer's first build reads them anyway
        screen.refresh_bindings()
    return hidden


def fit_labels(screen: Any, short: Mapping[str, str], narrow: bool) -> None:
    """Label the bindings of the actions in `short` (action -> short label) with it when
    `narrow`, else with their long label: their `tooltip` (set it to the description)."""
    bindings = screen._bindings.key_to_bindings
    for key, group in bindings.items():
        bindings[key] = [
            replace(b, description=short[b.action] if narrow else b.tooltip)
            if b.action in short
            else b
            for b in group
        ]
    if screen.is_mounted:
        screen.refresh_bindings()
