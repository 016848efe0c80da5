"""`python -m pipeline refresh`: one daily cycle on a warehouse that `make run` built.

New data -> append to raw -> incremental `dbt build` -> dbt docs. New data is the next day(s) of the simulated
business (`python -m data_generation --continue`, appended with `warehouse load --append`) or, with ``--data``, the
files of an import that are not imported yet (the importer's append skips the others). A batch or a file already
loaded adds nothing, so running the refresh again with nothing new leaves every mart as it was.

It prints what arrived (rows added per raw table; among the events: late ones, that happened before the data the
warehouse already held; re-deliveries of events already delivered; the days touched) and the time of each stage.
The dbt build reads only rows that arrived since its models' own watermarks (docs/decisions.md, "Incremental
refresh"), and the data tests of the big incremental tables check only those rows (var data_tests_loaded_since).
A refresh that stops half-way leaves every model at its own consistent point; the next refresh catches up.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pipeline.dbt import dbt_env, load_vars, run_dbt
from warehouse.contract import raw_tables
from warehouse.errors import InputError


@dataclass
class RawState:
    """What schema raw holds at one moment: rows per table, the latest arrival and the latest event time."""

    rows: dict[str, int]
    arrived_through: datetime | None
    happened_through: datetime | None


@dataclass
class Arrivals:
    """What one refresh appended."""

    rows_added: dict[str, int]
    event_deliveries: int = 0
    late_events: int = 0
    redelivered_events: int = 0
    days_touched: int = 0
    first_day: Any = None
    last_day: Any = None
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        added = ", ".join(f"{name} +{count:,}" for name, count in self.rows_added.items() if count) or "nothing"
        out = [f"rows added: {added}"]
        if self.event_deliveries:
            days = f"{self.days_touched} ({self.first_day} .. {self.last_day})" if self.days_touched else "0"
            out.append(
                f"events: {self.event_deliveries:,} deliveries, {self.late_events:,} late (happened before the data"
                f" already held), {self.redelivered_events:,} re-delivered (dropped by the de-duplication);"
                f" days touched: {days}"
            )
        return out + self.notes


def _query(target: str, sql: str) -> list[tuple]:
    """Rows of one read-only query on the warehouse named by the environment (DUCKDB_PATH / PG*)."""
    if target == "duckdb":
        from warehouse.connections import connect_duckdb

        conn = connect_duckdb(dbt_env(target)["DUCKDB_PATH"])
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()
    from warehouse.connections import connect_postgres

    with connect_postgres(create=False) as conn:
        return conn.execute(sql).fetchall()


def raw_state(target: str) -> RawState:
    build_first = f"build it first with `make run{'' if target == 'duckdb' else ' TARGET=' + target}`"
    if target == "duckdb" and not Path(dbt_env(target)["DUCKDB_PATH"]).is_file():
        raise InputError(f"no DuckDB warehouse at {dbt_env(target)['DUCKDB_PATH']}: {build_first}")
    names = [t.name for t in raw_tables()]
    counts = " union all ".join(f"select '{name}', count(*) from raw.{name}" for name in names)
    try:
        rows = {str(name): int(n) for name, n in _query(target, counts)}
        arrived, happened = _query(target, "select max(loaded_at), max(occurred_at) from raw.events")[0]
    except Exception as exc:  # noqa: BLE001 - whatever the driver raises, the cause is the same for the user
        raise InputError(
            f"cannot read schema raw of the {target} warehouse ({str(exc).splitlines()[0]}): {build_first}"
        ) from None
    return RawState(rows, arrived, happened)


def _literal(moment: datetime) -> str:
    return f"cast('{moment:%Y-%m-%d %H:%M:%S.%f}' as timestamp)"


def describe_arrivals(target: str, before: RawState, after: RawState) -> Arrivals:
    """Rows added per raw table, and among the event rows that arrived after ``before``: late, re-delivered, days."""
    arrivals = Arrivals({name: after.rows.get(name, 0) - before.rows.get(name, 0) for name in after.rows})
    if after.arrived_through is None or after.arrived_through == before.arrived_through:
        return arrivals
    since = "1 = 1" if before.arrived_through is None else f"loaded_at > {_literal(before.arrived_through)}"
    held = "1 = 0" if before.arrived_through is None else f"loaded_at <= {_literal(before.arrived_through)}"
    late = "1 = 0" if before.happened_through is None else f"arrived.occurred_at < {_literal(before.happened_through)}"
    sql = f"""
        with arrived as (
            select event_id, occurred_at from raw.events where {since}
        ),
        held as (
            select distinct event_id from raw.events where {held}
        )
        select
            count(*),
            count(distinct case when held.event_id is null then arrived.event_id end),
            sum(case when {late} then 1 else 0 end),
            count(distinct cast(arrived.occurred_at as date)),
            min(cast(arrived.occurred_at as date)),
            max(cast(arrived.occurred_at as date))
        from arrived
        left join held on arrived.event_id = held.event_id
    """
    deliveries, new_events, late_events, days, first, last = _query(target, sql)[0]
    arrivals.event_deliveries = int(deliveries or 0)
    arrivals.redelivered_events = int(deliveries or 0) - int(new_events or 0)
    arrivals.late_events = int(late_events or 0)
    arrivals.days_touched, arrivals.first_day, arrivals.last_day = int(days or 0), first, last
    return arrivals


class Stages:
    """Prints each stage as it starts and its time when done; keeps the times for the closing table."""

    def __init__(self) -> None:
        self.times: list[tuple[str, float]] = []

    def run(self, name: str, body: Callable[[], Any], detail: Callable[[Any], str] | None = None) -> Any:
        print(f"==> {name}", flush=True)
        start = time.perf_counter()
        result = body()
        seconds = time.perf_counter() - start
        self.times.append((name, seconds))
        text = detail(result) if detail else ""
        print(f"    done in {seconds:.1f}s{(' — ' + text) if text else ''}", flush=True)
        return result

    def table(self) -> list[str]:
        total = sum(s for _, s in self.times)
        width = max(len(name) for name, _ in self.times)
        return [f"  {name:<{width}}  {seconds:7.1f}s" for name, seconds in self.times] + [
            f"  {'total':<{width}}  {total:7.1f}s"
        ]


def _new_data(args: argparse.Namespace, stages: Stages, generated: Path | None) -> dict[str, Any]:
    """Append the new data to raw; return the dataset's dbt vars."""
    if args.data:
        from warehouse.importer import import_events, read_mapping

        mapping = read_mapping(args.data)
        stages.run(
            f"Importing the new files of {args.data}",
            lambda: import_events(mapping, target=args.target, quiet=args.quiet, append=True),
            lambda result: str(result) if result is not None else "",
        )
        return dict(mapping.dbt_vars)
    from data_generation import continue_dataset
    from warehouse.batches import append_batch
    from warehouse.lock import folder_lock

    assert generated is not None
    if not (generated / "dbt_vars.yml").is_file():
        raise InputError(f"no generated dataset in {generated}: build one first with `make run`")
    with folder_lock(generated, command="pipeline refresh"):
        batch = stages.run(
            f"Simulating the next {args.days} day(s) of {generated}",
            lambda: continue_dataset(generated, args.days, quiet=args.quiet),
            str,
        )
        stages.run(
            f"Appending {batch.name} to {args.target}",
            lambda: append_batch(batch, target=args.target),
            lambda result: "already loaded: nothing added" if result.already_loaded else "appended",
        )
    return load_vars(generated / "dbt_vars.yml")


