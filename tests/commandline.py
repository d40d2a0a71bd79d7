"""The command line as a user runs it: `proximity-tui sim` in its own process with the config it
wrote, and `proximity-tui ...` against it, nothing shared with the test but the wire and files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pvesim.testing import SimProcess

REPO = Path(__file__).resolve().parents[1]


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without any PROXIMITY_* setting, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROXIMITY_")}
    env.update(extra)
    return env


def json_lines(text: str) -> list[dict]:
    """A `--json` output: JSON lines, each one an object (a test fails on anything else)."""
    import json

    objects = [json.loads(line) for line in text.splitlines()]
    assert all(isinstance(o, dict) for o in objects), text
    return objects


def run_cli(*args: str, env: dict[str, str], input: str | None = None, timeout: float = 60):
    return subprocess.run(
        [sys.executable, "-m", "proximity_tui", *args],
        capture_output=True,
        text=True,
        env=env,
        input=input,
        timeout=timeout,
        cwd=REPO,
    )


class CliSim(SimProcess):
    """`proximity-tui sim --write-config ROOT/config.toml` in its own process (`pvesim.testing`)."""

    def __init__(
        self,
        root: Path,
        *args: str,
        time_scale: float = 0.0,
        seed: int = 0,
        nodes: int | None = None,
    ) -> None:
        self.root = root
        self.config = root / "config.toml"
        super().__init__(
            "--write-config",
            str(self.config),
            *args,
            time_scale=time_scale,
            seed=seed,
            nodes=nodes,
            command=[sys.executable, "-m", "proximity_tui", "sim"],
            workdir=root,
            env=clean_env(),
            cwd=REPO,
        )

    def env(self, data_dir: Path, **extra: str) -> dict[str, str]:
        """The environment of a command that uses this simulator and `data_dir`."""
        return clean_env(
            PROXIMITY_CONFIG=str(self.config), PROXIMITY_DATA_DIR=str(data_dir), **extra
        )
