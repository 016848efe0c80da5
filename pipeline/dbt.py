"""Run dbt against this repository's project, on DuckDB, PostgreSQL or Spark, with per-dataset vars.

Used by `python -m pipeline` (the `make` targets) and by the test suite, so both run dbt the same way:
the project and profiles live in ``dbt_project/``; connection settings come from the environment
(``DUCKDB_PATH``, ``PG*``, ``SPARK_*``); ``target_path``/``log_path`` may be moved out of the project so that
several runs do not write over each other's artifacts.

DuckDB and PostgreSQL run dbt as a child process. Spark runs it in this process (dbtRunner) when Spark's
``session`` method is used: dbt-spark then picks up the process's running Spark session, so the JVM starts once
per process (it takes tens of seconds) and the Derby metastore, which admits one process at a time, is not
opened twice.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from settings.dbt_vars import DbtVarsError, check_dbt_vars
from settings.paths import DBT_PROJECT_DIR, REPO_ROOT, repo_path
from settings.targets import DEFAULT_TARGET, TARGET_ENV, TARGET_NAMES, get_target

__all__ = ["DBT_PROJECT_DIR", "REPO_ROOT", "TARGET_NAMES", "DbtError", "dbt_env", "load_vars", "run_dbt"]


class DbtError(RuntimeError):
    """dbt exited with a non-zero code (a failure of the build: exit code 1)."""

    exit_code = 1


def die_with_parent() -> None:
    """In a child process before it starts (``preexec_fn``): on Linux, ask for SIGTERM when the process that started
    it ends, however it ends. A run killed with ``kill -9`` then leaves no dbt behind still writing the warehouse
    after the run's lock is gone. Elsewhere nothing happens."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def dbt_executable() -> str:
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def dbt_env(
    target: str,
    duckdb_path: Path | str | None = None,
    pg_database: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Environment for a dbt process: inherited, plus the target's name and the warehouse location for it.

    Every environment variable the target declares in ``settings.targets`` and the environment leaves unset gets
    its default, so dbt's profile and the Python side agree on where the warehouse is."""
    spec = get_target(target)
    env = dict(os.environ)
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "False"
    env[TARGET_ENV] = spec.name
    if duckdb_path is not None:
        env["DUCKDB_PATH"] = str(Path(duckdb_path).resolve())
    for variable in spec.env:
        if not env.get(variable) and spec.env[variable]:
            env[variable] = spec.setting(variable, env)
    if spec.adapter == "duckdb":  # dbt runs in dbt_project/: give it the file the loader wrote (repo-relative)
        env["DUCKDB_PATH"] = str(repo_path(env["DUCKDB_PATH"]))
    if pg_database is not None:
        env["PGDATABASE"] = pg_database
    if target == "spark":
        from warehouse.spark.session import spark_env

        env.update(spark_env())
    env.update(extra or {})
    return env


def spark_in_process(target: str) -> bool:
    """Whether dbt runs in this process: Spark with the (default) session method."""
    return target == "spark" and os.environ.get("SPARK_METHOD", "session") == "session"


def run_dbt(
    args: Sequence[str],
    target: str = DEFAULT_TARGET,
    vars: Mapping[str, Any] | None = None,
    duckdb_path: Path | str | None = None,
    pg_database: str | None = None,
    target_path: Path | str | None = None,
    log_path: Path | str | None = None,
    capture: bool = False,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run ``dbt <args>`` in the project directory. Raises DbtError (with dbt's output) on failure.

    ``vars`` are checked against the vars dbt_project.yml declares first (DbtVarsError, nothing run)."""
    cmd = [dbt_executable(), *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    cmd += ["--target", target]
    if vars:
        cmd += ["--vars", json.dumps(check_dbt_vars(vars, "dbt vars"), sort_keys=True)]
    if target_path is not None:
        cmd += ["--target-path", str(target_path)]
    if log_path is not None:
        cmd += ["--log-path", str(log_path)]
    env = dbt_env(target, duckdb_path=duckdb_path, pg_database=pg_database)
    if spark_in_process(target):
        proc = _run_in_process(cmd, env, capture)
    else:
        proc = subprocess.run(
            cmd,
            cwd=DBT_PROJECT_DIR,
            env=env,
            text=True,
            capture_output=capture,
            preexec_fn=die_with_parent,
        )
    if check and proc.returncode != 0:
        detail = ""
        if capture:
            detail = "\n" + _tail(proc.stdout, 80) + _tail(proc.stderr, 20)
        raise DbtError(f"`dbt {' '.join(args)}` failed on target {target} (exit {proc.returncode}){detail}")
    return proc


def _run_in_process(cmd: list[str], env: Mapping[str, str], capture: bool) -> subprocess.CompletedProcess[str]:
    """``dbt <args>`` through dbtRunner in this process, with ``env`` as the environment while it runs.

    With ``capture``, dbt's console output is silenced and the failures are returned as ``stdout``."""
    from dbt.cli.main import dbtRunner

    from warehouse.spark.session import get_session

    args = cmd[1:] + (["--quiet"] if capture else [])
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        get_session()  # start Spark with the project's settings before dbt-spark asks for a session
        result = dbtRunner().invoke(args)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    lines = []
    if result.exception is not None:
        lines.append(f"{type(result.exception).__name__}: {result.exception}")
    for node in getattr(result.result, "results", None) or []:
        if str(getattr(node, "status", "")).lower() in ("error", "fail", "runtime error"):
            lines.append(f"{node.status} {node.node.unique_id}: {node.message}")
    return subprocess.CompletedProcess(cmd, 0 if result.success else 1, "\n".join(lines), "")


def _tail(text: str | None, lines: int) -> str:
    if not text:
        return ""
    return "\n".join(text.splitlines()[-lines:]) + "\n"


def load_vars(path: Path | str | None) -> dict[str, Any]:
    """dbt vars from a YAML file (the simulator's ``dbt_vars.yml``, or a mapping with a ``dbt_vars`` section),
    checked against the vars dbt_project.yml declares. DbtVarsError (one line) when unreadable or wrong."""
    if path is None:
        return {}
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise DbtVarsError(f"cannot read the dbt vars file {path}: {getattr(exc, 'strerror', None) or exc}") from None
    except yaml.YAMLError:
        raise DbtVarsError(f"{path}: not valid YAML") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise DbtVarsError(f"{path}: expected a mapping of dbt vars, got {type(data).__name__}")
    return check_dbt_vars(data.get("dbt_vars", data), str(path))
