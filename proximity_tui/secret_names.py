"""Which names hold secrets (bottom layer: anything may import it).

One rule for the whole product: the journal masks values under such keys, log records are scrubbed
by it, and an app environment variable with such a name is marked secret (migrated apps, and the
apps an older database holds, see store migration 0004), so no role sees it on the Settings tab.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: Keys whose values are never stored nor shown (matched anywhere in a name, any case).
SECRET_KEY = re.compile(
    r"passw(or)?d|passphrase|secret|token|credential|api[-_]?key|private[-_]?key|access[-_]?key"
    r"|(^|[-_.])(key|pass|pwd|auth|salt|cookie|ticket|csrf)$",
    re.IGNORECASE,
)


def is_secret_name(name: object) -> bool:
    return isinstance(name, str) and bool(SECRET_KEY.search(name))


def with_secret_names(config: dict[str, object], names: Iterable[object]) -> dict[str, object]:
    """A copy of an app's `config` whose `secret_names` also lists every name in `names` the rule
    calls secret (the ones already listed are kept, in order; new ones follow, sorted)."""
    listed = config.get("secret_names")
    kept = [n for n in listed if isinstance(n, str)] if isinstance(listed, list | tuple) else []
    added = sorted({n for n in names if isinstance(n, str) and is_secret_name(n)} - set(kept))
    if not added and (listed is None or listed == kept):
        return config
    return {**config, "secret_names": [*kept, *added]}
