"""The offline docs site: every model and every marts column described, lineage raw -> marts, one self-contained file,
and the dbt exposures declaring every mart the dashboard and the report read.

Reads manifest.json and catalog.json of `dbt docs generate --static` run on the small DuckDB warehouse.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
import yaml

from pipeline.dbt import DBT_PROJECT_DIR, REPO_ROOT

PROJECT = "growth_analytics"
# Models in schema marts that are infrastructure, not built from raw data.
NOT_FROM_RAW = {"metricflow_time_spine"}
# Schema ml holds what python -m churn computes from marts.churn_features (built from raw): its lineage to raw runs
# through that Python step, which dbt cannot see. Marts may read it (through staging) besides raw.
MODEL_OUTPUT_SCHEMAS = {"ml"}


@pytest.fixture(scope="module")
def docs(built_duckdb, tmp_path_factory) -> dict:
    from pipeline.docs_site import build_docs_site

    tmp = tmp_path_factory.mktemp("docs")
    site = build_docs_site(
        "duckdb",
        tmp / "site" / "index.html",
        vars=built_duckdb.vars,
        duckdb_path=built_duckdb.duckdb_path,
        target_path=tmp / "target",
    )
    return {
        "site": site,
        "manifest": json.loads((tmp / "target" / "manifest.json").read_text()),
        "catalog": json.loads((tmp / "target" / "catalog.json").read_text()),
    }


def models(manifest: dict) -> dict[str, dict]:
    return {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["package_name"] == PROJECT
    }


def marts_models(manifest: dict) -> dict[str, dict]:
    return {uid: node for uid, node in models(manifest).items() if node["schema"] == "marts"}


def test_every_model_has_a_description(docs):
    undocumented = sorted(node["name"] for node in models(docs["manifest"]).values() if not node["description"].strip())
    assert not undocumented, f"models without a description: {undocumented}"


def test_every_marts_column_in_the_warehouse_is_described(docs):
    manifest, catalog = docs["manifest"], docs["catalog"]
    marts = marts_models(manifest)
    assert len(marts) >= 20, f"expected the full set of marts, found {sorted(n['name'] for n in marts.values())}"
    missing: list[str] = []
    for uid, node in marts.items():
        assert uid in catalog["nodes"], f"{node['name']} is in the manifest but not in the warehouse catalog"
        documented = {name.lower(): col.get("description", "") for name, col in node["columns"].items()}
        for column in catalog["nodes"][uid]["columns"]:
            if not documented.get(column.lower(), "").strip():
                missing.append(f"{node['name']}.{column}")
    assert not missing, f"marts columns without a description: {missing}"


def test_rendered_descriptions_have_no_unresolved_doc_blocks(docs):
    """A `{{ doc('x') }}` that dbt could not resolve would fail the parse; a typo like `{ doc(` would not."""
    bad = []
    for node in marts_models(docs["manifest"]).values():
        texts = [node["description"], *(c.get("description", "") for c in node["columns"].values())]
        bad += [node["name"] for t in texts if "doc(" in t or "{{" in t]
    assert not bad, f"descriptions with raw jinja: {sorted(set(bad))}"


def test_lineage_runs_from_raw_sources_to_every_mart(docs):
    manifest = docs["manifest"]
    parents = manifest["parent_map"]

    def sources_upstream(uid: str) -> set[str]:
        seen, stack, found = set(), [uid], set()
        while stack:
            current = stack.pop()
            for parent in parents.get(current, []):
                if parent.startswith("source."):
                    found.add(parent)
                elif parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        return found

    for uid, node in marts_models(manifest).items():
        if node["name"] in NOT_FROM_RAW:
            continue
        upstream = sources_upstream(uid)
        assert upstream, f"{node['name']} has no raw source upstream"
        schemas = {manifest["sources"][s]["schema"] for s in upstream}
        assert schemas <= {"raw", *MODEL_OUTPUT_SCHEMAS}, node["name"]
        # marts never read raw directly: every source is reached through staging
        direct = [p for p in parents.get(uid, []) if p.startswith("source.")]
        assert not direct, f"{node['name']} reads a raw source directly: {direct}"


def test_static_site_is_one_self_contained_file(docs):
    html = docs["site"].read_text(encoding="utf-8")
    assert docs["site"].stat().st_size > 200_000  # the manifest and catalog are inlined
    # nothing is loaded from elsewhere: no external scripts, stylesheets or images
    assert not re.search(r"<script[^>]+src=[\"']https?://", html)
    assert not re.search(r"<link[^>]+href=[\"']https?://", html)
    assert not re.search(r"<img[^>]+src=[\"']https?://", html)
    for name in ("dim_users", "growth_accounting", "experiment_results"):
        assert f"model.{PROJECT}.{name}" in html


# -- exposures -------------------------------------------------------------------------------------------------
READ_CALLS = {"load", "aggregate", "require", "mart_columns", "has"}


def marts_read_by(path: Path, known: set[str]) -> set[str]:
    """Marts named in a module: first arguments of the reader calls and `marts.<name>` inside SQL strings."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in READ_CALLS and node.args and isinstance(node.args[0], ast.Constant):
                if isinstance(node.args[0].value, str) and node.args[0].value in known:
                    found.add(node.args[0].value)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found |= {m for m in re.findall(r"\bmarts\.\"?([a-z_]+)", node.value) if m in known}
    return found


