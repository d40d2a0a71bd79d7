"""Secrets in an export file, sealed with a passphrase: Fernet (AES-128-CBC + HMAC-SHA256, from
`cryptography`) under a key derived by scrypt (n=2**15, r=8, p=1, a fresh 16-byte salt per file).

The passphrase comes from a prompt or a file, never the command line (argv is visible to every
user of the host through /proc). A wrong passphrase or a changed file is one clear error.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from proximity_tui.errors import ValidationError

KDF = "scrypt"
N, R, P = 2**15, 8, 1
MIN_PASSPHRASE = 8


class SealError(ValidationError):
    """The sealed secrets cannot be opened (wrong passphrase, changed or foreign data)."""


def _key(passphrase: str, salt: bytes, n: int = N, r: int = R, p: int = P) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    raw = Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode())
    return base64.urlsafe_b64encode(raw)


def check_passphrase(passphrase: str) -> str:
    if len(passphrase) < MIN_PASSPHRASE:
        raise ValidationError(
            f"the passphrase must have at least {MIN_PASSPHRASE} characters", field="passphrase"
        )
    return passphrase


def seal(data: Any, passphrase: str) -> dict[str, Any]:
    """`data` (JSON-able) encrypted: what the export file keeps under `secrets`."""
    from cryptography.fernet import Fernet

    salt = os.urandom(16)
    token = Fernet(_key(check_passphrase(passphrase), salt)).encrypt(json.dumps(data).encode())
    return {
        "cipher": "fernet",
        "kdf": KDF,
        "n": N,
        "r": R,
        "p": P,
        "salt": base64.b64encode(salt).decode(),
        "data": token.decode(),
    }


def unseal(box: Any, passphrase: str) -> Any:
    from cryptography.fernet import Fernet, InvalidToken

    if not isinstance(box, dict) or box.get("cipher") != "fernet" or box.get("kdf") != KDF:
        raise SealError("secrets: not sealed the way this version seals them (fernet, scrypt)")
    try:
        salt = base64.b64decode(str(box["salt"]), validate=True)
        n, r, p = int(box["n"]), int(box["r"]), int(box["p"])
        if not (2**10 <= n <= 2**20 and 1 <= r <= 32 and 1 <= p <= 16):
            raise ValueError("scrypt parameters out of range")
        plain = Fernet(_key(passphrase, salt, n, r, p)).decrypt(str(box["data"]).encode())
    except InvalidToken:
        raise SealError("secrets: wrong passphrase (or the file was changed)") from None
    except (KeyError, ValueError, TypeError) as exc:
        raise SealError(f"secrets: malformed sealed data ({exc})") from None
    try:
        return json.loads(plain)
    except ValueError:
        raise SealError("secrets: the sealed data is not JSON") from None
