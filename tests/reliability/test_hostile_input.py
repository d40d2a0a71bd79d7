"""Hostile input (issue 8, point 5): hostnames, environment values, user catalog files and apps.json
entries holding quotes, `$()`, backticks, `;`, newlines, NUL, very long strings and non-UTF-8
bytes are either refused with a clear one-line message (nothing changed) or carried as inert
data into the container, never run as a command, never a crash or a traceback.

Property tests (hypothesis) cover the pure validators and the .env writer with any text; a fixed
list of nasty cases goes through a real deploy (values read back from the simulated CT), through
the command line, and through `migrate` and the user catalog.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proximity_tui.errors import ProximityError, ValidationError
from proximity_tui.services.catalog.model import dotenv_text
from proximity_tui.services.validation import check_hostname
from tests.commandline import REPO, json_lines, run_cli
from tests.reliability.conftest import make_services
from tests.reliability.world import app_rows, db_rows, world_problems

MARKER = "/tmp/pwned"
INJECTIONS = [
    f"$(touch {MARKER})",
    f"`touch {MARKER}`",
    f"x; touch {MARKER}",
    f"x && touch {MARKER} #",
    f"x' ; touch {MARKER}; echo '",
    f'x" ; touch {MARKER}; echo "',
    f"${{IFS}}touch${{IFS}}{MARKER}",
    f"| touch {MARKER}",
    "$HOME and ${PATH} and $$ and \\$(nope)",
    "'single' \"double\" `back` $dollar \\ backslash in the middle",
    "tab\tand unicode: héllo ✓ 🚀",
    "x" * 100_000,
]
#: Values no .env line can carry unambiguously: refused before anything changes.
REFUSED_VALUES = [
    f"line\ntouch {MARKER}",
    "carriage\rreturn",
    "nul\x00byte",
    "ends with a backslash\\",
    "backslash before a quote \\' here",
    "not utf-8: \udcff\udcfe",  # what Python makes of the bytes ff fe in argv
]
HOSTNAME = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")


def parse_dotenv_line(line: str) -> tuple[str, str]:
    """The reading side of `dotenv_text`: NAME='value', \\' is a quote."""
    name, _, quoted = line.partition("=")
    assert quoted.startswith("'") and quoted.endswith("'"), line[:80]
    return name, quoted[1:-1].replace("\\'", "'")


# --- properties of the validators (no network) ---------------------------------------------------


@given(st.text(max_size=80) | st.sampled_from(INJECTIONS + REFUSED_VALUES))
@settings(max_examples=300, deadline=None)
def test_a_hostname_is_valid_or_refused_with_a_validation_error(text):
    try:
        name = check_hostname(text)
    except ValidationError as exc:
        assert "\n" not in str(exc)[:0] and str(exc).startswith("hostname"), str(exc)
        return
    assert HOSTNAME.fullmatch(name), name  # nothing else gets through: no shell characters


@given(st.text(max_size=300) | st.sampled_from(INJECTIONS + REFUSED_VALUES))
@settings(max_examples=300, deadline=None)
def test_an_env_value_is_written_literally_or_refused_without_echoing_it(value):
    try:
        text = dotenv_text({"HOSTILE": value})
        data = text.encode("utf-8")  # what is pushed into the CT
    except ValidationError as exc:
        assert str(exc).startswith("HOSTILE:"), str(exc)
        if len(value) >= 8:
            assert value not in str(exc)  # a value may be a secret: never in a message
        return
    assert data.count(b"\n") == 1
    assert parse_dotenv_line(text.rstrip("\n")) == ("HOSTILE", value)


@given(
    st.dictionaries(
        st.sampled_from(["id", "name", "hostname", "catalog_id", "node", "status", "url"]),
        st.text(max_size=40) | st.sampled_from(INJECTIONS[:9] + REFUSED_VALUES),
    )
)
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_a_hostile_apps_json_entry_is_imported_as_data_or_skipped(tmp_path, entry):
    from tests.unit.migration.offline import migrate_file

    base = {
        "id": "app-1",
        "catalog_id": "whoami",
        "name": "whoami",
        "hostname": "web",
        "status": "running",
        "lxc_id": 101,
        "node": "pve1",
    }
    path = tmp_path / "apps.json"
    path.write_text(json.dumps({"apps": [{**base, **entry}]}), encoding="utf-8")
    db = tmp_path / "db.sqlite"
    report = migrate_file(db, path)
    assert report.exit_code in (0, 1, 2), report
    rows = db_rows(db, "SELECT id, name, hostname, node FROM apps") if db.exists() else []
    if report.exit_code == 0:
        row = dict(zip(("id", "name", "hostname", "node"), rows[0], strict=True))
        given = {**base, **entry}
        for key in ("id", "name", "node"):  # stored as given (an empty name: the entry's)
            assert row[key] == given[key] or not given[key].strip(), (key, row[key])
    else:
        assert rows == []
    db.unlink(missing_ok=True)


