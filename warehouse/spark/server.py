"""A Spark Thrift (HiveServer2) server on the project's Spark warehouse, for BI clients and dbt's thrift method.

``python -m warehouse spark-server`` starts Spark with the SPARK_* settings (:mod:`warehouse.spark.session`) and
serves its tables over the HiveServer2 protocol (JDBC ``jdbc:hive2://127.0.0.1:10000``, PyHive, beeline) until
stopped with Ctrl-C. The server runs inside the same JVM as the session, so it shares the session's metastore:
nothing else may open the same Derby metastore meanwhile (a second process would be refused). It listens on
127.0.0.1 unless ``SPARK_THRIFT_HOST`` says otherwise; the port is ``SPARK_THRIFT_PORT`` (default 10000).
"""

from __future__ import annotations

import os
import time
from typing import Any

from settings.errors import SettingsError

DEFAULT_PORT = 10000


def thrift_address() -> tuple[str, int]:
    """(host, port) the server binds: SPARK_THRIFT_HOST (127.0.0.1) and SPARK_THRIFT_PORT (10000)."""
    host = os.environ.get("SPARK_THRIFT_HOST") or "127.0.0.1"
    text = os.environ.get("SPARK_THRIFT_PORT") or str(DEFAULT_PORT)
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise SettingsError(f"SPARK_THRIFT_PORT must be a port number, got {text!r}")
    return host, int(text)


def start_thrift_server(spark: Any, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> Any:
    """Start a HiveServer2 on ``spark``'s session (binary transport, no authentication); return it (``.stop()``)."""
    spark.conf.set("hive.server2.thrift.bind.host", host)
    spark.conf.set("hive.server2.thrift.port", str(port))
    spark.conf.set("hive.server2.transport.mode", "binary")
    jvm = spark.sparkContext._jvm
    server_class = jvm.org.apache.spark.sql.hive.thriftserver.HiveThriftServer2
    return server_class.startWithContext(spark._jsparkSession.sqlContext())


def wait_for_port(host: str, port: int, timeout: float = 120.0) -> None:
    """Block until something accepts connections on host:port (TimeoutError after ``timeout`` seconds)."""
    import socket

    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on {host}:{port} after {timeout:.0f} s") from None
            time.sleep(0.5)


def serve() -> int:
    """Start Spark and the server, print where it listens, and serve until interrupted."""
    from warehouse.spark.session import get_session, spark_settings

    host, port = thrift_address()
    settings = spark_settings()
    spark = get_session(settings)
    server = start_thrift_server(spark, host, port)
    wait_for_port(host, port)
    print(f"Spark Thrift server on {host}:{port} (warehouse {settings.warehouse_dir}); Ctrl-C stops it.", flush=True)
    print(f"  dbt:   SPARK_METHOD=thrift SPARK_HOST={host} SPARK_PORT={port} dbt build --target spark", flush=True)
    print(f"  JDBC:  jdbc:hive2://{host}:{port}/marts", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        spark.stop()
    return 0
