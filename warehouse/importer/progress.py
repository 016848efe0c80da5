"""Progress of a long import on stderr: records read, rate, rejects so far, share of the input read and the time
left (by bytes, so it holds for one big file as for many small ones).

On a terminal the status line is rewritten in place a few times a second; when stderr is a file or a pipe (a log,
CI), a status line is printed every ``LOG_INTERVAL`` seconds at most, so a long import writes a few dozen lines,
not a flood. ``quiet`` prints nothing.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

TTY_INTERVAL = 0.5
LOG_INTERVAL = 15.0


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Progress:
    """Status of one import, throttled."""

    def __init__(self, quiet: bool, stream: TextIO | None = None) -> None:
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = time.monotonic()
        self.last = 0.0
        self.total_bytes = 0
        self.done_bytes = 0
        self.open_line = False

    def note(self, message: str) -> None:
        """A line that is always shown (a phase of the import)."""
        if self.quiet:
            return
        self._end_status()
        print(message, file=self.stream, flush=True)

    def reading(self, files: int, total_bytes: int) -> None:
        self.total_bytes += total_bytes
        self.started = time.monotonic()
        self.last = self.started

    def status(self, records: int, rejected: int, done_bytes: int, force: bool = False) -> None:
        """The status line, if it is time for one (or ``force``)."""
        if self.quiet:
            return
        now = time.monotonic()
        if not force and now - self.last < (TTY_INTERVAL if self.tty else LOG_INTERVAL):
            return
        self.last = now
        elapsed = max(now - self.started, 1e-6)
        text = f"  read {records:,} records ({records / elapsed:,.0f}/s), {rejected:,} rejected"
        if self.total_bytes:
            share = min(done_bytes / self.total_bytes, 1.0)
            text += f", {share:.0%} of {self.total_bytes / 1e6:,.0f} MB"
            if 0 < share < 1:
                text += f", about {_duration(elapsed * (1 - share) / share)} left"
        if self.tty:
            print("\r" + text.ljust(100), end="", file=self.stream, flush=True)
            self.open_line = True
        else:
            print(text, file=self.stream, flush=True)

    def _end_status(self) -> None:
        if self.open_line:
            print(file=self.stream, flush=True)
            self.open_line = False
