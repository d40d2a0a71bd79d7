"""Per-deploy environment: generated secrets, required values, refused names and values."""

from __future__ import annotations

import base64
import re
import string

import pytest

from proximity_tui.errors import ValidationError
from proximity_tui.services.catalog.model import EnvVar, dotenv_text, parse_dotenv
from proximity_tui.services.catalog.schema import entry_from_mapping


@pytest.fixture
def entry(valid):
    valid["env"] = [
        {"name": "REDIS_PASSWORD", "secret": True},
        {"name": "API_KEY", "secret": True, "generator": "hex", "secret_length": 40},
        {"name": "APP_KEY", "secret": True, "generator": "base64"},
        {"name": "TZ", "default": "Etc/UTC"},
        {"name": "ADMIN_EMAIL", "required": True, "description": "who gets mail"},
        {"name": "OPTIONAL"},
    ]
    names = ("API_KEY", "APP_KEY", "TZ", "ADMIN_EMAIL", "OPTIONAL")
    valid["compose"]["services"]["redis"]["environment"] = {n: "${" + n + "}" for n in names}
    return entry_from_mapping(valid, file="redis.yaml")


def test_secrets_are_generated_fresh_in_their_format(entry):
    first = entry.render_environment({"ADMIN_EMAIL": "me@example.org"})
    second = entry.render_environment({"ADMIN_EMAIL": "me@example.org"})
    assert entry.secret_names() == ["REDIS_PASSWORD", "API_KEY", "APP_KEY"]
    for name in entry.secret_names():
        assert first[name] != second[name]
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", first["REDIS_PASSWORD"])
    assert re.fullmatch(r"[0-9a-f]{40}", first["API_KEY"])
    assert len(base64.b64decode(first["APP_KEY"])) == 32
    assert first["TZ"] == "Etc/UTC" and first["ADMIN_EMAIL"] == "me@example.org"
    assert "OPTIONAL" not in first  # no default, not required: left to compose


def test_overrides_win_and_extra_variables_are_kept(entry):
    env = entry.render_environment(
        {"ADMIN_EMAIL": "a@b.c", "REDIS_PASSWORD": "mine", "TZ": "Europe/Rome", "EXTRA": "1"}
    )
    assert env["REDIS_PASSWORD"] == "mine" and env["TZ"] == "Europe/Rome" and env["EXTRA"] == "1"
    assert list(env)[-1] == "EXTRA"


def test_missing_required_value_names_the_variable(entry):
    with pytest.raises(ValidationError) as err:
        entry.render_environment({})
    assert err.value.field == "ADMIN_EMAIL"
    assert "ADMIN_EMAIL is required (who gets mail)" in str(err.value)


@pytest.mark.parametrize(
    ("name", "value", "field"),
    [
        ("BAD NAME", "x", "BAD NAME"),
        ("1X", "x", "1X"),
        ("X;rm", "x", "X;rm"),
        ("ADMIN_EMAIL", "a\nB=2", "ADMIN_EMAIL"),
        ("ADMIN_EMAIL", "a\rb", "ADMIN_EMAIL"),
        ("ADMIN_EMAIL", "a\0b", "ADMIN_EMAIL"),
        ("ADMIN_EMAIL", 5, "ADMIN_EMAIL"),
    ],
)
def test_bad_names_and_values_are_refused_without_echoing_the_value(entry, name, value, field):
    with pytest.raises(ValidationError) as err:
        entry.render_environment({"ADMIN_EMAIL": "a@b.c", name: value})
    assert err.value.field == field
    if isinstance(value, str) and len(value) > 1:
        assert value not in str(err.value)


def test_runtime_variables_must_come_from_the_deploy(valid):
    valid["compose"]["services"]["redis"]["environment"] = {"URL": "http://${PROXIMITY_ADDRESS}:80"}
    entry = entry_from_mapping(valid, file="redis.yaml")
    assert entry.runtime_variables() == ["PROXIMITY_ADDRESS"]
    with pytest.raises(ValidationError, match="PROXIMITY_ADDRESS") as err:
        entry.render_environment({})
    assert err.value.field == "PROXIMITY_ADDRESS"
    env = entry.render_environment({"PROXIMITY_ADDRESS": "10.1.2.3"})
    assert env["PROXIMITY_ADDRESS"] == "10.1.2.3"


def test_generators_cover_the_alphabets():
    alnum = EnvVar("X", secret=True, generator="alnum", secret_length=64).generate()
    assert len(alnum) == 64 and set(alnum) <= set(string.ascii_letters + string.digits)
    assert len(EnvVar("X", secret=True, secret_length=17).generate()) == 17
    # Never a leading '-': the value may land in argv (`redis-server --requirepass ...`).
    assert all(EnvVar("X", secret=True).generate()[0].isalnum() for _ in range(300))


def test_dotenv_text_is_literal_for_compose():
    text = dotenv_text({"A": "plain", "B": "it's $HOME ${X} # not a comment", "C": ""})
    assert text.splitlines() == [
        "A='plain'",
        "B='it\\'s $HOME ${X} # not a comment'",
        "C=''",
    ]
    with pytest.raises(ValidationError):
        dotenv_text({"A": "ends with \\"})
    with pytest.raises(ValidationError):
        dotenv_text({"A": "two\nlines"})


def test_web_port_and_url(valid):
    valid["ports"] = [{"number": 6379}, {"number": 8080, "web": True}]
    valid["compose"]["services"]["redis"]["ports"] = ["6379:6379", "8080:80"]
    entry = entry_from_mapping(valid, file="redis.yaml")
    assert entry.web_port().number == 8080
    assert entry.url("10.0.0.9") == "http://10.0.0.9:8080/"
    assert entry.health.port == 8080 and entry.health.path == "/"


def test_parse_dotenv_reads_back_what_dotenv_text_wrote():
    values = {"A": "plain", "B": "it's $HOME ${X} # not a comment", "C": "", "D": 'q"uo=te'}
    assert parse_dotenv(dotenv_text(values)) == values
    assert parse_dotenv("# a comment\nnot a line\nE='x'\n1BAD='y'\n") == {"E": "x"}
