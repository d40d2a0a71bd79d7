"""Catalog sources: the registry, sync from a local checkout and from an https archive (a local
HTTPS server whose CA only the test trusts), safe unpacking, and the id clash rule."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import ssl
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from proximity_tui.errors import ConflictError, NotFoundError, ValidationError
from proximity_tui.services.catalog.fetch import FetchError, download, extract
from proximity_tui.services.catalog.service import CatalogService
from proximity_tui.services.catalog.sources import SourceRegistry
from pvesim.certs import make_certificates


def compose(app: str, port: int, *, archs: tuple[str, ...] = ("amd64",)) -> bytes:
    return yaml.safe_dump({
        "name": app.lower(),
        "services": {app.lower(): {
            "image": f"example/{app.lower()}:1.0",
            "ports": [f"{port}:80"],
            "volumes": ["/DATA/AppData/$AppID/data:/data"],
        }},
        "x-casaos": {"architectures": list(archs), "title": {"en_US": app}, "category": "Tools",
                     "port_map": str(port), "main": app.lower()},
    }).encode()  # fmt: skip


def make_store(root: Path) -> Path:
    for app, port in (("Wiki", 8080), ("Jellyfin", 8096)):
        (root / "Apps" / app).mkdir(parents=True)
        (root / "Apps" / app / "docker-compose.yml").write_bytes(compose(app, port))
    (root / "Apps" / "ArmOnly").mkdir()
    (root / "Apps" / "ArmOnly" / "docker-compose.yml").write_bytes(
        compose("ArmOnly", 9000, archs=("arm64",))
    )
    (root / "Apps" / "Empty").mkdir()
    return root


def test_sync_a_local_store_and_load_it_beside_the_bundled_catalog(tmp_path):
    store = make_store(tmp_path / "store")
    registry = SourceRegistry(tmp_path / "sources")
    registry.add("mine", str(store))
    report = registry.sync("mine")
    assert report.source.format == "casaos"
    assert (report.source.converted, report.source.skipped) == (2, 2)
    assert report.result.skipped_by_reason() == {
        "no amd64 image (architectures: arm64)": 1,
        "no docker-compose.yml": 1,
    }
    assert (tmp_path / "sources").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "sources" / "mine" / "entries.json").stat().st_mode & 0o777 == 0o600

    catalog = CatalogService.load(sources_dir=tmp_path / "sources")
    assert catalog.get("mine/wiki").source == "mine" and catalog.get("wiki").ref == "mine/wiki"
    # Clash: the bundled jellyfin keeps its id; the source's is reached by source/id.
    assert catalog.get("jellyfin").source == "bundled"
    assert catalog.get("mine/jellyfin").compose["services"]["jellyfin"]["image"] == (
        "example/jellyfin:1.0"
    )
    assert [e.ref for e in catalog.search("jellyfin", source="mine")] == ["mine/jellyfin"]
    assert catalog.sources()["mine"] == 2
    assert catalog.get("mine/wiki").notes  # what the conversion changed travels with it


def test_a_source_can_override_the_bundled_ids_when_asked(tmp_path):
    registry = SourceRegistry(tmp_path / "sources")
    registry.add("mine", str(make_store(tmp_path / "store")), override_bundled=True)
    registry.sync("mine")
    catalog = CatalogService.load(sources_dir=tmp_path / "sources")
    assert catalog.get("jellyfin").ref == "mine/jellyfin"
    assert any(e.ref == "jellyfin" and e.source == "bundled" for e in catalog.entries)


def test_bad_additions_change_nothing(tmp_path):
    registry = SourceRegistry(tmp_path / "sources")
    store = str(make_store(tmp_path / "store"))
    for name, location, fmt, error in [
        ("Bad Name", store, "", ValidationError),
        ("bundled", store, "", ValidationError),
        ("ok", store, "zip", ValidationError),
        ("ok", str(tmp_path / "absent"), "", ValidationError),
        ("ok", "http://example.com/store.zip", "", ValidationError),
    ]:
        with pytest.raises(error):
            registry.add(name, location, fmt)
    assert not (tmp_path / "sources").exists()
    registry.add("ok", store)
    with pytest.raises(ConflictError):
        registry.add("ok", store)
    with pytest.raises(NotFoundError):
        registry.remove("nope")
    assert [s.name for s in registry.all()] == ["ok"]
    registry.sync("ok")
    registry.remove("ok")
    assert registry.all() == [] and not (tmp_path / "sources" / "ok").exists()


# --- https -----------------------------------------------------------------------------------


@pytest.fixture
def https_server(tmp_path) -> Iterator[tuple[str, Path, Path]]:
    """(base URL, the served directory, the CA file that signs the server's certificate)."""
    certs = make_certificates(tmp_path / "certs", ["localhost"])
    served = tmp_path / "served"
    served.mkdir()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(served), **kw)

        def log_message(self, *a):  # quiet
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certs.cert_path, certs.key_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://localhost:{server.server_address[1]}", served, certs.ca_path
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=30)


def zip_store(store: Path, dest: Path) -> Path:
    with zipfile.ZipFile(dest, "w") as zf:
        for path in sorted(store.rglob("*")):
            if path.is_file():
                zf.write(path, "store-main/" + str(path.relative_to(store)))
    return dest


