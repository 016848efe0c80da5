"""SQL style: every dbt model passes sqlfluff with the project's config (dbt_project/.sqlfluff).

The config uses sqlfluff's fast `jinja` templater (no dbt, no database): dbt's context comes from the stand-ins in
dbt_project/sqlfluff_libs. To show the lint has teeth, a deliberately badly formatted model must fail with the
violations we expect, and the same query written in the house style must pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.dbt import DBT_PROJECT_DIR

MODELS_DIR = DBT_PROJECT_DIR / "models"

BAD_MODEL = """\
WITH Orders AS (
  SELECT * FROM {{ ref('fct_events') }}
)
SELECT
    user_id
    , COUNT(*) n_events
    , MAX(occurred_at)
FROM Orders o
JOIN {{ ref('dim_users') }} u ON o.user_id = u.user_id
GROUP BY 1
"""

GOOD_MODEL = """\
with

events as (

    select
        user_id,
        occurred_at
    from {{ ref('fct_events') }}

),

users as (

    select user_id
    from {{ ref('dim_users') }}

),

final as (

    select
        events.user_id,
        count(*) as n_events,
        max(events.occurred_at) as last_event_at
    from events
    inner join users
        on events.user_id = users.user_id
    group by events.user_id

)

select * from final
"""


@pytest.fixture(scope="module")
def linter():
    from sqlfluff.core import FluffConfig, Linter

    config = FluffConfig.from_path(str(DBT_PROJECT_DIR))
    assert config.get("templater") == "jinja"
    return Linter(config=config)


def _violations(linted) -> list[tuple[str, int, str]]:
    return [(v.rule_code(), v.line_no, v.desc()) for v in linted.get_violations()]


def _lint_string(linter, sql: str) -> list[tuple[str, int, str]]:
    # A file name inside models/ so that the project's config applies exactly as to a real model.
    return _violations(linter.lint_string(sql, fname=str(MODELS_DIR / "style_probe.sql")))


def test_models_pass_sqlfluff(linter) -> None:
    paths = sorted(MODELS_DIR.rglob("*.sql"))
    assert len(paths) >= 10
    records = linter.lint_paths((str(MODELS_DIR),)).as_records()
    problems = [
        f"{Path(r['filepath']).name}:{v['start_line_no']}: {v['code']} {v['description']}"
        for r in records
        for v in r["violations"]
    ]
    assert len(records) == len(paths)
    assert not problems, "sqlfluff found problems (fix with `sqlfluff fix`):\n" + "\n".join(problems)


def test_badly_formatted_model_fails(linter) -> None:
    codes = {code for code, _, _ in _lint_string(linter, BAD_MODEL)}
    expected = {
        "CP01",  # upper-case keywords
        "LT04",  # leading commas
        "LT02",  # two-space indent
        "AL02",  # column alias without `as`
        "AL03",  # expression without an alias
        "AL01",  # table alias without `as`
        "AM05",  # bare `join` instead of `inner join`
        "CP02",  # upper-case identifier
        "CP03",  # upper-case function names
        "RF02",  # unqualified column in a join
    }
    assert expected <= codes, f"missing {sorted(expected - codes)}; got {sorted(codes)}"


def test_house_style_model_passes(linter) -> None:
    assert _lint_string(linter, GOOD_MODEL) == []
