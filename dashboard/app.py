"""Growth dashboard: `streamlit run dashboard/app.py` (what `make dashboard` runs).

Reads only schema ``marts``: DuckDB by default (``DUCKDB_PATH``), PostgreSQL with ``DBT_TARGET=postgres``
(as the read-only ``REPORTING_ROLE``). See docs/dashboard.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run dashboard/app.py` puts only dashboard/ on the path
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboard import ui  # noqa: E402
from dashboard.views import PAGES  # noqa: E402


def main() -> None:
    st.set_page_config(page_title="Growth analytics", page_icon="📈", layout="wide")
    ui.start_run()
    pages = [
        st.Page(page.render, title=page.TITLE, url_path=page.URL, icon=page.ICON, default=(i == 0))
        for i, page in enumerate(PAGES)
    ]
    navigation = st.navigation(pages)
    banner = st.empty()
    try:
        st.session_state["_filters"] = ui.sidebar_filters()
    except ui.WarehouseUnavailable as exc:
        st.session_state["_filters"] = ui.Filters()
        st.sidebar.warning(f"Filters unavailable: {exc}")
    navigation.run()
    ui.freshness(banner)


main()
