#!/usr/bin/env bash
# Runs the whole test suite: lint, then pytest (DuckDB and PostgreSQL, dbt, browser).
# Called by `make test` (after the virtual environment is installed) and so by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export DBT_SEND_ANONYMOUS_USAGE_STATS=False

# PostgreSQL: start the local cluster when nothing answers (CI machines have one installed but it may be stopped).
if ! .venv/bin/python - <<'PYEOF' 2>/dev/null
import os, psycopg
psycopg.connect(host=os.environ.get("PGHOST", "127.0.0.1"), port=int(os.environ.get("PGPORT", "5432")),
                user=os.environ.get("PGUSER", "postgres"), dbname="postgres", connect_timeout=3).close()
PYEOF
then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "Starting the local PostgreSQL cluster"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    sleep 2
  else
    echo "No PostgreSQL answers and none is installed here: PostgreSQL tests will skip (or fail under CI)."
  fi
fi

# Browser tests need Debian's chromium.
if [ ! -x /usr/bin/chromium ]; then
  bash scripts/install_chromium.sh || echo "chromium could not be installed: browser tests will say why"
fi

.venv/bin/ruff check .
.venv/bin/ruff format --check .
set +e
$PY -m pytest "$@"
code=$?
set -e
if [ "$code" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure"
  exit 1
fi
exit "$code"
