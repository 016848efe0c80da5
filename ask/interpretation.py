"""What a question was understood to ask: a semantic-layer query, shown in words and as an `mf query` command.

The same shape comes out of the parser, out of a language model (validated first) and out of ``--json``.
"""

from __future__ import annotations

import datetime as dt
import shlex
from dataclasses import dataclass, field
from typing import Any

from ask.dates import add_months

KEYS = ("metrics", "group_by", "grain", "start", "end", "where", "order", "limit", "compare")


@dataclass(frozen=True)
class Filter:
    dimension: str  # qualified, e.g. user__device
    values: tuple[str, ...]

    def mf(self) -> str:
        """MetricFlow's where text. The values come from the warehouse's own dimension values, never from the
        question's text; quotes are doubled all the same."""
        quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in self.values)
        column = "{{ Dimension('" + self.dimension + "') }}"
        return f"{column} = {quoted}" if len(self.values) == 1 else f"{column} in ({quoted})"


@dataclass(frozen=True)
class Interpretation:
    metrics: tuple[str, ...]
    group_by: tuple[str, ...] = ()  # qualified dimension names, without metric_time
    grain: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    where: tuple[Filter, ...] = ()
    order: tuple[str, ...] = ()  # mf order names, "-revenue" for descending
    limit: int | None = None
    compare: bool = False  # also the same length of time just before [start, end]
    notes: tuple[str, ...] = field(default=(), compare=False)  # what the user should know (defaults taken)

    # -- for MetricFlow ------------------------------------------------------------------------------------------
    def mf_group_by(self) -> list[str]:
        return ([f"metric_time__{self.grain}"] if self.grain else []) + list(self.group_by)

    def mf_order(self) -> list[str]:
        if self.order:
            return list(self.order)
        return [f"metric_time__{self.grain}"] if self.grain else []

    def mf_where(self) -> list[str]:
        return [f.mf() for f in self.where]

    def previous_period(self) -> tuple[dt.date, dt.date]:
        """As long as [start, end], just before it; whole calendar months when the range is whole months (so
        "last month vs previous period" is the month before, whatever the months' lengths)."""
        assert self.start and self.end
        after_end = self.end + dt.timedelta(days=1)
        if self.start.day == 1 and after_end.day == 1:
            months = (after_end.year - self.start.year) * 12 + after_end.month - self.start.month
            return add_months(self.start, -months), self.start - dt.timedelta(days=1)
        days = (self.end - self.start).days + 1
        return self.start - dt.timedelta(days=days), self.start - dt.timedelta(days=1)

    def mf_command(self) -> str:
        """The equivalent command line."""
        args = ["mf", "query", "--metrics", ",".join(self.metrics)]
        if self.mf_group_by():
            args += ["--group-by", ",".join(self.mf_group_by())]
        for where in self.mf_where():
            args += ["--where", where]
        if self.start:
            args += ["--start-time", self.start.isoformat()]
        if self.end:
            args += ["--end-time", self.end.isoformat()]
        if self.mf_order():
            args += ["--order", ",".join(self.mf_order())]
        if self.limit is not None:
            args += ["--limit", str(self.limit)]
        return " ".join(_quote(a) for a in args)

    # -- for people and tools ------------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "metrics": list(self.metrics),
            "group_by": list(self.group_by),
            "grain": self.grain,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "where": [{"dimension": f.dimension, "values": list(f.values)} for f in self.where],
            "order": list(self.order),
            "limit": self.limit,
            "compare": self.compare,
        }

    def describe(self, labels: dict[str, str] | None = None) -> str:
        """One sentence: "Active users per week, by channel, from 2025-03-01 to 2025-06-30, where device is ios."."""
        labels = labels or {}
        names = [labels.get(m, m.replace("_", " ")) for m in self.metrics]
        text = " and ".join(names) if len(names) <= 2 else ", ".join(names[:-1]) + " and " + names[-1]
        if self.grain:
            text += f" per {self.grain}"
        if self.group_by:
            text += ", by " + " and ".join(_dim(d) for d in self.group_by)
        if self.start and self.end:
            text += f", from {self.start} to {self.end}" if self.start != self.end else f", on {self.start}"
        elif self.start:
            text += f", from {self.start} on"
        elif self.end:
            text += f", up to {self.end}"
        else:
            text += ", over all time"
        for f in self.where:
            text += f", where {_dim(f.dimension)} is {' or '.join(f.values)}"
        if self.order:
            first = self.order[0]
            name = labels.get(first.lstrip("-"), _dim(first.lstrip("-"))).lower()
            name = "MRR" if name == "mrr" else name
            text += f"; {'highest' if first.startswith('-') else 'lowest'} {name} first"
        if self.limit is not None:
            text += f", {self.limit} row{'s' if self.limit != 1 else ''}"
        if self.compare:
            start, end = self.previous_period()
            text += f"; compared with the period before ({start} to {end})"
        return text[0].upper() + text[1:] + "."


def _quote(arg: str) -> str:
    """Double quotes where a shell allows them (MetricFlow's where text is full of single quotes)."""
    if arg and all(c.isalnum() or c in "_-,.:/" for c in arg):
        return arg
    if not any(c in arg for c in '"$`\\!'):
        return f'"{arg}"'
    return shlex.quote(arg)


def _dim(qualified: str) -> str:
    return qualified.split("__")[-1].replace("_", " ")
