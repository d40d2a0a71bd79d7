"""The CT's shell: quoting, control flow, redirections, expansions and the exact error wording."""

from __future__ import annotations

import asyncio
import shlex

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from inside_helpers import argv, sh

from pvesim.inside import ContainerInside
from pvesim.inside.shell_parse import parse
from pvesim.inside.shell_syntax import ShellSyntaxError

NASTY = 'it\'s "quoted" $(touch /pwned) `id` ; rm -rf / ;\nsecond\tline $HOME * ~ \\ ! &&'


@pytest.fixture
def ct() -> ContainerInside:
    return ContainerInside(101, time_scale=0)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")))
def test_a_quoted_value_arrives_as_data(text):
    async def check() -> None:
        ct = ContainerInside(101, time_scale=0)
        quoted = await sh(ct, f"printf %s {shlex.quote(text)} > /root/v")
        assert quoted.status == 0, quoted.err
        assert ct.read_file("/root/v") == text.encode()
        positional = await argv(ct, ["sh", "-c", 'printf %s "$1"', "sh", text])
        assert positional.out == text

    asyncio.run(check())


async def test_hostile_value_never_runs(ct):
    r = await argv(ct, ["sh", "-c", 'echo "$1" > /root/x; cat /root/x', "sh", NASTY])
    assert r.status == 0 and r.out == NASTY + "\n"
    assert not ct.exists("/pwned")
    direct = await argv(ct, ["printf", "%s|", NASTY, "$(id)", "`id`"])
    assert direct.out == f"{NASTY}|$(id)|`id`|"


async def test_and_or_sequence_and_exit_statuses(ct):
    r = await sh(ct, "false && echo no; true && echo yes; false || echo fallback; ! true; echo $?")
    assert r.out == "yes\nfallback\n1\n" and r.status == 0
    assert (await sh(ct, "exit 7")).status == 7
    assert (await sh(ct, "true; false")).status == 1
    errexit = await sh(ct, "set -e; echo one; false; echo never")
    assert errexit.out == "one\n" and errexit.status == 1
    guarded = await sh(ct, "set -e; false || true; if false; then :; fi; echo reached")
    assert guarded.out == "reached\n"


async def test_unknown_command_and_syntax_error_wording(ct):
    r = await sh(ct, "frobnicate --now")
    assert (r.status, r.err) == (127, "sh: frobnicate: not found\n")
    direct = await argv(ct, ["frobnicate"])
    assert direct.status == 127 and "frobnicate: not found" in direct.err
    bad = await sh(ct, "if true; then echo x")
    assert bad.status == 2 and bad.err.startswith("sh: syntax error:")
    unterminated = await sh(ct, "echo 'open")
    assert unterminated.status == 2 and "unterminated quoted string" in unterminated.err


async def test_debian_uses_dash_wording():
    deb = ContainerInside(102, ostype="debian", release="12", time_scale=0)
    r = await sh(deb, "frobnicate")
    assert (r.status, r.err) == (127, "sh: 1: frobnicate: not found\n")
    assert "Debian GNU/Linux 12 (bookworm)" in (await sh(deb, "cat /etc/os-release")).out


async def test_cd_and_relative_paths(ct):
    r = await sh(
        ct, "pwd; mkdir -p /opt/app/data && cd /opt/app && echo hi > f && cat data/../f; pwd"
    )
    assert r.out == "/root\nhi\n/opt/app\n"
    assert ct.read_file("/opt/app/f") == b"hi\n"
    missing = await sh(ct, "cd /nowhere && echo never")
    assert missing.status == 2 and missing.out == ""
    assert missing.err == "sh: cd: can't cd to /nowhere: No such file or directory\n"


async def test_redirections(ct):
    r = await sh(
        ct,
        "echo a > /tmp/f; echo b >> /tmp/f; cat /nope 2>/dev/null; echo err >&2; "
        "cat /nope 2>&1 | cat > /tmp/caught; cat < /tmp/f",
    )
    assert r.out == "a\nb\n" and r.err == "err\n"
    assert ct.read_file("/tmp/caught") == b"cat: can't open '/nope': No such file or directory\n"
    bad = await sh(ct, "echo x > /no/such/dir/f")
    assert bad.status == 1 and bad.err == "sh: can't create /no/such/dir/f: nonexistent directory\n"


async def test_stdin_upload_and_here_documents(ct):
    data = bytes(range(256)) * 40
    r = await sh(ct, "mkdir -p /srv/x && cat > /srv/x/blob && wc -c < /srv/x/blob", stdin=data)
    assert r.out.strip() == str(len(data)) and ct.read_file("/srv/x/blob") == data
    doc = await sh(ct, "X=world\ncat <<EOF\nhello $X\nEOF\ncat <<'RAW'\n$X `id`\nRAW\n")
    assert doc.out == "hello world\n$X `id`\n"


