"""Services for a non-interactive command: the demo's, or the configured host's."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from proximity_tui.commands.common import settings_from_args
from proximity_tui.errors import ProximityError

if TYPE_CHECKING:
    from proximity_tui.config import Settings
    from proximity_tui.services.bootstrap import Services


class NotConfigured(ProximityError):
    exit_code = 2


def host_settings(args: argparse.Namespace) -> Settings:
    """The settings of a command that talks to the configured host (refused when there is none;
    a warning line when TLS verification is off)."""
    settings = settings_from_args(args)
    if not settings.configured:
        raise NotConfigured(
            f"no Proxmox host configured ({settings.config_path} does not exist): run "
            "`proximity-tui` to connect, write that file, or try `--demo`"
        )
    if not settings.proxmox.verify_ssl:  # the dashboard's header says so; the CLI says it here
        print(
            f"proximity-tui: warning: TLS verification is off (verify_ssl = false): the "
            f"credentials go to {settings.proxmox.host} without checking its certificate",
            file=sys.stderr,
        )
    return settings


def open_services(
    args: argparse.Namespace, *, monitor: bool = False, change: str | None = None
) -> Services:
    """Build and connect the services; recovery notes go to stderr. Close them when done.
    `change` names what the command will change: a read-only session or a viewer is refused
    before any connection (seconds on a slow host, and an unreachable one would hide why)."""
    if change is not None:
        from proximity_tui.commands.common import require_change_for

        require_change_for(args, change)
    if getattr(args, "demo", False):
        from proximity_tui.demo import build_demo_services

        profiles = tuple(getattr(args, "profile", None) or ())
        services = build_demo_services(
            read_only=bool(getattr(args, "read_only", False)), seed_apps=False, profiles=profiles
        )
    else:
        from proximity_tui.services.bootstrap import build_services

        services = build_services(host_settings(args))
    try:
        services.call(services.connect(monitor=monitor))
    except BaseException:
        services.close(wait=0)
        raise
    label = "recovered" if services.can_change else "warning"  # else nothing was undone
    for note in services.recovery_notes:
        print(f"proximity-tui: {label}: {note}", file=sys.stderr)
    return services
