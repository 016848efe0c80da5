"""One exit-code convention in every entry point (settings.exit_codes; issue 13 items 4, 7, 12): one line on stderr,
2 for the user's input or settings, 1 for a failure of the system, 130 for Ctrl-C; never a traceback.
"""

from __future__ import annotations

import socket

import duckdb
import pytest

from data_generation.__main__ import main as generate_cli
from pipeline.__main__ import generated_folder
from pipeline.__main__ import main as pipeline_cli
from report.__main__ import main as report_cli
from settings.exit_codes import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE, exit_code, run_main
from warehouse.__main__ import main as warehouse_cli
from warehouse.errors import InputError


def one_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "Traceback" not in err[0]
    return err[0]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # free once closed: nothing listens there


def test_the_convention_classifies_errors():
    assert exit_code(InputError("x")) == EXIT_USAGE
    assert exit_code(KeyboardInterrupt()) == EXIT_INTERRUPTED
    assert exit_code(OSError(28, "No space left on device")) == EXIT_FAILURE
    assert exit_code(FileNotFoundError(2, "No such file or directory")) == EXIT_USAGE
    assert exit_code(ZeroDivisionError()) is None  # a bug keeps its traceback


def test_a_bug_is_not_hidden():
    with pytest.raises(ZeroDivisionError):
        run_main(lambda: 1 // 0)


@pytest.mark.parametrize(
    ("cli", "argv"),
    [
        (warehouse_cli, ["load", "--input", "data/generated/x", "--target", "postgres"]),
        (pipeline_cli, ["run", "--target", "postgres", "--skip-docs"]),
    ],
)
def test_a_bad_pgport_is_one_line_and_exit_2(cli, argv, monkeypatch, capsys):
    monkeypatch.setenv("PGPORT", "abc")
    assert cli(argv) == EXIT_USAGE
    assert one_line(capsys) == "error: PGPORT='abc': expected a port number (1-65535)"


def test_report_with_a_bad_setting_exits_2(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("DBT_TARGET", "oracle")
    assert report_cli(["--output", str(tmp_path / "r.html")]) == EXIT_USAGE
    assert one_line(capsys).startswith("report: DBT_TARGET='oracle'")


def test_report_without_a_warehouse_file_exits_2(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("DBT_TARGET", "duckdb")
    monkeypatch.setenv("DUCKDB_PATH", str(tmp_path / "none.duckdb"))
    assert report_cli(["--output", str(tmp_path / "r.html")]) == EXIT_USAGE
    assert "no DuckDB warehouse at" in one_line(capsys)


@pytest.mark.parametrize("cli", ["warehouse", "pipeline"])
def test_a_server_that_does_not_answer_is_a_system_failure_exit_1(cli, small_dataset, monkeypatch, capsys):
    """The same error gives the same code in both entry points (they disagreed: 2 and 1)."""
    monkeypatch.setenv("PGPORT", str(_closed_port()))
    monkeypatch.setenv("PGDATABASE", "gat_nowhere")
    if cli == "warehouse":
        code = warehouse_cli(["load", "--input", str(small_dataset), "--target", "postgres", "--quiet"])
    else:
        code = pipeline_cli(["run", "--target", "postgres", "--skip-docs", "--quiet"])
    assert code == EXIT_FAILURE
    assert one_line(capsys).startswith("error: cannot connect to postgresql://")


def test_a_start_date_past_year_9999_is_one_line(capsys, tmp_path):
    argv = ["--start-date", "9999-12-01", "--days", "365", "--users", "10", "--output", str(tmp_path / "g")]
    assert generate_cli(argv) == EXIT_USAGE
    assert one_line(capsys) == "error: start date 9999-12-01 plus 365 days runs past the year 9999"
    assert not (tmp_path / "g").exists()


@pytest.mark.parametrize("name", ["x.csv", "x.parquet", "x.json"])
def test_a_data_file_name_is_refused_as_duckdb_warehouse(name, small_dataset, tmp_path, capsys):
    path = tmp_path / name
    code = warehouse_cli(["load", "--input", str(small_dataset), "--duckdb-path", str(path), "--quiet"])
    assert code == EXIT_USAGE
    assert f"a {path.suffix} name is a data file, not a database" in one_line(capsys)
    assert not path.exists()


def test_an_existing_file_that_is_not_duckdb_is_left_alone(small_dataset, tmp_path, capsys):
    path = tmp_path / "warehouse.db"
    path.write_text("user_id,created_at\nu1,2025-01-01\n")
    code = warehouse_cli(["load", "--input", str(small_dataset), "--duckdb-path", str(path), "--quiet"])
    assert code == EXIT_USAGE
    expected = f"error: DuckDB warehouse {path} exists and is not a DuckDB database; refusing to touch it"
    assert one_line(capsys) == expected
    assert path.read_text() == "user_id,created_at\nu1,2025-01-01\n"


def test_a_duckdb_path_under_a_file_is_one_line(small_dataset, tmp_path, capsys, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("DUCKDB_PATH", str(blocker / "sub" / "w.duckdb"))
    assert pipeline_cli(["run", "--skip-docs", "--quiet", "--users", "10"]) == EXIT_USAGE
    assert one_line(capsys).startswith(f"error: cannot create the folder {blocker / 'sub'} of the DuckDB warehouse:")


def test_a_loaded_warehouse_is_a_duckdb_database(small_dataset, tmp_path, capsys):
    """Any other name is opened as a DuckDB database (TYPE duckdb), and holds the rows."""
    path = tmp_path / "warehouse.db"
    assert warehouse_cli(["load", "--input", str(small_dataset), "--duckdb-path", str(path), "--quiet"]) == 0
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("select count(*) from raw.users").fetchone()[0] == 1500


def test_a_scenario_file_names_its_output_folder(tmp_path):
    assert generated_folder("saas").parts[-2:] == ("generated", "saas")
    assert generated_folder(str(tmp_path / "my_shop.yaml")).parts[-2:] == ("generated", "my_shop")
    with pytest.raises(InputError):
        generated_folder("../etc")
    with pytest.raises(InputError):
        generated_folder(str(tmp_path / ".hidden.yaml"))
