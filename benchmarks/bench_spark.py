"""`dbt run` of every model on Spark beside DuckDB and PostgreSQL, at about 1 M and 10 M events.

Prints one line per (scale, warehouse): raw events, load seconds, dbt seconds, and for Spark the JVM start-up.
Spark runs twice per scale: ``local[2]`` (one JVM, two task threads) and ``local-cluster[2,1,1024]`` (a driver and
two executor processes of one core each, the shape of a real cluster) to show the work is distributed. Each Spark
run is a child process of its own (a JVM per run, fresh warehouse and metastore folders). Not a test.

    python benchmarks/bench_spark.py                         # 1m and 10m, every warehouse and master
    python benchmarks/bench_spark.py --scales 1m --masters "local[2]" --targets duckdb spark
    python benchmarks/bench_spark.py --shuffle-partitions 4 8 16   # the tuning sweep (Spark only)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.dbt import load_vars, run_dbt

# users -> raw events: the saas scenario gives about 75 raw events per user over a year.
SCALES = {"1m": 13_500, "10m": 135_000}
MASTERS = ["local[2]", "local-cluster[2,1,1024]"]


def _child(data: Path, workdir: Path) -> None:
    """In a fresh process: start Spark, load ``data``, run dbt in-process; print the timings as one JSON line."""
    from warehouse.load import load
    from warehouse.spark.session import get_session

    started = time.perf_counter()
    spark = get_session()
    spark.sparkContext.setLogLevel("ERROR")
    spark.sql("select 1").collect()
    startup = time.perf_counter() - started
    t = time.perf_counter()
    counts = load(data, target="spark")
    loaded = time.perf_counter() - t
    t = time.perf_counter()
    run_dbt(
        ["run"],
        target="spark",
        vars=load_vars(data / "dbt_vars.yml"),
        target_path=workdir / "target",
        log_path=workdir / "logs",
        capture=True,
    )
    built = time.perf_counter() - t
    results = json.loads((workdir / "target" / "run_results.json").read_text())["results"]
    nodes = sorted(((r["execution_time"], r["unique_id"]) for r in results), reverse=True)
    print(
        "RESULT "
        + json.dumps(
            {
                "startup": startup,
                "load": loaded,
                "dbt": built,
                "events": counts["events"],
                "node_seconds": sum(s for s, _ in nodes),
                "slowest": nodes[:6],
            }
        ),
        flush=True,
    )
    spark.stop()


def _spark_run(data: Path, master: str, partitions: int, tmp: Path) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="spark_", dir=tmp))
    env = dict(os.environ)
    env.update(
        SPARK_MASTER=master,
        SPARK_SHUFFLE_PARTITIONS=str(partitions),
        SPARK_WAREHOUSE_DIR=str(workdir / "warehouse"),
        SPARK_METASTORE_DIR=str(workdir / "metastore"),
    )
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--child", str(data), str(workdir)], env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-15:])
        raise SystemExit(f"Spark run on {master} failed (exit {proc.returncode}):\n{tail}")
    return {**json.loads(lines[0][7:]), "wall": wall}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", nargs="+", choices=sorted(SCALES), default=["1m", "10m"])
    parser.add_argument(
        "--targets", nargs="+", choices=["duckdb", "postgres", "spark"], default=["duckdb", "postgres", "spark"]
    )
    parser.add_argument("--masters", nargs="+", default=MASTERS, help="Spark masters to run on")
    parser.add_argument("--shuffle-partitions", nargs="+", type=int, default=[4])
    parser.add_argument("--child", nargs=2, metavar=("DATA", "WORKDIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(Path(args.child[0]), Path(args.child[1]))
        return 0

    from data_generation import generate
    from warehouse.connections import ensure_pg_database
    from warehouse.load import load

    with tempfile.TemporaryDirectory(prefix="bench_spark_") as tmp_name:
        tmp = Path(tmp_name)
        for scale in args.scales:
            out = generate(
                scenario="saas",
                seed=42,
                users=SCALES[scale],
                days=365,
                start_date=date(2025, 1, 1),
                output=tmp / f"gen_{scale}",
                quiet=True,
            )
            vars = load_vars(out / "dbt_vars.yml")
            for target in args.targets:
                if target == "spark":
                    for master in args.masters:
                        for partitions in args.shuffle_partitions:
                            r = _spark_run(out, master, partitions, tmp)
                            print(
                                f"scale={scale:<4} raw_events={r['events']:>11,}  spark {master:<24}"
                                f" partitions={partitions:<3} start-up {r['startup']:6.1f} s  load {r['load']:6.1f} s"
                                f"  dbt run {r['dbt']:7.1f} s  (sum of models {r['node_seconds']:7.1f} s,"
                                f" wall {r['wall']:7.1f} s)",
                                flush=True,
                            )
                            for seconds, node in r["slowest"]:
                                print(f"    {seconds:6.1f} s  {node}", flush=True)
                    continue
                kwargs: dict = (
                    {"duckdb_path": tmp / f"{scale}.duckdb"} if target == "duckdb" else {"pg_database": "growth_bench"}
                )
                if target == "postgres":
                    ensure_pg_database("growth_bench", recreate=True)
                t = time.perf_counter()
                counts = load(out, target=target, **kwargs)
                loaded = time.perf_counter() - t
                t = time.perf_counter()
                run_dbt(
                    ["run"],
                    target=target,
                    vars=vars,
                    target_path=tmp / "target",
                    log_path=tmp / "logs",
                    capture=True,
                    **kwargs,
                )
                print(
                    f"scale={scale:<4} raw_events={counts['events']:>11,}  {target:<40} load {loaded:6.1f} s"
                    f"  dbt run {time.perf_counter() - t:7.1f} s",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