# --- through a real deploy, read back from the simulated CT ---------------------------------------


@pytest.fixture(scope="module")
def services(sim, tmp_path_factory):
    svc = make_services(sim, tmp_path_factory.mktemp("hostile"))
    yield svc
    svc.close(wait=30)


def markers(sim) -> list[str]:
    """Files an injected `touch /tmp/pwned` would have made, in any CT or on any node."""
    found = []

    def look() -> None:
        for guest in sim.state.guests.values():
            inside = guest.inside_if_made
            if inside is not None and inside.exists(MARKER):
                found.append(f"CT {guest.vmid}:{MARKER}")

    sim.call(look)
    found += [str(p) for p in Path(sim.workdir).rglob("pwned*")]
    return found


def test_hostile_values_reach_the_container_as_inert_data(sim, services):
    env = {f"HOSTILE_{n}": value for n, value in enumerate(INJECTIONS)}
    app = services.call(services.apps.deploy_app("whoami", "hostile-env", environment=env))
    assert app.status == "running"
    text = sim.call(
        lambda: sim.state.find_ct(app.vmid).inside.read_file("/opt/proximity/hostile-env/.env")
    )
    lines = (text.decode() if isinstance(text, bytes) else text).splitlines()
    got = dict(parse_dotenv_line(line) for line in lines)
    for name, value in env.items():
        assert got[name] == value, name
    assert services.call(services.apps.operations())[0].status == "succeeded"
    # The database keeps them exactly too (a clone or a redeploy writes them again).
    assert services.call(services.apps.records.environment(app.id))["HOSTILE_0"] == INJECTIONS[0]
    services.call(services.apps.delete_app(app.id))
    assert markers(sim) == []


@pytest.mark.parametrize("value", REFUSED_VALUES, ids=lambda v: repr(v)[:24])
def test_values_env_cannot_carry_are_refused_before_anything_changes(sim, services, value):
    before = len(services.call(services.apps.operations(limit=None)))
    with pytest.raises(ValidationError) as err:
        services.call(services.apps.deploy_app("whoami", "refused", environment={"BAD": value}))
    assert str(err.value).startswith("BAD:") and "\n" not in str(err.value)
    assert len(services.call(services.apps.operations(limit=None))) == before
    assert services.call(services.apps.list_apps()) == []
    assert [
        g for g in sim.call(lambda: list(sim.state.guests.values())) if g.name == "refused"
    ] == []


@pytest.mark.parametrize(
    "hostname",
    [*INJECTIONS[:8], "-lead", "trail-", "a" * 64, "", " ", "ünïcode", "a.b"],
    ids=lambda v: repr(v)[:24],
)
def test_hostile_hostnames_are_refused_before_anything_changes(services, hostname):
    with pytest.raises(ValidationError, match="hostname"):
        services.call(services.apps.deploy_app("whoami", hostname))
    assert services.call(services.apps.list_apps()) == []


def test_a_hostile_health_path_in_a_user_catalog_entry_stays_an_argument(
    sim, tmp_path, monkeypatch
):
    """A catalog file's values reach commands only as argv items, never through a shell."""
    catalog = tmp_path / "data" / "catalog"
    catalog.mkdir(parents=True)
    (catalog / "evil.yaml").write_text(
        (REPO / "proximity_tui" / "catalog" / "whoami.yaml")
        .read_text()
        .replace("id: whoami", "id: evil")
        .replace("path: /health", f'path: "/$(touch {MARKER});`touch {MARKER}`"'),
        encoding="utf-8",
    )
    monkeypatch.setenv("PROXIMITY_DATA_DIR", str(tmp_path / "data"))
    svc = make_services(sim, tmp_path)
    try:
        assert "evil" in svc.catalog
        app = svc.call(svc.apps.deploy_app("evil", "evil-path"))
        assert app.status == "running"  # the simulated app answers any path
        svc.call(svc.apps.delete_app(app.id))
    finally:
        svc.close(wait=10)
    assert markers(sim) == []


# --- through the command line -------------------------------------------------------------------


def cli_bytes(*args: bytes | str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "proximity_tui", *args],
        capture_output=True,
        env=env,
        timeout=60,
        cwd=REPO,
    )


