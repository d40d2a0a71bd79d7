"""The identity block in a CT's description (services/identity.py, docs/ct-identity.md)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from proximity_tui.services.identity import (
    HEADER,
    MAX_DESCRIPTION,
    Identity,
    IdentityError,
    app_id_of,
    description_for,
    parse,
    render_block,
    with_identity,
)

WHEN = datetime(2026, 12, 7, 6, 30, 5, tzinfo=UTC)
IDENT = Identity(
    app_id="redis-cache",
    catalog_id="redis",
    hostname="cache",
    catalog_source="bundled",
    version="7.4",
    owner="alice",
    created=WHEN,
)


def as_proxmox_returns(text: str) -> str:
    """pve-container Config.pm: one '#' line per line, each read back ending in a newline."""
    lines = text.split("\n")
    while lines and lines[-1] == "":
        lines.pop()
    return "".join(line + "\n" for line in lines)


def test_render_then_parse_gives_the_identity_back() -> None:
    text = description_for(IDENT)
    assert text.startswith(HEADER + "\n```proximity-tui v1\n")
    assert parse(text) == IDENT
    assert parse(as_proxmox_returns(text)) == IDENT
    assert "created: 2026-12-07T06:30:05Z" in text
    assert "compose-file" not in text  # optional keys are left out when empty


def test_user_text_around_the_block_is_kept_and_the_block_replaced() -> None:
    user = "My notes\n\nbackups on Sunday\n"
    first = with_identity(user, IDENT)
    assert first.startswith(HEADER) and "My notes\n\nbackups on Sunday" in first
    edited = first.replace("My notes", "Notes (edited)") + "more text\n"
    newer = with_identity(edited, Identity("redis-cache", "redis", "cache", version="7.6"))
    assert "Notes (edited)" in newer and newer.endswith("more text\n")
    assert newer.count("```proximity-tui") == 1
    found = parse(newer)
    assert found is not None and found.version == "7.6" and found.owner == ""


def test_legacy_description_is_recognised_and_replaced() -> None:
    legacy = "Managed by Proximity TUI\napp-id: redis-cache\n"
    assert parse(legacy) is None
    assert app_id_of(legacy) == "redis-cache"
    text = with_identity(legacy + "user line\n", IDENT)
    assert "app-id: redis-cache" in text and text.count("app-id:") == 1
    assert "user line" in text and parse(text) == IDENT


def test_no_block_means_none() -> None:
    assert parse("") is None
    assert parse("just some notes") is None
    assert app_id_of("just some notes") is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("```proximity-tui v1\napp-id: a\ncatalog-id: b\n", "not closed"),
        ("```proximity-tui v1\napp-id: a\nhostname: h\n```\n", "catalog-id missing"),
        ("```proximity-tui v1\napp-id: a\ncatalog-id: b\nhostname: -bad-\n```", "hostname"),
        ("```proximity-tui v1\napp-id a\n```", "not 'key: value'"),
        ("```proximity-tui v9\napp-id: a\n```", "newer Proximity TUI"),
        (
            "```proximity-tui v1\napp-id: a\ncatalog-id: b\nhostname: h\ncreated: soon\n```",
            "no time",
        ),
        (
            "```proximity-tui v1\napp-id: a\ncatalog-id: b\nhostname: h\n"
            "compose-file: /etc/shadow\n```",
            "compose-file",
        ),
    ],
)
def test_a_broken_block_is_an_error_naming_the_problem(text: str, words: str) -> None:
    with pytest.raises(IdentityError, match=words):
        parse(text)
    assert app_id_of(text) is None


def test_unknown_keys_of_the_same_version_are_ignored() -> None:
    text = render_block(IDENT).replace("owner: alice\n", "owner: alice\nfuture-key: x\n")
    assert parse(text) == IDENT


def test_values_cannot_break_out_of_the_block() -> None:
    sneaky = Identity("a", "b", "h", version="1\n```\nnot: ours", owner="x\x1b]52;c;AA\x07")
    text = description_for(sneaky)
    assert [line for line in text.splitlines() if line.startswith("```")] == [
        "```proximity-tui v1",
        "```",
    ]
    found = parse(text)
    assert found is not None and "\n" not in found.version and "\x1b" not in found.owner


def test_a_long_user_text_is_cut_never_the_block() -> None:
    text = with_identity("x" * 9000, IDENT)
    assert len(text) <= MAX_DESCRIPTION
    assert parse(text) == IDENT
