"""Read a generated folder back into pandas and measure it the way the marts do (used by tests and benchmarks).

``ordered_funnel`` is the reference definition of the funnel that truth.json describes: a user enters at their
first event of step 1; step k counts when an event of step k happens after the user's step k-1 and no later than
``window_days`` after entering.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from warehouse.contract import TABLES


def read_table(folder: Path, name: str, columns: list[str] | None = None) -> pd.DataFrame:
    """One raw table as a DataFrame; money columns as float, timestamps as datetime64[us]."""
    table = pq.read_table(Path(folder) / f"{name}.parquet", columns=columns)
    cols = []
    for field in table.schema:
        column = table.column(field.name)
        if pa.types.is_decimal(field.type):
            column = column.cast(pa.float64())
        cols.append(column)
    return pa.Table.from_arrays(cols, names=table.column_names).to_pandas()


def read_dataset(folder: Path) -> dict[str, pd.DataFrame]:
    return {name: read_table(folder, name) for name in TABLES}


def read_truth(folder: Path) -> dict[str, Any]:
    return json.loads((Path(folder) / "truth.json").read_text())


def first_deliveries(events: pd.DataFrame) -> pd.DataFrame:
    """One row per event_id: the earliest delivery (as staging does)."""
    return events.sort_values(["event_id", "loaded_at"], kind="stable").drop_duplicates("event_id")


def ordered_funnel(events: pd.DataFrame, steps: list[str], window_days: int) -> pd.DataFrame:
    """Per user who did step 1: entry time and whether each step was reached, in order, inside the window."""
    ev = events[events["event_name"].isin(steps)][["user_id", "event_name", "occurred_at"]]
    window = pd.Timedelta(days=window_days)
    entry = ev[ev["event_name"] == steps[0]].groupby("user_id")["occurred_at"].min()
    out = pd.DataFrame({"entered_at": entry, steps[0]: True})
    deadline = entry + window
    previous = entry
    for step in steps[1:]:
        hits = ev[ev["event_name"] == step].merge(previous.rename("previous_at"), left_on="user_id", right_index=True)
        hits = hits[
            (hits["occurred_at"] > hits["previous_at"]) & (hits["occurred_at"] <= hits["user_id"].map(deadline))
        ]
        reached_at = hits.groupby("user_id")["occurred_at"].min()
        out[step] = out.index.isin(reached_at.index)
        previous = reached_at
    return out