def test_the_command_line_refuses_hostile_input_in_one_line(sim_process, tmp_path):
    data = tmp_path / "data"
    env = sim_process.env(data)
    cases = [  # (the service-level tests above cover the rest of the list)
        ("deploy", "whoami", "--hostname", "x; touch /tmp/pwned"),
        ("deploy", "whoami", "--hostname", "h" * 100_000),
        ("deploy", "whoami", "--hostname", b"caf\xe9"),  # Latin-1, not UTF-8
        ("deploy", "whoami", "--hostname", "ok-host", "--env", b"K=\xff\xfe"),
        ("deploy", "whoami", "--hostname", "ok-host", "--env", "K=line\nbreak"),
        ("deploy", "$(touch /tmp/pwned)", "--hostname", "ok-host"),
    ]
    results: list = [None] * len(cases)

    def run(i: int) -> None:
        results[i] = cli_bytes(*cases[i], env=env)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(cases))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for case, result in zip(cases, results, strict=True):
        err = result.stderr.decode("utf-8", "replace")
        assert result.returncode == 2, (case[:4], result.returncode, err)
        assert err.count("\n") == 1 and err.startswith("proximity-tui: error: "), (case[:4], err)
        assert "Traceback" not in err and len(err) < 400, (case[:4], err[:400])
    assert not (data / "proximity.db").exists() or app_rows(data / "proximity.db") == []
    assert list(Path(sim_process.root).rglob("pwned*")) == []


