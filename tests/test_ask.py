"""`python -m ask` (issue 16): questions in plain language answered through the semantic layer.

* the question set (tests/ask_questions.py) is interpreted exactly, or refused / asked back, never answered wrongly;
* numbers: answers equal the marts, on DuckDB and PostgreSQL;
* the language-model path: recorded answers that are malformed, name an unknown metric or carry SQL are refused;
* the command line: text, --json, exit 2 on a refused question.

The semantic manifest is parsed from the project with the dataset's vars (into a temporary target path).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from ask.engine import load_manifest_json
from ask.interpretation import Interpretation
from ask.parser import Ambiguity, Refusal
from ask.service import Asker
from pipeline.dbt import REPO_ROOT
from tests.ask_questions import QUESTIONS, TODAY, Ask, Refuse


@pytest.fixture(scope="module")
def manifest_file(ask_manifest) -> Path:
    return ask_manifest


_ASKERS: dict[str, Asker] = {}


def asker_for(built, manifest_file: Path) -> Asker:
    """One warm Asker per warehouse for the module (MetricFlow's engine takes seconds to build)."""
    if built.target not in _ASKERS:
        _ASKERS[built.target] = Asker(load_manifest_json(manifest_file), built.target, built.query)
    return _ASKERS[built.target]


@pytest.fixture(scope="module")
def asker(built_duckdb, manifest_file) -> Asker:
    return asker_for(built_duckdb, manifest_file)


# -- the question set ----------------------------------------------------------------------------------------------
def test_question_set_is_interpreted_exactly_or_refused(asker):
    assert len(QUESTIONS) >= 60
    exact, refused_answerable, wrong = 0, [], []
    answerable = [(q, e) for q, e in QUESTIONS if isinstance(e, dict)]
    for question, expected in QUESTIONS:
        got = asker.interpret(question, TODAY)[0]
        if isinstance(expected, dict):
            if isinstance(got, Interpretation):
                if got.to_json() == expected:
                    exact += 1
                else:
                    wrong.append((question, got.to_json(), expected))
            else:
                refused_answerable.append((question, got.message))
        elif isinstance(expected, Refuse):
            if not isinstance(got, Refusal):
                wrong.append((question, got, expected))
                continue
            for word in expected.words:
                assert word in got.message, (question, got.message)
        else:
            assert isinstance(expected, Ask)
            if not isinstance(got, Ambiguity):
                wrong.append((question, got, expected))
                continue
            assert {c.label for c in got.choices} == set(expected.labels), question
            # each choice is a question that now reads without ambiguity
            for choice in got.choices:
                assert isinstance(asker.interpret(choice.question, TODAY)[0], Interpretation), choice
    assert wrong == [], "answered differently from the expected interpretation (never allowed)"
    assert exact / len(answerable) >= 0.9, refused_answerable
    # what was not understood was refused with a message, not answered
    for question, message in refused_answerable:
        assert message, question


def test_refusals_name_the_closest_words(asker):
    got = asker.interpret("sign ups by contry", TODAY)[0]
    assert isinstance(got, Refusal)
    assert got.unknown == ("contry",) and "country" in got.suggestions


def test_interpretation_is_shown_in_words_and_as_mf_query(asker):
    got = asker.interpret("weekly active users on ios by channel since March", TODAY)[0]
    assert isinstance(got, Interpretation)
    labels = {m: asker.vocabulary.metric_label(m) for m in asker.vocabulary.metrics}
    assert got.describe(labels) == "Active users per week, by channel, from 2025-03-01 on, where device is ios."
    assert got.mf_command() == (
        "mf query --metrics active_users --group-by metric_time__week,user__channel"
        " --where \"{{ Dimension('user__device') }} = 'ios'\" --start-time 2025-03-01 --order metric_time__week"
    )


# -- numbers: answers equal the marts, on both warehouses ---------------------------------------------------------
def _week(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series).dt.date


def test_weekly_active_users_by_channel_equal_growth_accounting(built, manifest_file):
    a = asker_for(built, manifest_file)
    answer = a.answer("weekly active users by channel", TODAY)
    assert isinstance(answer.parsed, Interpretation), answer.parsed
    got = answer.rows
    got = {
        (w, c): int(v)
        for w, c, v in zip(_week(got["metric_time__week"]), got["user__channel"], got["active_users"], strict=True)
        if v and v > 0
    }
    mart = built.query(
        "select period_start, acquisition_channel, active_users from marts.growth_accounting_by_channel"
        " where period_grain = 'week' and active_users > 0"
    )
    expected = {
        (w, c): int(v)
        for w, c, v in zip(_week(mart["period_start"]), mart["acquisition_channel"], mart["active_users"], strict=True)
    }
    assert len(expected) > 50
    assert got == expected


def test_monthly_revenue_and_filtered_sign_ups_equal_the_marts(built, manifest_file):
    a = asker_for(built, manifest_file)
    revenue = a.answer("monthly revenue", TODAY).rows
    mart = built.query("select month_start_date, revenue from marts.revenue_metrics")
    expected = {d: round(float(v), 2) for d, v in zip(_week(mart["month_start_date"]), mart["revenue"], strict=True)}
    got = {d: round(float(v), 2) for d, v in zip(_week(revenue["metric_time__month"]), revenue["revenue"], strict=True)}
    assert got == expected and sum(expected.values()) > 0

    users = built.query("select signup_date, acquisition_channel, device, country from marts.dim_users")
    users["signup_date"] = pd.to_datetime(users["signup_date"]).dt.date
    in_may = users[(users["signup_date"] >= dt.date(2025, 5, 1)) & (users["signup_date"] <= dt.date(2025, 5, 31))]
    answer = a.answer("sign ups on ios from paid search last month", TODAY)
    expected_n = len(in_may[(in_may["device"] == "ios") & (in_may["acquisition_channel"] == "paid_search")])
    assert expected_n > 0
    assert int(answer.rows["sign_ups"].iloc[0]) == expected_n

    top = a.answer("top 3 countries by sign ups last month", TODAY).rows
    counts = in_may.groupby("country").size().sort_values(ascending=False)
    assert list(top["sign_ups"].astype(int)) == list(counts.iloc[:3])
    assert dict(zip(top["user__country"], top["sign_ups"].astype(int), strict=True)) == {
        k: int(counts[k]) for k in top["user__country"]
    }

    compared = a.answer("sign ups last month vs previous period", TODAY).rows
    in_april = users[(users["signup_date"] >= dt.date(2025, 4, 1)) & (users["signup_date"] <= dt.date(2025, 4, 30))]
    row = compared.iloc[0]
    assert int(row["sign_ups"]) == len(in_may) and int(row["sign_ups_previous"]) == len(in_april)
    assert row["sign_ups_change"] == len(in_may) - len(in_april)


# -- the optional language model: only a validated JSON interpretation is accepted -------------------------------
def _recorded(content: str):
    """A transport that replays one recorded chat-completion answer and keeps the request it was sent."""
    sent: list[dict] = []

    def transport(url, body, headers, timeout):
        sent.append({"url": url, "body": body, "headers": headers})
        return {
            "id": "rec-1",
            "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
        }

    return transport, sent


RECORDED = {
    "good": (
        '```json\n{"metrics": ["active_users"], "group_by": ["user__channel"], "grain": "week", "start": "2025-03-01",'
        ' "end": null, "where": [{"dimension": "user__device", "values": ["ios"]}], "order": [], "limit": null}\n```'
    ),
    "malformed": "Sure! Here are the weekly active users: {metrics: active_users",
    "unknown metric": '{"metrics": ["daily_revenue_per_user"], "group_by": []}',
    "injected value": (
        '{"metrics": ["revenue"], "where": [{"dimension": "user__channel",'
        ' "values": ["organic\') or 1=1; drop table marts.dim_users; --"]}]}'
    ),
    "sql key": '{"metrics": ["revenue"], "sql": "select sum(revenue) from marts.revenue_metrics"}',
    "sql in group_by": '{"metrics": ["revenue"], "group_by": ["user__channel; drop table marts.dim_users"]}',
    "sql in order": '{"metrics": ["revenue"], "group_by": ["user__channel"], "order": ["-revenue desc; select 1"]}',
    "unreachable dimension": '{"metrics": ["conversion_rate"], "group_by": ["user__country"]}',
}


def test_language_model_answers_are_validated(asker):
    from ask.llm import ModelClient, interpret_with_model

    for name, content in RECORDED.items():
        transport, sent = _recorded(content)
        client = ModelClient("http://127.0.0.1:9/v1", "recorded", "k", transport=transport)
        got = interpret_with_model(client, "weekly active users on ios by channel since March", asker.vocabulary, TODAY)
        assert sent[0]["url"] == "http://127.0.0.1:9/v1/chat/completions"
        assert sent[0]["headers"]["Authorization"] == "Bearer k"
        if name == "good":
            assert isinstance(got, Interpretation)
            assert got == asker.interpret("weekly active users on ios by channel since March", TODAY)[0]
        else:
            assert isinstance(got, Refusal), name
            assert "nothing was run" in got.message, (name, got.message)


def test_language_model_only_sees_questions_the_parser_refused(built_duckdb, manifest_file):
    from ask.llm import ModelClient

    transport, sent = _recorded(RECORDED["good"])
    a = Asker(
        load_manifest_json(manifest_file),
        "duckdb",
        built_duckdb.query,
        llm=ModelClient("http://x/v1", "m", transport=transport),
    )
    a._vocabulary = asker_for(built_duckdb, manifest_file).vocabulary  # same manifest and warehouse
    assert a.interpret("weekly active users by channel", TODAY)[1] == "parser" and sent == []
    parsed, source = a.interpret("how are the ios people doing each week across channels lately", TODAY)
    assert source == "language model" and isinstance(parsed, Interpretation) and len(sent) == 1
    answer = a.answer("how are the ios people doing each week across channels lately", TODAY)
    assert answer.source == "language model" and answer.rows is not None and not answer.rows.empty
    # a refused model answer leaves the parser's refusal standing
    bad_transport, _ = _recorded(RECORDED["injected value"])
    a.llm = ModelClient("http://x/v1", "m", transport=bad_transport)
    parsed, source = a.interpret("how are the ios people doing lately", TODAY)
    assert source == "parser" and isinstance(parsed, Refusal)


# -- the command line -----------------------------------------------------------------------------------------------
def _cli(built_duckdb, manifest_file, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **__import__("os").environ,
        "DUCKDB_PATH": str(built_duckdb.duckdb_path),
        "DBT_TARGET": "duckdb",
        "ASK_MANIFEST": str(manifest_file),
        "ASK_TODAY": TODAY.isoformat(),
    }
    env.pop("ASK_LLM_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "ask", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600
    )


def test_cli_json_text_and_refusal(built_duckdb, manifest_file, monkeypatch, capsys):
    # the real command, in a subprocess: JSON out
    proc = _cli(built_duckdb, manifest_file, "--json", "top 3 channels by sign ups last month")
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    assert out["interpretation"]["limit"] == 3 and out["interpretation"]["order"] == ["-sign_ups"]
    assert out["mf_query"].startswith("mf query --metrics sign_ups --group-by user__channel")
    assert len(out["rows"]) == 3 and set(out["rows"][0]) == {"user__channel", "sign_ups"}

    # in-process (MetricFlow already imported): a refused question and a missing manifest exit 2, no traceback
    from ask.__main__ import main

    monkeypatch.setenv("DUCKDB_PATH", str(built_duckdb.duckdb_path))
    monkeypatch.setenv("DBT_TARGET", "duckdb")
    monkeypatch.delenv("DASHBOARD_WAREHOUSE", raising=False)
    monkeypatch.setenv("ASK_MANIFEST", str(manifest_file))
    monkeypatch.delenv("ASK_LLM_URL", raising=False)
    assert main(["--today", TODAY.isoformat(), "revnue", "by", "chanel"]) == 2
    assert "“revnue”" in capsys.readouterr().out
    assert main(["--today", "2025-13-01", "revenue"]) == 2
    assert capsys.readouterr().err.strip() == "ask: --today '2025-13-01': expected a date YYYY-MM-DD"
    monkeypatch.setenv("ASK_MANIFEST", str(manifest_file.parent / "nope.json"))
    assert main(["revenue"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no semantic manifest" in err[0]
