"""The inside of a simulated LXC container: a shell, a file system, apk/apt, OpenRC/systemd and a
Docker engine with compose, driven by `pct exec` (see `ContainerInside`)."""

from .container import ContainerInside
from .fs import DiskFS, MemoryFS
from .shell import Flavor, Io, Shell, Stdin

__all__ = ["ContainerInside", "DiskFS", "Flavor", "Io", "MemoryFS", "Shell", "Stdin"]
