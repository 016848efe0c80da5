#!/usr/bin/env bash
# Build the offline dbt docs site (one HTML file) from the built warehouse: data/docs/index.html.
# Usage: scripts/build_docs.sh [--target duckdb|postgres] [--output PATH] [--vars dbt_vars.yml]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
exec "$PYTHON" -m pipeline.docs_site "$@"