async def test_expansions(ct):
    r = await sh(
        ct,
        'A="two words"; export B=exported; set -- p1 "p 2"; '
        'for w in $A; do echo "[$w]"; done; echo "${UNSET:-dflt}" ${#A} $((6 * 7)); '
        'echo "$(echo sub) `echo tick`"; echo "$#:$1:$2"; for p in "$@"; do echo "<$p>"; done; '
        "sh -c 'echo \"$B/$A\"'",
    )
    assert r.out == ("[two]\n[words]\ndflt 9 42\nsub tick\n2:p1:p 2\n<p1>\n<p 2>\nexported/\n"), (
        r.out
    )
    required = await sh(ct, 'echo "${NEEDED:?must be set}"; echo after')
    assert required.status == 1 and required.err == "sh: NEEDED: must be set\n"


async def test_control_flow_and_pipes(ct):
    r = await sh(
        ct,
        "i=0; while [ $i -lt 3 ]; do i=$((i + 1)); done; echo $i; "
        "if [ -d /etc ] && test -f /etc/os-release; then echo both; elif true; then echo no; fi; "
        "printf 'a\\nb\\nc\\n' | grep -c b; echo one two three | wc -w; "
        "grep -q alpine /etc/os-release && echo found",
    )
    assert r.out == "3\nboth\n1\n3\nfound\n"


async def test_glob_and_file_utilities(ct):
    r = await sh(
        ct,
        "mkdir -p /d && touch /d/a.yml /d/b.yml /d/c.txt && echo /d/*.yml; rm /d/a.yml; ls /d; "
        "rm /d/missing; rm -f /d/missing; rm /d; chmod 600 /d/c.txt; ls -l /d/c.txt",
    )
    lines = r.out.splitlines()
    assert lines[0] == "/d/a.yml /d/b.yml" and lines[1:3] == ["b.yml", "c.txt"]
    assert lines[3].startswith("-rw-------") and lines[3].endswith(" /d/c.txt")
    assert "rm: can't remove '/d/missing': No such file or directory\n" in r.err
    assert "rm: '/d' is a directory\n" in r.err


async def test_command_v_and_builtins(ct):
    r = await sh(ct, "command -v sh; command -v docker || echo none; hostname; id -u; which apk")
    assert r.out == "/bin/sh\nnone\nCT101\n0\n/sbin/apk\n"


def test_parser_rejects_what_is_not_modelled():
    with pytest.raises(ShellSyntaxError, match="case"):
        parse("case x in x) echo;; esac")
    with pytest.raises(ShellSyntaxError, match="functions"):
        parse("f() { echo; }")
    assert parse("echo done; echo fi").items


async def test_arithmetic(ct):
    r = await sh(ct, "n=7; echo $((n / 2)) $((n % 4)) $((2 ** 10)) $((n > 3 && n < 9))")
    assert (r.status, r.out) == (0, "3 3 1024 1\n")
    bad = await sh(ct, "echo $((1 +)); echo never")
    assert (bad.status, bad.out, bad.err) == (2, "", "sh: arithmetic syntax error\n")
    assert (await sh(ct, "echo $((1 / 0))")).err == "sh: divide by zero\n"


_TOKENS = [
    "echo", "a", "'q'", '"d $x"', "$x", "${x:-y}", "$(echo s)", "`echo b`", "$((1+2))", "&&",
    "||", ";", "|", ">", "2>&1", "/tmp/f", "cat", "if", "then", "fi", "while", "do", "done",
    "{", "}", "(", ")", "!", "x=1", "cd", "..", "*", "<<EOF\nhi\nEOF\n", "\n", "[", "]", "-f",
    "printf", "%s", "exit", "set", "-e", "docker", "compose", "apk", "wget", "http://127.0.0.1/",
    "]", "rm", "-rf", "mkdir", "-p", "sh", "-c", "read", "${x%y}", '"$@"', "\\", "'", '"', "`",
    "$(", "${", "head", "-n", "tail", "grep", "wc", "nc", "-z", "ip", "curl",
]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(words=st.lists(st.sampled_from(_TOKENS), min_size=1, max_size=12))
def test_any_script_ends_with_a_status_never_a_crash(words):
    async def check() -> None:
        ct = ContainerInside(103, time_scale=0)
        try:
            r = await asyncio.wait_for(sh(ct, " ".join(words)), 0.5)
        except TimeoutError:
            return  # `while true; do :; done` is a fine script too; it stays cancellable
        assert 0 <= r.status <= 255

    asyncio.run(check())
