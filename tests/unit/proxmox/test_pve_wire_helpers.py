"""Pure pieces of the wire layer: fingerprints, trust, error mapping, paths, line streaming."""

import asyncio

import pytest

from proximity_tui.config import SshSettings
from proximity_tui.errors import (
    ProxmoxAuthError,
    ProxmoxConnectionError,
    ProxmoxError,
    ProxmoxParameterError,
    ProxmoxPermissionError,
    ProxmoxTimeout,
    ValidationError,
)
from proximity_tui.proxmox.exec import ContainerExec, _check_argv
from proximity_tui.proxmox.exec_base import pump_lines
from proximity_tui.proxmox.exec_ssh import SshTransport, normalize_ssh_fingerprint
from proximity_tui.proxmox.session import (
    ApiSession,
    _segment,
    is_retryable,
    map_http_error,
)
from proximity_tui.proxmox.tls import TrustPolicy, normalize_fingerprint

FP = ":".join(["AB"] * 32)


def test_fingerprint_forms_normalised():
    assert normalize_fingerprint(FP.lower()) == FP
    assert normalize_fingerprint(FP.replace(":", "")) == FP
    assert normalize_fingerprint("sha256 Fingerprint=" + FP) == FP
    for bad in ("", "AB:CD", "ZZ" * 32, FP + ":AB"):
        with pytest.raises(ValidationError):
            normalize_fingerprint(bad)


def test_trust_policy_precedence():
    assert TrustPolicy.from_settings(fingerprint=FP, ca_file="x", verify_ssl=False).mode == "pinned"
    insecure = TrustPolicy.from_settings(fingerprint=None, ca_file=None, verify_ssl=False)
    assert insecure.mode == "insecure" and insecure.requests_verify is False
    ca = TrustPolicy.from_settings(fingerprint=None, ca_file="/ca.pem", verify_ssl=True)
    assert ca.mode == "ca" and ca.requests_verify == "/ca.pem"
    system = TrustPolicy.from_settings(fingerprint=None, ca_file=None, verify_ssl=True)
    assert system.mode == "system" and system.requests_verify is True


def test_ssh_fingerprint_forms():
    body = "A" * 43
    assert normalize_ssh_fingerprint(body) == "SHA256:" + body
    assert normalize_ssh_fingerprint(f"SHA256:{body}=") == "SHA256:" + body
    with pytest.raises(ValidationError):
        normalize_ssh_fingerprint("MD5:aa:bb")


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, ProxmoxParameterError),
        (401, ProxmoxAuthError),
        (403, ProxmoxPermissionError),
        (500, ProxmoxError),
        (501, ProxmoxError),
        (595, ProxmoxConnectionError),
    ],
)
def test_http_errors_mapped_keeping_pve_message(status, kind):
    err = map_http_error(status, "CT 100 already running", {"vmid": "bad\n"}, "POST /x")
    assert type(err) is kind
    assert err.pve_message == "CT 100 already running" and err.call == "POST /x"
    assert str(err).startswith("POST /x: CT 100 already running")
    if status in (400, 403, 500):
        assert err.errors == {"vmid": "bad"} and "vmid: bad" in str(err)


def test_what_is_retried():
    assert is_retryable(ProxmoxError("x", status=500)) and is_retryable(
        ProxmoxError("x", status=503)
    )
    assert is_retryable(ProxmoxConnectionError("refused"))
    assert not is_retryable(ProxmoxError("x", status=501))
    assert not is_retryable(ProxmoxParameterError("x", status=400))
    assert not is_retryable(ProxmoxTimeout("slow"))


def test_path_segments_stay_segments():
    assert _segment("local:backup/vzdump-lxc-1.tar.zst") == "local:backup/vzdump-lxc-1.tar.zst"
    assert _segment("a b?c#d") == "a%20b%3Fc%23d"
    assert _segment(101) == "101"
    assert _segment("UPID:pve1:00:00:00:vzstart:101:root@pam!t:") == (
        "UPID:pve1:00:00:00:vzstart:101:root@pam!t:"
    )
    for bad in ("", ".", "..", "local:backup/../../etc", "/abs", "a//b"):
        with pytest.raises(ValidationError):
            _segment(bad)
    # Kept whole without quoting exactly when quoting would keep it whole.
    from urllib.parse import quote

    for text in ("pve1", "a-b_c.d~e", "x:y@z!$'()*+,;=", "é", "a b", "a%20", "...", "a/b", "-"):
        assert _segment(text) == "/".join(
            quote(p, safe=":@!$'()*+,;=-._~") for p in text.split("/")
        ), text


def _session(**kw):
    args = dict(
        host="127.0.0.1",
        port=8006,
        user="root@pam",
        password=None,
        token_name=None,
        token_value=None,
        policy=TrustPolicy("insecure"),
        timeout=1.0,
    )
    args.update(kw)
    return ApiSession(**args)


def test_no_credentials_is_a_clear_error():
    with pytest.raises(ValidationError, match="no Proxmox credentials"):
        _session()


def test_token_name_given_whole():
    session = _session(token_name="svc@pve!proximity", token_value="s3cret")
    assert session.auth_kind == "token"
    assert (session.auth.username, session.auth.token_name) == ("svc@pve", "proximity")
    assert "s3cret" not in repr(session.auth)
    session.close()


def test_ticket_auth_repr_hides_password():
    session = _session(password="hunter22")
    assert "hunter22" not in repr(session.auth)
    session.close()


class _Chunks:
    def __init__(self, chunks):
        self.chunks = list(chunks)

    async def read(self, n=-1):
        return self.chunks.pop(0) if self.chunks else b""


def test_lines_streamed_across_chunk_boundaries():
    got: list[str] = []
    sink: list[bytes] = []
    data = [b"one\ntw", b"o\r\nthr", "ee é\n".encode(), b"tail"]
    asyncio.run(pump_lines(_Chunks(data), got.append, sink))
    assert got == ["one", "two", "three é", "tail"]
    assert b"".join(sink) == b"".join(data)


def test_argv_must_be_a_list_without_nul():
    assert _check_argv(["echo", "a b"]) == ["echo", "a b"]
    for bad in ("echo hi", [], ["echo", "a\x00b"], ["echo", 3]):
        with pytest.raises(ValidationError):
            _check_argv(bad)


def test_transport_choice():
    ssh = SshSettings(mode="auto", nodes={"pve1": "10.0.0.1:2222", "pve2": "[::1]:22"})
    ex = ContainerExec(ssh, local_node="pve1", is_root=True)
    ex._pct_found = "/usr/sbin/pct"
    assert ex.transport_kind("pve1") == "local" and ex.transport_kind("pve2") == "ssh"
    ex._is_root = False
    assert ex.transport_kind("pve1") == "ssh"
    assert ContainerExec(SshSettings(mode="local")).transport_kind("pve9") == "local"
    with pytest.raises(ValidationError):
        ContainerExec(SshSettings(mode="telnet"))
    transport = SshTransport(ssh)
    assert transport.address("pve1") == ("10.0.0.1", 2222)
    assert transport.address("pve2") == ("::1", 22)
    assert transport.address("pve3") == ("pve3", 22)
