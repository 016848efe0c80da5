"""``batch.json``: what a folder of raw Parquet files is, as a delivery of a dataset.

The simulator writes one into every folder it writes: the full dataset (sequence 0) and each batch that
``python -m data_generation --continue`` adds (sequence 1, 2, ...). The loader reads it: a full load records the
folder as batch 0 in ``raw.load_batches``; ``load --append`` loads a batch only after the one before it, and only
onto the same dataset. Pure data and JSON: no database here.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from warehouse.errors import InputError

MANIFEST_FILE = "batch.json"


@dataclass(frozen=True)
class BatchManifest:
    dataset: str  # identifies the business: scenario, seed, users, start date, horizon
    batch_id: str
    sequence: int  # 0 = the full dataset, then 1, 2, ...
    first_day: date | None  # arrivals (loaded_at) this folder covers, by calendar day (UTC)
    last_day: date | None
    counts: dict[str, int] = field(default_factory=dict)  # rows per raw table
    delivery: dict[str, Any] = field(default_factory=dict)  # late and re-delivered counts, open-ended window, ...

    def to_json(self) -> str:
        data = asdict(self)
        data["first_day"] = self.first_day.isoformat() if self.first_day else None
        data["last_day"] = self.last_day.isoformat() if self.last_day else None
        return json.dumps(data, sort_keys=True, indent=2) + "\n"

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


def _day(value: Any, path: Path, key: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"{path}: {key} {value!r} is not a date YYYY-MM-DD") from None


def read_manifest(folder: str | Path) -> BatchManifest | None:
    """The folder's ``batch.json``, or None when it has none. A broken one is bad input (one line)."""
    path = Path(folder) / MANIFEST_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable batch manifest ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a batch manifest (expected a JSON object)")
    for key, kind in (("dataset", str), ("batch_id", str), ("sequence", int)):
        if not isinstance(data.get(key), kind) or isinstance(data.get(key), bool):
            raise InputError(f"{path}: {key} is missing or not a {kind.__name__}")
    if data["sequence"] < 0:
        raise InputError(f"{path}: sequence must be 0 or more, got {data['sequence']}")
    counts = data.get("counts") or {}
    delivery = data.get("delivery") or {}
    if not isinstance(counts, dict) or not isinstance(delivery, dict):
        raise InputError(f"{path}: counts and delivery must be JSON objects")
    return BatchManifest(
        dataset=data["dataset"],
        batch_id=data["batch_id"],
        sequence=data["sequence"],
        first_day=_day(data.get("first_day"), path, "first_day"),
        last_day=_day(data.get("last_day"), path, "last_day"),
        counts={str(k): int(v) for k, v in counts.items()},
        delivery=delivery,
    )
