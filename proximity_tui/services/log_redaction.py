"""No log record, ours or a library's, ever carries a secret.

proxmoxer logs every request with its body at INFO (`POST .../lxc {'password': ...}`: the CT's
root password at deploy, the API password at login) and its answers at DEBUG; asyncssh and our own
modules may log a command line or an error holding an app's secret. `install()` wraps the logging
record factory, so every record (whatever its logger, handler or level) is scrubbed once when it is
made: values under secret-looking names (the journal's rules: `password`, `token`, `*_key`, ...)
in dict reprs, JSON and `name=value` pairs, and every value registered with `register()` (the
journal registers each secret it masks), become `***`. It costs nothing for records no logger
is enabled for: the factory only runs for those.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

_lock = threading.Lock()
_secrets: list[str] = []
_installed = False
#: 'name': 'value' or "name": "value" (a dict repr, JSON) and name=value (a form, a query string).
_QUOTED = re.compile(r"""(['"])([^'"\n]{1,80})\1(\s*:\s*)(['"])(.*?)(?<!\\)\4""")
_PAIR = re.compile(r"""\b([A-Za-z][\w.-]{0,79})=([^\s&,;'"]+)""")


def register(value: str | None, min_length: int = 4) -> None:
    """Mask `value` in every log record from now on."""
    if not value or len(value) < min_length:
        return
    with _lock:
        if value not in _secrets:
            _secrets[:] = sorted([*_secrets, value], key=len, reverse=True)


def scrub(text: str) -> str:
    from proximity_tui.secret_names import SECRET_KEY
    from proximity_tui.services.journal import MASK

    def quoted(m: re.Match[str]) -> str:
        if not SECRET_KEY.search(m.group(2)):
            return m.group(0)
        return f"{m.group(1)}{m.group(2)}{m.group(1)}{m.group(3)}{m.group(4)}{MASK}{m.group(4)}"

    def pair(m: re.Match[str]) -> str:
        return f"{m.group(1)}={MASK}" if SECRET_KEY.search(m.group(1)) else m.group(0)

    text = _PAIR.sub(pair, _QUOTED.sub(quoted, text))
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def install() -> None:
    """Scrub every log record of this process from now on (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    make = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string is logging's to report
            return record
        clean = scrub(message)
        if clean != message:
            record.msg, record.args = clean, None
        return record

    logging.setLogRecordFactory(factory)
