"""Proximity TUI: a keyboard-driven app store for Proxmox VE."""

__version__ = "0.1.0"
