"""What an import read, loaded, rejected and wrote, as printed at the end; and the warnings about dbt vars."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ImportSummary:
    """What an import read, loaded and rejected, and what it wrote."""

    import_id: str
    target: str
    mode: str
    files: int
    read: int
    loaded: int
    rejected: int
    blank_lines: int
    written: dict[str, int]
    users_derived: int
    duplicate_registrations: int
    warnings: list[str]
    seconds: float
    files_skipped: int = 0
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        skipped = f", {self.files_skipped:,} already imported (skipped)" if self.files_skipped else ""
        out = [
            f"import {self.import_id}: {self.files:,} files{skipped}, read {self.read:,} = loaded {self.loaded:,}"
            f" + rejected {self.rejected:,}"
            + (f" ({self.blank_lines:,} blank lines skipped)" if self.blank_lines else ""),
            "written ({}): {}".format(self.mode, ", ".join(f"raw.{t} {n:,}" for t, n in self.written.items()))
            + f" in {self.seconds:.1f} s",
        ]
        if self.users_derived:
            out.append(f"note: {self.users_derived:,} users derived from their first event (no user record)")
        if self.duplicate_registrations:
            out.append(
                f"note: {self.duplicate_registrations:,} repeated user records: the earliest is the user,"
                " each stays an event"
            )
        out += [f"warning: {w}" for w in self.warnings]
        return out

    def __str__(self) -> str:
        return (
            f"read {self.read:,} = loaded {self.loaded:,} + rejected {self.rejected:,};"
            f" users {self.written.get('users', 0):,}, events {self.written.get('events', 0):,}"
        )


def dbt_var_warnings(dbt_vars: dict[str, Any], loaded_event_names: set[str]) -> list[str]:
    """Warnings about dbt vars naming events that the import did not load."""
    warnings = []
    for var in ("funnel_steps", "activity_events", "revenue_events"):
        for event in dbt_vars.get(var) or []:
            if event not in loaded_event_names:
                warnings.append(f"dbt_vars.{var} names {event!r}, which is not an event name in this import")
    event = dbt_vars.get("feature_event")
    if event and event not in loaded_event_names:
        warnings.append(f"dbt_vars.feature_event {event!r} is not an event name in this import")
    return warnings
