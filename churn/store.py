"""The churn step's only contact with the warehouse: read ``marts.churn_features``, replace the ``ml`` tables.

The ``ml`` tables are created (empty) by dbt's on-run-start (macros/churn/create_churn_ml_tables.sql); their columns
are listed here once more, in that order, for the writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from churn.errors import ChurnError

ML_COLUMNS: dict[str, list[str]] = {
    "churn_scores": ["user_id", "as_of_date", "model_name", "churn_probability", "reason_1", "reason_2", "reason_3"],
    "churn_backtest": [
        "user_id",
        "as_of_date",
        "model_name",
        "churn_probability",
        "recency_score",
        "planted_propensity",
        "is_churned",
    ],
    "churn_feature_importance": ["model_name", "feature_name", "importance", "importance_rank"],
}


@contextmanager
def connect(target: str, duckdb_path: Path | None = None, pg_database: str | None = None) -> Iterator[Any]:
    if target == "duckdb":
        import duckdb

        from warehouse.connections import duckdb_path as resolve

        path = resolve(duckdb_path)
        if not path.is_file():
            raise ChurnError(f"no DuckDB warehouse at {path}: run make run (or dbt build) first")
        conn = duckdb.connect(str(path))
    elif target == "postgres":
        from warehouse.connections import connect_postgres

        conn = connect_postgres(pg_database, create=False)
    else:
        raise ChurnError(f"unknown target {target!r}: duckdb or postgres")
    try:
        yield conn
        conn.commit()
    finally:
        conn.close()


def _query(conn: Any, sql: str) -> pd.DataFrame:
    if hasattr(conn, "sql"):  # DuckDB
        return conn.execute(sql).df()
    with conn.cursor() as cur:
        cur.execute(sql)
        return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])


def read_features(conn: Any) -> pd.DataFrame:
    try:
        frame = _query(conn, "select * from marts.churn_features")
    except Exception as exc:  # noqa: BLE001 - a missing mart reads as one line for the user
        first = str(exc).splitlines()[0]
        raise ChurnError(f"cannot read marts.churn_features ({first}): run dbt build first") from None
    frame["as_of_date"] = pd.to_datetime(frame["as_of_date"]).dt.date
    frame["is_churned"] = frame["is_churned"].astype(object).where(frame["is_churned"].notna(), None)
    # one row order on every warehouse: the fits, and so the scores, are then the same everywhere
    return frame.sort_values(["as_of_date", "user_id"], ignore_index=True)


def replace_table(conn: Any, table: str, frame: pd.DataFrame) -> None:
    """Empty ``ml.<table>`` and insert ``frame``'s rows (its columns in ML_COLUMNS order)."""
    columns = ML_COLUMNS[table]
    rows = frame[columns].astype(object).where(frame[columns].notna(), None)
    if hasattr(conn, "sql"):  # DuckDB: register the frame and insert from it
        conn.execute(f"delete from ml.{table}")
        if len(rows):
            conn.register("churn_rows", rows)
            conn.execute(f"insert into ml.{table} ({', '.join(columns)}) select {', '.join(columns)} from churn_rows")
            conn.unregister("churn_rows")
        return
    with conn.cursor() as cur:
        cur.execute(f"delete from ml.{table}")
        with cur.copy(f"copy ml.{table} ({', '.join(columns)}) from stdin") as copy:
            for row in rows.itertuples(index=False, name=None):
                copy.write_row(row)
