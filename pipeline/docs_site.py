"""The offline docs site: `dbt docs generate --static` into one self-contained HTML file.

`python -m pipeline.docs_site [--target <name>] [--output data/docs/index.html] [--vars dbt_vars.yml]`
(`make docs` calls it). dbt writes ``static_index.html`` (manifest and catalog inlined) into its target path; this
copies it to ``data/docs/index.html``, which opens from the file system with no server and no network.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipeline.dbt import DbtError, load_vars, run_dbt
from settings.paths import DOCS_SITE
from settings.targets import DEFAULT_TARGET, TARGET_NAMES

DEFAULT_OUTPUT = DOCS_SITE


def build_docs_site(
    target: str = DEFAULT_TARGET,
    output: Path | str = DEFAULT_OUTPUT,
    *,
    vars: Mapping[str, Any] | None = None,
    duckdb_path: Path | str | None = None,
    pg_database: str | None = None,
    target_path: Path | str | None = None,
) -> Path:
    """Generate the static docs for the built warehouse of ``target`` and write them to ``output``.

    The catalog (column types) is read from the warehouse, so build it first. Returns the written file.
    """
    output = Path(output)
    with tempfile.TemporaryDirectory(prefix="dbt_docs_") as tmp:
        work = Path(target_path) if target_path is not None else Path(tmp) / "target"
        run_dbt(
            ["docs", "generate", "--static"],
            target=target,
            vars=vars,
            duckdb_path=duckdb_path,
            pg_database=pg_database,
            target_path=work,
            log_path=Path(tmp) / "logs",
            capture=True,
        )
        page = work / "static_index.html"
        if not page.exists():
            raise DbtError(f"dbt docs generate --static wrote no {page}")
        output.parent.mkdir(parents=True, exist_ok=True)
        partial = output.with_name(output.name + ".partial")
        shutil.copyfile(page, partial)
        partial.replace(output)  # never leave a half-written site behind
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.docs_site", description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=TARGET_NAMES, default=DEFAULT_TARGET)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--vars", type=Path, default=None, help="YAML file of dbt vars (a scenario's dbt_vars.yml)")
    args = parser.parse_args(argv)
    try:
        path = build_docs_site(args.target, args.output, vars=load_vars(args.vars))
    except (DbtError, ValueError, OSError) as exc:
        print(f"docs site: {exc}", file=sys.stderr)
        return 1
    print(f"docs site: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