def test_exposures_declare_every_mart_the_code_reads(docs):
    from dashboard import ui
    from dashboard.views import PAGES
    from report import weekly

    manifest = docs["manifest"]
    known = {node["name"] for node in marts_models(manifest).values()}
    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    declared = {
        name: {manifest["nodes"][uid]["name"] for uid in e["depends_on"]["nodes"]} for name, e in exposures.items()
    }
    sidebar = marts_read_by(REPO_ROOT / "dashboard" / "ui.py", known)
    assert sidebar == set(ui.SIDEBAR_MARTS)
    for page in PAGES:
        exposure = f"dashboard_{page.URL}"
        assert exposure in declared, f"no exposure for the {page.TITLE} page"
        read = marts_read_by(Path(page.__file__), known)
        assert read <= set(page.MARTS), f"{page.URL} reads {sorted(read - set(page.MARTS))} not listed in MARTS"
        assert declared[exposure] == set(page.MARTS) | sidebar, exposure
        assert exposures[exposure]["type"] == "dashboard"
    report_reads = marts_read_by(REPO_ROOT / "report" / "weekly.py", known)
    assert report_reads <= set(weekly.MARTS)
    assert declared["weekly_growth_report"] == set(weekly.MARTS)


def test_exposures_file_lists_only_existing_marts():
    data = yaml.safe_load((DBT_PROJECT_DIR / "models" / "exposures.yml").read_text())
    refs = {m for e in data["exposures"] for dep in e["depends_on"] for m in re.findall(r"ref\('([a-z_]+)'\)", dep)}
    sql_models = {p.stem for p in (DBT_PROJECT_DIR / "models" / "marts").rglob("*.sql")}
    assert refs <= sql_models, f"exposures reference unknown models {sorted(refs - sql_models)}"


@pytest.mark.browser
def test_static_site_renders_a_mart_offline(docs, browser, tmp_path):
    """Open the file in Chromium with every network request refused: the dim_users page still renders."""
    from tests.test_dashboard_browser import SCREENSHOTS

    blocked: list[str] = []
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    def refuse(route) -> None:
        blocked.append(route.request.url)
        route.abort()

    page.route(re.compile(r"^https?://"), refuse)
    page.goto(docs["site"].as_uri() + f"#!/model/model.{PROJECT}.dim_users")
    page.get_by_text("One row per user", exact=False).first.wait_for(timeout=60_000)
    body = page.inner_text("body")
    assert "dim_users" in body
    node = docs["manifest"]["nodes"][f"model.{PROJECT}.dim_users"]
    assert node["description"].split(".")[0].strip() in body
    assert "acquisition_channel" in body  # the columns table
    assert "Depends On" in body or "Referenced By" in body  # the lineage section
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "docs_dim_users.png"), full_page=True)
    page.close()
    assert errors == []