def test_sync_downloads_an_https_archive_verified_hashed_and_unpacked(tmp_path, https_server):
    base, served, ca = https_server
    archive = zip_store(make_store(tmp_path / "store"), served / "store.zip")
    registry = SourceRegistry(tmp_path / "sources")
    registry.add("remote", f"{base}/store.zip")
    seen: list[int] = []
    report = registry.sync("remote", cafile=str(ca), progress=lambda done, total: seen.append(done))
    assert report.sha256 == hashlib.sha256(archive.read_bytes()).hexdigest()
    assert report.size == archive.stat().st_size == seen[-1]
    assert report.source.converted == 2
    assert not (tmp_path / "sources" / "remote" / "archive.part").exists()
    unpacked = tmp_path / "sources" / "remote" / "tree" / "store-main" / "Apps" / "Wiki"
    assert (unpacked / "docker-compose.yml").is_file()
    listed = json.loads((tmp_path / "sources" / "sources.json").read_text())
    assert listed["sources"][0]["sha256"] == report.sha256


def test_download_refuses_an_untrusted_certificate_a_404_and_too_much(tmp_path, https_server):
    base, served, ca = https_server
    (served / "big.bin").write_bytes(b"x" * 5000)
    dest = tmp_path / "got.part"
    with pytest.raises(FetchError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        download(f"{base}/big.bin", dest)  # the system's CAs do not know ours
    with pytest.raises(FetchError, match="HTTP 404"):
        download(f"{base}/absent.zip", dest, cafile=str(ca))
    with pytest.raises(FetchError, match="limit"):
        download(f"{base}/big.bin", dest, cafile=str(ca), limit=1000)
    assert not dest.exists(), "nothing partial is left"
    got = download(f"{base}/big.bin", dest, cafile=str(ca))
    assert got.size == 5000 and dest.read_bytes() == b"x" * 5000


# --- unpacking -------------------------------------------------------------------------------


def tar_with(tmp_path: Path, members: list[tarfile.TarInfo], data: bytes = b"a: 1\n") -> Path:
    path = tmp_path / "a.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        for info in members:
            info.size = len(data) if info.isfile() else 0
            tf.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return path


@pytest.mark.parametrize("name", ["../evil.yml", "/abs/evil.yml", "a/../../evil.yml"])
def test_unsafe_member_paths_are_refused(tmp_path, name):
    with pytest.raises(FetchError, match="unsafe path"):
        extract(tar_with(tmp_path, [tarfile.TarInfo(name)]), tmp_path / "out")
    zpath = tmp_path / "a.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr(name, "a: 1\n")
    with pytest.raises(FetchError, match="unsafe path"):
        extract(zpath, tmp_path / "out2")
    assert not (tmp_path / "evil.yml").exists() and not Path("/abs/evil.yml").exists()


def test_links_are_never_created_and_only_wanted_files_are_written(tmp_path):
    link = tarfile.TarInfo("repo/Apps/x/docker-compose.yml")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    hard = tarfile.TarInfo("repo/Apps/y/docker-compose.yml")
    hard.type, hard.linkname = tarfile.LNKTYPE, "/etc/shadow"
    ok = tarfile.TarInfo("repo/Apps/z/docker-compose.yml")
    icon = tarfile.TarInfo("repo/Apps/z/icon.png")
    out = tmp_path / "out"
    assert extract(tar_with(tmp_path, [link, hard, ok, icon]), out) == 1
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if not p.is_dir())
    assert files == ["repo/Apps/z/docker-compose.yml"]
    assert not any(p.is_symlink() for p in out.rglob("*"))
    assert out.stat().st_mode & 0o777 == 0o700


def test_not_an_archive(tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not an archive")
    with pytest.raises(FetchError, match="neither a zip nor a tar"):
        extract(junk, tmp_path / "out")


def test_a_reload_in_place_takes_the_new_entries_and_overrides(tmp_path):
    """The dashboard reloads into the object every screen holds (`replace_with`)."""
    catalog = CatalogService.load(sources_dir=tmp_path / "sources")
    assert "mine/wiki" not in catalog and not catalog.overrides
    catalog.search("wiki")  # an index built before the reload must not survive it
    registry = SourceRegistry(tmp_path / "sources")
    registry.add("mine", str(make_store(tmp_path / "store")), override_bundled=True)
    registry.sync("mine")
    catalog.replace_with(CatalogService.load(sources_dir=tmp_path / "sources"))
    assert catalog.get("wiki").ref == "mine/wiki" and catalog.overrides == {"mine/jellyfin"}
    assert [e.ref for e in catalog.search("wiki", source="mine")] == ["mine/wiki"]


def test_cli_adds_an_https_archive_and_shows_its_checksum(tmp_path, https_server):
    """`catalog source add NAME https://...`: the CA is trusted through SSL_CERT_FILE (as a user
    would for a private mirror); the SHA-256 of what was fetched is printed."""
    import os
    import subprocess
    import sys

    base, served, ca = https_server
    archive = zip_store(make_store(tmp_path / "store"), served / "store.zip")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROXIMITY_")}
    env.update(PROXIMITY_DATA_DIR=str(tmp_path / "data"), SSL_CERT_FILE=str(ca))
    env["PROXIMITY_CONFIG"] = str(tmp_path / "absent.toml")
    done = subprocess.run(
        [sys.executable, "-m", "proximity_tui", "catalog", "source", "add", "remote",
         f"{base}/store.zip"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    assert f"sha256 {digest}" in done.stdout
    assert "remote: casaos: converted 2, skipped 1" in done.stdout  # the empty folder is not zipped
    env.pop("SSL_CERT_FILE")
    untrusted = subprocess.run(
        [sys.executable, "-m", "proximity_tui", "catalog", "source", "sync", "remote"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert untrusted.returncode == 1 and "certificate verify failed" in untrusted.stderr.lower()
    assert untrusted.stderr.count("\n") == 1
