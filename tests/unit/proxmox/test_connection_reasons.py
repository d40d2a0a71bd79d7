"""Connection failures are reported by their real cause, not by requests' wrapper text."""

import socket
import threading

import pytest
import requests

from proximity_tui.proxmox.session import _reason


@pytest.fixture
def slams_the_door():
    """A server that accepts and closes at once (a proxy or a crashed pveproxy)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(5)

    def serve():
        try:
            while True:
                conn, _ = server.accept()
                conn.close()
        except OSError:
            return

    threading.Thread(target=serve, daemon=True).start()
    yield server.getsockname()[1]
    server.close()


def _failure(url: str) -> BaseException:
    with pytest.raises(requests.RequestException) as err:
        requests.get(url, timeout=30)  # a limit for the stuck: refused and reset come at once
    return err.value


def test_refused_and_reset_are_named_plainly(slams_the_door):
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    closed_port = free.getsockname()[1]
    free.close()
    assert _reason(_failure(f"http://127.0.0.1:{closed_port}/")) == "Connection refused"
    reset = _reason(_failure(f"http://127.0.0.1:{slams_the_door}/"))
    assert reset in ("Connection reset by peer", "Remote end closed connection without response")
