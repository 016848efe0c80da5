"""Ask: a question in plain language, answered through the semantic layer (the `ask` package, docs/ask.md).

The page shows what it understood (in words and as the equivalent `mf query`) before the numbers; an ambiguous
question offers its meanings as buttons; a question it cannot read is refused with the closest known words.
MetricFlow stays warm in the Streamlit process: only the first question pays for loading it.
"""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from dashboard import charts, ui

TITLE = "Ask"
URL = "ask"
ICON = ":material/chat:"
# The marts the semantic models read (dbt_project/models/semantic/); declared in the page's dbt exposure.
MARTS = ("dim_users", "fct_user_activity_daily", "funnel_conversion", "customer_revenue_months", "mrr", "dim_plans")
EXAMPLES = (
    "weekly active users by channel since March",
    "top 5 channels by revenue",
    "sign ups on ios last month vs previous period",
)


@st.cache_resource(show_spinner=False)
def get_asker():
    from ask.service import Asker, manifest_path

    warehouse = ui.wh()
    return Asker.from_files(manifest_path(), warehouse.settings.adapter, warehouse.df)


def _set_question(text: str) -> None:
    st.session_state["ask_question"] = text


def render() -> None:
    from ask.interpretation import Interpretation
    from ask.parser import Ambiguity
    from ask.service import AskError, today_from_env

    st.title("Ask")
    st.caption(
        "Ask in plain language, e.g. “" + "”, “".join(EXAMPLES) + "”. The question becomes a semantic-layer query, "
        "shown before the numbers; words it does not know are named, never guessed. The sidebar filters do not apply "
        "here: say them in the question (“on ios”, “from paid search”)."
    )
    with st.form("ask_form", border=False):
        question = st.text_input("Question", key="ask_question", placeholder=EXAMPLES[0])
        st.form_submit_button("Ask", type="primary")
    if not question.strip():
        return
    started = time.perf_counter()
    try:
        with st.spinner("Loading the semantic layer (first question only)…"):
            asker = get_asker()
            vocabulary = asker.vocabulary
        answer = asker.answer(question, today_from_env())
    except AskError as exc:
        st.error(str(exc))
        return
    except ui.WarehouseUnavailable as exc:
        st.warning(f"The warehouse cannot be read right now: {exc}")
        return
    elapsed = time.perf_counter() - started
    parsed = answer.parsed
    if isinstance(parsed, Ambiguity):
        st.warning(parsed.message)
        columns = st.columns(len(parsed.choices))
        for column, choice in zip(columns, parsed.choices, strict=True):
            column.button(
                choice.label, key=f"ask_choice_{choice.label}", on_click=_set_question, args=(choice.question,)
            )
        return
    if not isinstance(parsed, Interpretation):
        st.error(parsed.message)
        return
    labels = {m: vocabulary.metric_label(m) for m in vocabulary.metrics}
    st.success("Understood: " + parsed.describe(labels))
    if answer.source != "parser":
        st.caption(f"Interpreted by the {answer.source}, then checked name by name against the semantic layer.")
    for note in parsed.notes:
        st.caption(note)
    st.code(parsed.mf_command(), language="bash", wrap_lines=True)
    rows = answer.rows
    if rows is None or rows.empty:
        st.info("Nothing to show: no rows match in the warehouse.")
        return
    _chart(rows, parsed, labels)
    ui.table(rows, "answer")
    st.caption(f"Answered in {elapsed:.2f} s (SQL compiled by MetricFlow in this process, run on the warehouse).")


def _chart(rows: pd.DataFrame, parsed, labels: dict[str, str]) -> None:
    metric = parsed.metrics[0]
    name = labels.get(metric, metric)
    group = parsed.group_by[0] if parsed.group_by else None
    if parsed.compare:
        long = rows.melt(
            id_vars=[group] if group else [],
            value_vars=[metric, f"{metric}_previous"],
            var_name="period",
            value_name=name,
        )
        long["period"] = long["period"].map({metric: "this period", f"{metric}_previous": "period before"})
        x = group or "period"
        fig = charts.grouped_bars(long, x, name, "period", title=f"{name}: this period and the one before")
    elif parsed.grain:
        time_column = f"metric_time__{parsed.grain}"
        fig = charts.lines(rows, time_column, metric, group, title=f"{name} per {parsed.grain}", markers=True)
    elif group:
        fig = charts.grouped_bars(rows, group, metric, title=f"{name} by {group.split('__')[-1].replace('_', ' ')}")
    else:
        for m in parsed.metrics:
            kind = "pct" if m.endswith("_rate") else "money" if m in ("revenue", "mrr") else "int"
            st.metric(labels.get(m, m), ui.fmt_number(float(rows[m].iloc[0]), kind))
        return
    st.plotly_chart(fig, width="stretch")
