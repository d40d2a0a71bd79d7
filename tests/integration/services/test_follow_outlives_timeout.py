"""Following an app's logs runs until it is stopped: the `[ssh] timeout` bounds each `pct`
command, not a `logs --follow`, which used to die with "timed out after 30s" half a minute in."""

from __future__ import annotations

import threading
import time

from proximity_tui.config import load_settings
from proximity_tui.services.bootstrap import build_services
from tests.integration.services.conftest import make_services
from tests.pvesim.sim_helpers import wait_until

SSH_TIMEOUT = 1.0


def test_a_follow_outlives_the_ssh_timeout_and_ends_when_stopped(sim, tmp_path, hostname):
    deployer = make_services(sim, tmp_path)
    try:
        app = deployer.call(deployer.apps.deploy_app("whoami", hostname))
    finally:
        deployer.close(wait=30)
    settings = load_settings(
        tmp_path / "config-token.toml",
        db_path=tmp_path / "db.sqlite",
        env={},
        overrides={"ssh.timeout": SSH_TIMEOUT},
    )
    services = build_services(settings)
    lines: list[str] = []
    stop = threading.Event()
    try:
        services.call(services.connect(monitor=False))
        follow = services.runtime.submit(
            services.apps.app_logs(app.id, tail=5, follow=True, on_line=lines.append, stop=stop)
        )
        wait_until(lambda: lines or follow.done(), timeout=60)
        assert not follow.done(), follow.exception()
        started = time.monotonic()
        # Three SSH timeouts go by (however slowly this machine runs), the follow still runs.
        wait_until(lambda: follow.done() or time.monotonic() - started > 3 * SSH_TIMEOUT)
        assert not follow.done(), follow.exception()
        stop.set()
        follow.result(timeout=30)  # stopped: ends quietly, no error
        assert lines
        services.call(services.apps.delete_app(app.id))
    finally:
        stop.set()
        services.close(wait=30)
