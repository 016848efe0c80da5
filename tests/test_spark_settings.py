"""The Spark target's settings and raw-table types, checked without starting Spark (no Java needed)."""

from __future__ import annotations

import pytest

from settings.errors import SettingsError
from warehouse.contract import LOGICAL_TYPES, TABLES
from warehouse.spark.raw import SPARK_TYPES, empty_select, spark_select
from warehouse.spark.server import thrift_address
from warehouse.spark.session import spark_env, spark_settings


def test_every_contract_type_has_a_spark_type():
    assert set(SPARK_TYPES) == set(LOGICAL_TYPES)
    assert SPARK_TYPES["money"] == "decimal(18,2)" and SPARK_TYPES["timestamp"] == "timestamp"


def test_raw_selects_cast_every_column_in_contract_order():
    table = TABLES["payments"]
    select = spark_select(table, "v")
    positions = [select.index(f"as `{c.name}`") for c in table.columns]
    assert positions == sorted(positions)
    assert "cast(`amount` as decimal(18,2)) as `amount`" in select
    assert "cast(`attempt_number` as int) as `attempt_number`" in select
    assert empty_select(table).endswith("where false")


def test_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SPARK_WAREHOUSE_DIR", str(tmp_path / "wh"))
    monkeypatch.setenv("SPARK_METASTORE_DIR", str(tmp_path / "ms"))
    monkeypatch.setenv("SPARK_MASTER", "local-cluster[2,1,1024]")
    monkeypatch.setenv("SPARK_SHUFFLE_PARTITIONS", "8")
    s = spark_settings()
    assert (s.warehouse_dir, s.metastore_dir, s.master, s.shuffle_partitions) == (
        tmp_path / "wh",
        tmp_path / "ms",
        "local-cluster[2,1,1024]",
        8,
    )
    env = spark_env(s)
    args = env["PYSPARK_SUBMIT_ARGS"]
    assert f"--conf spark.sql.warehouse.dir={tmp_path / 'wh'}" in args
    assert f"databaseName={tmp_path / 'ms' / 'metastore_db'}" in args
    assert "--conf spark.driver.bindAddress=127.0.0.1" in args and args.endswith("pyspark-shell")
    assert s.sql_conf()["spark.sql.shuffle.partitions"] == "8"


def test_defaults_keep_spark_on_loopback_under_data(monkeypatch):
    for name in ("SPARK_WAREHOUSE_DIR", "SPARK_METASTORE_DIR", "SPARK_MASTER", "SPARK_SHUFFLE_PARTITIONS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("SPARK_LOCAL_IP", raising=False)
    s = spark_settings()
    assert s.master == "local[2]" and s.warehouse_dir.parts[-3:] == ("data", "spark", "warehouse")
    assert spark_env(s)["SPARK_LOCAL_IP"] == "127.0.0.1"
    monkeypatch.delenv("SPARK_THRIFT_HOST", raising=False)
    monkeypatch.delenv("SPARK_THRIFT_PORT", raising=False)
    assert thrift_address() == ("127.0.0.1", 10000)


@pytest.mark.parametrize(("name", "value"), [("SPARK_SHUFFLE_PARTITIONS", "zero"), ("SPARK_THRIFT_PORT", "70000")])
def test_an_unusable_setting_is_one_clear_error(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        spark_settings() if name.startswith("SPARK_SHUFFLE") else thrift_address()


def test_the_warehouse_cli_rejects_a_bad_spark_setting_in_one_line(monkeypatch, capsys):
    from warehouse.__main__ import main

    monkeypatch.setenv("SPARK_THRIFT_PORT", "not-a-port")
    assert main(["spark-server"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: SPARK_THRIFT_PORT") and "\n" not in err
