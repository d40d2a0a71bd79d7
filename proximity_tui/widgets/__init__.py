"""Reusable widgets: one per module, each carrying its own DEFAULT_CSS."""
