"""Two warehouses' schema (``marts`` by default) compared table by table: same tables, same columns, same rows.

The result lists every difference in words (table, how many rows on each side have no partner, a few of them), so a
test can assert there is none and a person can read what differs.
"""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

from warehouse.compare.readers import CompareError, SchemaReader
from warehouse.compare.rows import RowShape, Tolerance, diff_groups, group_rows, pick_examples

DEFAULT_SCHEMA = "marts"
DEFAULT_EXAMPLES = 3


@dataclass
class TableComparison:
    """One table present on both sides."""

    table: str
    columns: list[str]
    left_rows: int = 0
    right_rows: int = 0
    column_problem: str | None = None
    left_only: int = 0
    right_only: int = 0
    left_examples: list[tuple[Any, ...]] = field(default_factory=list)
    right_examples: list[tuple[Any, ...]] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return self.column_problem is None and self.left_only == 0 and self.right_only == 0


@dataclass
class SchemaComparison:
    """Everything compared between two warehouses' schema."""

    left: str
    right: str
    schema: str
    tolerance: Tolerance
    only_left: list[str] = field(default_factory=list)
    only_right: list[str] = field(default_factory=list)
    tables: list[TableComparison] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return not self.only_left and not self.only_right and all(t.equal for t in self.tables)

    @property
    def rows_compared(self) -> int:
        return sum(t.left_rows for t in self.tables)

    def differences(self) -> list[str]:
        """One readable entry per difference (empty when the schemas are equal)."""
        out = []
        if self.only_left:
            out.append(f"tables only in {self.left}: {', '.join(self.only_left)}")
        if self.only_right:
            out.append(f"tables only in {self.right}: {', '.join(self.only_right)}")
        for t in self.tables:
            if t.equal:
                continue
            name = f"{self.schema}.{t.table}"
            if t.column_problem:
                out.append(f"{name}: {t.column_problem}")
                if not (t.left_only or t.right_only):
                    continue
            lines = [
                f"{name}: {t.left_only} of {t.left_rows:,} rows only on the left, "
                f"{t.right_only} of {t.right_rows:,} only on the right; columns ({', '.join(t.columns)})"
            ]
            lines += [f"    left   {row}" for row in t.left_examples]
            lines += [f"    right  {row}" for row in t.right_examples]
            out.append("\n".join(lines))
        return out

    def summary(self) -> str:
        verdict = "identical" if self.equal else f"{len(self.differences())} difference(s)"
        return (
            f"{self.schema}: {len(self.tables)} tables, {self.rows_compared:,} rows compared "
            f"(rel_tol {self.tolerance.rel_tol:g}, abs_tol {self.tolerance.abs_tol:g}): {verdict}"
        )


def compare_table(
    left: SchemaReader,
    right: SchemaReader,
    schema: str,
    table: str,
    tolerance: Tolerance,
    examples: int = DEFAULT_EXAMPLES,
) -> TableComparison:
    """Compare one table both sides hold: columns by name and order, rows as multisets."""
    left_cols, right_cols = left.columns(schema, table), right.columns(schema, table)
    left_names, right_names = [c for c, _ in left_cols], [c for c, _ in right_cols]
    right_types = dict(right_cols)
    common = [c for c in left_names if c in right_types]
    result = TableComparison(table, common)
    if left_names != right_names:
        result.column_problem = f"columns differ: left {left_names}, right {right_names}"
    if not common:
        return result
    shape = RowShape.of([dict(left_cols)[c] for c in common], [right_types[c] for c in common])
    left_groups, result.left_rows = group_rows(left.rows(schema, table, common), shape)
    right_groups, result.right_rows = group_rows(right.rows(schema, table, common), shape)
    diff = diff_groups(left_groups, right_groups, tolerance)
    del left_groups, right_groups
    result.left_only, result.right_only = diff.left_count, diff.right_count
    if result.left_only:
        with closing(left.rows(schema, table, common)) as rows:
            result.left_examples = pick_examples(rows, shape, diff.left_only, examples, tolerance)
    if result.right_only:
        with closing(right.rows(schema, table, common)) as rows:
            result.right_examples = pick_examples(rows, shape, diff.right_only, examples, tolerance)
    return result


def compare_schemas(
    left: SchemaReader,
    right: SchemaReader,
    schema: str = DEFAULT_SCHEMA,
    tolerance: Tolerance | None = None,
    examples: int = DEFAULT_EXAMPLES,
    tables: list[str] | None = None,
) -> SchemaComparison:
    """Compare every table of ``schema`` (or only ``tables``) between two warehouses."""
    tolerance = tolerance or Tolerance()
    left_tables, right_tables = set(left.tables(schema)), set(right.tables(schema))
    if not left_tables and not right_tables:
        raise CompareError(f"no table in schema {schema} of {left.description} nor of {right.description}")
    if tables is not None:
        unknown = sorted(set(tables) - left_tables - right_tables)
        if unknown:
            raise CompareError(f"no table {', '.join(unknown)} in schema {schema} of either warehouse")
        left_tables &= set(tables)
        right_tables &= set(tables)
    result = SchemaComparison(
        left.description,
        right.description,
        schema,
        tolerance,
        only_left=sorted(left_tables - right_tables),
        only_right=sorted(right_tables - left_tables),
    )
    for table in sorted(left_tables & right_tables):
        result.tables.append(compare_table(left, right, schema, table, tolerance, examples))
    return result
