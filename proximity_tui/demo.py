"""Demo mode: the real product on the embedded simulator, with its own data.

Everything lives in the demo data dir (`<user data dir>/demo`, or the one given): the simulator's
saved cluster, the generated config and the demo's database, so demo mode never touches real data
and what the user did survives a restart. On the first start two apps are deployed through the
normal pipeline, so live monitoring has something to show.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING

from proximity_tui.demo_lock import DemoLock

if TYPE_CHECKING:
    from proximity_tui.config import Settings
    from proximity_tui.services.bootstrap import Services
    from pvesim.server import Simulator

#: Apps deployed on the demo's first start: (catalog id, hostname).
SEED_APPS = (("uptime-kuma", "status"), ("whoami", "whoami"))
SEEDED_KEY = "demo.seeded"
#: Realistic task durations by default; tests and benchmarks pass 0 (instant).
DEFAULT_TIME_SCALE = 1.0


def build_demo_services(
    data_dir: str | Path | None = None,
    *,
    time_scale: float | None = None,
    seed_apps: bool = True,
    read_only: bool = False,
    profiles: tuple[str, ...] = (),
) -> Services:
    from proximity_tui.config import demo_data_dir, write_config
    from proximity_tui.services.bootstrap import build_services
    from pvesim.server import Simulator  # noqa: F811 - the class itself, not only its type

    directory = Path(data_dir) if data_dir is not None else demo_data_dir(profiles)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    if time_scale is None:
        time_scale = float(os.environ.get("PROXIMITY_DEMO_TIME_SCALE", DEFAULT_TIME_SCALE))
    owner = DemoLock.acquire(directory)
    if owner is None:
        # Another process runs this directory's simulated cluster: join it rather than start a
        # second one (two clusters on one state file overwrite each other's apps on exit).
        config = DemoLock.wait_for_owner(directory)
        settings = _demo_settings(config, directory, read_only)
        return build_services(settings)  # no seeding: the owner did (or does) that
    sim = Simulator(
        nodes=3,
        time_scale=time_scale,
        seed=7,
        state_file=directory / "sim-state.json",
        workdir=directory / "sim",
        profiles=profiles,
    )
    try:
        sim.start()
        config = write_config(directory / "config.toml", sim.client_settings(auth="token"))
        owner.ready()
        services = build_services(
            _demo_settings(config, directory, read_only), simulator=_OwnedCluster(sim, owner)
        )
    except BaseException:
        sim.stop()
        owner.release()
        raise
    if seed_apps:
        services.after_connect = seed_demo
    return services


def _demo_settings(config: Path, directory: Path, read_only: bool) -> Settings:
    from proximity_tui.config import load_settings

    settings = load_settings(
        config,
        db_path=directory / "proximity.db",
        env={},
        overrides={"ui.read_only": True} if read_only else None,
    )
    settings.demo = True
    return settings


class _OwnedCluster:
    """The simulator and the lock that makes this process its only owner: stopped together."""

    def __init__(self, sim: Simulator, lock: DemoLock) -> None:
        self.sim = sim
        self.lock = lock

    def stop(self) -> None:
        try:
            self.sim.stop()
        finally:
            self.lock.release()


async def seed_demo(services: Services) -> list[int]:
    """On the demo's first start, deploy the seed apps (in the background); returns op ids."""
    from proximity_tui.store import repositories as repo

    def first_time() -> bool:
        with services.db.session() as s:
            if repo.get_setting(s, SEEDED_KEY) or repo.list_apps(s):
                return False
            repo.set_setting(s, SEEDED_KEY, True)
            return True

    if not services.apps.can_change or not await asyncio.to_thread(first_time):
        return []
    ops = []
    for catalog_id, hostname in SEED_APPS:
        if catalog_id in services.catalog:
            ops.append(await services.apps.start_deploy(catalog_id, hostname))
    return ops
