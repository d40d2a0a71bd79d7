"""An `Input` that lower-cases what is typed or pasted into it (a hostname: `Graf1` becomes
`graf1` as it is typed, as the CLI lower-cases `--hostname`)."""

from __future__ import annotations

from textual.widgets import Input


class LowerInput(Input):
    def replace(self, text: str, start: int, end: int) -> None:
        # Every key and paste goes through here (insert too), so the cursor stays where it was.
        super().replace(text.lower(), start, end)
