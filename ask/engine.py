"""MetricFlow kept warm in-process: the semantic manifest is loaded once, each question is compiled to SQL by
MetricFlow (no dbt, no `mf` subprocess) and the SQL runs on the warehouse through a read-only connection.

MetricFlow only renders SQL here: the client handed to it knows the dialect and refuses to execute anything.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

SqlRunner = Callable[[str], pd.DataFrame]


class CompileOnlyClient:
    """The SqlClient MetricFlow wants, reduced to the dialect: rendering works, running is refused."""

    def __init__(self, backend: str) -> None:
        from metricflow.protocols.sql_client import SqlEngine
        from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer
        from metricflow.sql.render.postgres import PostgresSQLSqlPlanRenderer

        if backend == "duckdb":
            self._engine, self._renderer = SqlEngine.DUCKDB, DuckDbSqlPlanRenderer()
        elif backend == "postgres":
            self._engine, self._renderer = SqlEngine.POSTGRES, PostgresSQLSqlPlanRenderer()
        else:
            raise ValueError(f"no MetricFlow dialect for warehouse {backend!r}")

    @property
    def sql_engine_type(self):
        return self._engine

    @property
    def sql_plan_renderer(self):
        return self._renderer

    def query(self, stmt: str, sql_bind_parameter_set: Any = None) -> Any:
        raise RuntimeError("the compile-only client does not run SQL")

    execute = dry_run = query

    def close(self) -> None:
        return None

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return f"${bind_parameter_key}" if self._engine.value == "DuckDB" else f"%({bind_parameter_key})s"


def load_manifest_json(path: Path) -> dict[str, Any]:
    """The raw semantic manifest dbt wrote, with each table's database dropped: the SQL then names
    ``schema.table`` only and runs on any copy of the warehouse (a DuckDB file under another name too)."""
    raw = json.loads(Path(path).read_text())
    for model in raw.get("semantic_models", []):
        relation = model.get("node_relation") or {}
        relation["database"] = None
        relation["relation_name"] = f'"{relation["schema_name"]}"."{relation["alias"]}"'
    for spine in (raw.get("project_configuration") or {}).get("time_spines", []):
        relation = spine.get("node_relation") or {}
        relation["database"] = None
        relation["relation_name"] = f'"{relation["schema_name"]}"."{relation["alias"]}"'
    return raw


class Compiler:
    """A warm MetricFlow engine over one semantic manifest, for one SQL dialect."""

    def __init__(self, manifest: dict[str, Any], backend: str) -> None:
        from metricflow.engine.metricflow_engine import MetricFlowEngine
        from metricflow_semantics.model.dbt_manifest_parser import parse_manifest_from_dbt_generated_manifest
        from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

        logging.getLogger("metricflow").setLevel(logging.WARNING)
        logging.getLogger("metricflow_semantics").setLevel(logging.WARNING)
        semantic_manifest = parse_manifest_from_dbt_generated_manifest(json.dumps(manifest))
        self.backend = backend
        self._engine = MetricFlowEngine(SemanticManifestLookup(semantic_manifest), CompileOnlyClient(backend))
        self._lock = threading.Lock()  # MetricFlow's id generator is global: one compilation at a time
        self._dimensions: dict[tuple[str, ...], list[str]] = {}

    def sql(
        self,
        metrics: list[str],
        group_by: list[str],
        start: dt.date | None = None,
        end: dt.date | None = None,
        where: list[str] | None = None,
        order_by: list[str] | None = None,
        limit: int | None = None,
    ) -> str:
        from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

        request = MetricFlowQueryRequest.create(
            metric_names=metrics,
            group_by_names=group_by or None,
            time_constraint_start=dt.datetime.combine(start, dt.time()) if start else None,
            time_constraint_end=dt.datetime.combine(end, dt.time(23, 59, 59)) if end else None,
            where_constraints=where or None,
            order_by_names=order_by or None,
            limit=limit,
        )
        with self._lock:
            return self._engine.explain(request).sql_statement.sql

    def dimensions(self, metrics: list[str]) -> list[str]:
        """Qualified names of the dimensions every one of ``metrics`` can be grouped by (``user__channel``)."""
        key = tuple(sorted(metrics))
        if key not in self._dimensions:
            with self._lock:
                found = self._engine.simple_dimensions_for_metrics(list(key))
            self._dimensions[key] = sorted({d.dunder_name for d in found})
        return self._dimensions[key]