def test_a_broken_or_hostile_user_catalog_is_skipped_with_its_name(tmp_path):
    data = tmp_path / "data"
    catalog = data / "catalog"
    catalog.mkdir(parents=True)
    (catalog / "binary.yaml").write_bytes(b"\xff\xfe\x00\x01 not text")
    (catalog / "broken.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    (catalog / "bad-id.yaml").write_text(
        (REPO / "proximity_tui" / "catalog" / "whoami.yaml")
        .read_text()
        .replace("id: whoami", 'id: "x; touch /tmp/pwned"'),
        encoding="utf-8",
    )
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    (catalog / "bomb.yaml").write_text(bomb, encoding="utf-8")
    # The same bomb inside a valid entry's compose project: it listed fine, then `deploy` spun
    # in compose_variables walking 9^9 shared nodes (issue 15, point 5).
    whoami = (REPO / "proximity_tui" / "catalog" / "whoami.yaml").read_text()
    nested = "".join(
        "  " + line + "\n" for line in bomb.replace(": &", ": &x").replace("*", "*x").splitlines()
    )
    (catalog / "compose-bomb.yaml").write_text(
        whoami.replace("id: whoami", "id: compose-bomb").replace(
            "compose:\n",
            "compose:\n  x-bomb:\n  " + nested.replace("\n  ", "\n    ").rstrip() + "\n",
            1,
        ),
        encoding="utf-8",
    )
    # Small enough to parse quickly, larger than any catalog file needs to be.
    (catalog / "big.yaml").write_text(
        whoami.replace("id: whoami", "id: big") + "#" * 300_000 + "\n"
    )
    (catalog / "huge.yaml").write_text(
        "id: huge\nname: " + "n" * 2_000_000 + "\n", encoding="utf-8"
    )
    env = {**_env_without_proximity(), "PROXIMITY_DATA_DIR": str(data)}
    result = run_cli("catalog", "--json", env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    ids = {e["id"] for e in json_lines(result.stdout)}
    assert "whoami" in ids and not ids & {"huge", "x; touch /tmp/pwned", "compose-bomb", "big"}
    warnings = result.stderr.splitlines()
    files = ("binary.yaml", "broken.yaml", "bad-id.yaml", "bomb.yaml", "huge.yaml")
    for name in (*files, "compose-bomb.yaml", "big.yaml"):
        [line] = [w for w in warnings if f" {name}" in w]
        assert line.startswith("proximity-tui: warning: skipped") and len(line) < 400, line
    assert any("compose-bomb.yaml: line" in w and "aliases are not allowed" in w for w in warnings)
    assert any("big.yaml: larger than 256 KiB" in w for w in warnings)
    assert "Traceback" not in result.stderr


def test_a_hostile_apps_json_through_the_command_line(tmp_path):
    data = tmp_path / "data"
    env = {**_env_without_proximity(), "PROXIMITY_DATA_DIR": str(data)}
    entry = {
        "id": "app-1",
        "catalog_id": "whoami",
        "name": "$(touch /tmp/pwned) `x` ; 'q' \"d\"",
        "hostname": "web",
        "status": "running",
        "lxc_id": 101,
        "node": "pve1",
    }
    good = tmp_path / "apps.json"
    good.write_text(json.dumps([entry, {**entry, "id": "app-2", "hostname": "a;b"}]))
    result = run_cli("migrate", "--adopt-untagged", str(good), env=env)
    assert result.returncode == 1, result.stderr  # one imported, one skipped with the reason
    assert "a;b" in result.stdout and "Traceback" not in result.stdout + result.stderr
    assert db_rows(data / "proximity.db", "SELECT name FROM apps") == [(entry["name"],)]
    listed = run_cli("apps", env=env)
    assert listed.returncode == 0 and entry["name"] in listed.stdout
    for raw in (b"\xff\xfe not json", b'{"apps": [' * 50_000):
        bad = tmp_path / "bad.json"
        bad.write_bytes(raw)
        refused = run_cli("migrate", "--adopt-untagged", str(bad), env=env)
        assert refused.returncode == 2, refused.stderr
        assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    assert db_rows(data / "proximity.db", "SELECT count(*) FROM apps") == [(1,)]


def _env_without_proximity() -> dict[str, str]:
    from tests.commandline import clean_env

    return clean_env()


def test_no_deploy_was_left_behind(sim, services):
    assert world_problems(sim, services.db.path) == []
    assert markers(sim) == []


_ = ProximityError  # imported for readers: every refusal above is one of these


# --- issue 15, point 1: no escape sequence reaches the terminal from the command line ------------

#: OSC 52 (writes the clipboard), OSC 0 (retitles the window), CSI, a C1 CSI and a bidi override.
TERMINAL_HOSTILE = "evil \x1b]52;c;cHduZWQ=\x07 \x1b]0;owned\x1b\\ \x1b[2J \x9b1m \u202egnp.exe end"


def _inert(text: str, where: str) -> None:
    from proximity_tui.text import unsafe_char

    bad = unsafe_char(text, newlines=True)
    assert bad is None, f"{where}: {bad!r} reaches the terminal in {text[:300]!r}"


def test_hostile_text_reaches_the_terminal_only_escaped(sim, tmp_path, monkeypatch, capsys):
    """Container logs, Proxmox task errors, the journal, user catalog files and v1 file names,
    through the commands that print them (in process, so the simulator can be made hostile)."""
    from proximity_tui.cli import main
    from proximity_tui.config import write_config
    from pvesim.faults import FaultRule

    write_config(tmp_path / "config.toml", sim.client_settings())
    data = tmp_path / "data"
    (data / "catalog").mkdir(parents=True)
    monkeypatch.setenv("PROXIMITY_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("PROXIMITY_DATA_DIR", str(data))

    def cli(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        _inert(out, f"{args[0]} stdout")
        _inert(err, f"{args[0]} stderr")
        return code, out, err

    assert cli("deploy", "whoami", "--hostname", "hostile-text")[0] == 0
    vmid = json_lines(cli("apps", "--json")[1])[0]["vmid"]

    def hostile_logs() -> None:
        docker = sim.state.find_ct(vmid).inside.docker
        for box in docker.boxes.values():
            docker.log(box, TERMINAL_HOSTILE)

    sim.call(hostile_logs)
    code, out, _ = cli("logs", "hostile-text", "--tail", "20")
    assert code == 0 and "evil \\x1b]52;c;" in out and "\\u202egnp" in out  # shown, escaped
    sim.faults.add(FaultRule(task="vzshutdown", task_error=TERMINAL_HOSTILE, times=None))
    sim.faults.add(FaultRule(task="vzstop", task_error=TERMINAL_HOSTILE, times=None))
    code, _, err = cli("stop", "hostile-text")
    sim.faults.clear()
    assert code == 1 and "\\x1b]0;owned" in err, err
    code, out, _ = cli("history")
    assert code == 0 and "evil" in out
    # A user catalog file whose text holds escapes is refused at load, naming the field.
    entry = yaml.safe_load((REPO / "proximity_tui" / "catalog" / "whoami.yaml").read_text())
    entry.update(id="evil", name=TERMINAL_HOSTILE)
    (data / "catalog" / "evil.yaml").write_text(yaml.safe_dump(entry), encoding="utf-8")
    code, out, err = cli("catalog", "--json")
    assert code == 0 and "evil" not in {e["id"] for e in json_lines(out)}
    assert "evil.yaml: name: contains a control character (\\x1b)" in err, err
    # A v1 catalog whose file name and text hold escapes.
    v1 = tmp_path / "v1"
    v1.mkdir()
    (v1 / f"{TERMINAL_HOSTILE}.json").write_text("{not json", encoding="utf-8")
    code, out, err = cli("catalog", "import", str(v1))
    assert code == 1 and "evil \\x1b]52" in err
    assert cli("delete", "hostile-text", "--yes")[0] == 0