def refresh(args: argparse.Namespace, generated: Path | None, build_docs: Callable[[str, dict], Path]) -> int:
    """One refresh cycle (the caller holds the warehouse lock)."""
    env = dbt_env(args.target)
    print(f"Warehouse: {args.target}" + (f" ({env['DUCKDB_PATH']})" if args.target == "duckdb" else ""))
    stages = Stages()
    before = raw_state(args.target)
    vars = _new_data(args, stages, generated)
    after = raw_state(args.target)
    arrivals = describe_arrivals(args.target, before, after)
    for line in arrivals.lines():
        print(f"    {line}")
    build_vars = dict(vars)
    if before.arrived_through is not None:
        build_vars["data_tests_loaded_since"] = f"{before.arrived_through:%Y-%m-%d %H:%M:%S.%f}"
    stages.run(
        "dbt build (incremental: what arrived since each model's watermark)",
        lambda: run_dbt(["build"], target=args.target, vars=build_vars, capture=args.quiet),
    )
    if not args.skip_docs:
        stages.run("dbt docs", lambda: build_docs(args.target, vars), lambda path: f"file://{path}")
    through = after.happened_through
    print()
    print(f"Refreshed: data through {through:%Y-%m-%d %H:%M} UTC." if through else "Refreshed: no events yet.")
    print("Time per stage:")
    for line in stages.table():
        print(line)
    return 0
