"""Secrets sealed with a passphrase (services/transfer/sealed.py): Fernet under scrypt."""

from __future__ import annotations

import pytest

from proximity_tui.errors import ValidationError
from proximity_tui.services.transfer.sealed import SealError, seal, unseal

DATA = {"apps": {"vault-v": {"ADMIN_TOKEN": "s3cr3t-value-42"}}, "settings": {}}


def test_round_trip_and_nothing_readable_inside() -> None:
    box = seal(DATA, "correct horse")
    assert "s3cr3t-value-42" not in str(box) and box["kdf"] == "scrypt"
    assert unseal(box, "correct horse") == DATA
    assert seal(DATA, "correct horse")["salt"] != box["salt"]  # a fresh salt per file


def test_wrong_passphrase_or_changed_data_is_one_clear_error() -> None:
    box = seal(DATA, "correct horse")
    with pytest.raises(SealError, match="wrong passphrase"):
        unseal(box, "battery staple")
    changed = {**box, "data": box["data"][:-4] + "AAAA"}
    with pytest.raises(SealError, match="wrong passphrase"):
        unseal(changed, "correct horse")
    with pytest.raises(SealError, match="malformed"):
        unseal({**box, "n": 3}, "correct horse")
    with pytest.raises(SealError, match="not sealed"):
        unseal({"cipher": "rot13"}, "correct horse")


def test_a_short_passphrase_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least 8"):
        seal(DATA, "short")
