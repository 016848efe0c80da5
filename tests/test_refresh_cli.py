"""`python -m pipeline refresh` on bad ground: one clear line and exit code 2, nothing created."""

from __future__ import annotations


def test_refresh_before_any_build_is_one_clear_line(tmp_path, monkeypatch, capsys):
    from pipeline.__main__ import main

    monkeypatch.setenv("DUCKDB_PATH", str(tmp_path / "never_built.duckdb"))
    code = main(["refresh", "--target", "duckdb", "--skip-docs", "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and "make run" in err[0], err
    assert not (tmp_path / "never_built.duckdb").exists()
