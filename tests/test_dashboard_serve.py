"""`make dashboard` (python -m dashboard.serve) listens on 127.0.0.1 unless DASHBOARD_ADDRESS opens it, and then
warns that the dashboard has no authentication (issue 13 item 10)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dashboard.serve import listen_settings
from settings.errors import SettingsError
from tests.conftest import REPO_ROOT

TCP_TABLES = [Path("/proc/net/tcp"), Path("/proc/net/tcp6")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as the kernel writes them) of sockets listening on ``port``."""
    found = set()
    for table in TCP_TABLES:
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].rsplit(":", 1)
            if int(hex_port, 16) == port and fields[3] == "0A":  # 0A: LISTEN
                found.add(address)
    return found


def _serve(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "dashboard.serve"],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_settings_default_to_this_machine_and_refuse_garbage():
    assert listen_settings({}) == ("127.0.0.1", 8501)
    assert listen_settings({"DASHBOARD_ADDRESS": "0.0.0.0", "DASHBOARD_PORT": "9000"}) == ("0.0.0.0", 9000)
    with pytest.raises(SettingsError, match="DASHBOARD_ADDRESS='everyone'"):
        listen_settings({"DASHBOARD_ADDRESS": "everyone"})
    with pytest.raises(SettingsError, match="DASHBOARD_PORT='http'"):
        listen_settings({"DASHBOARD_PORT": "http"})


@pytest.mark.skipif(not TCP_TABLES[0].exists(), reason="reads the kernel's socket table (/proc/net/tcp)")
def test_the_dashboard_listens_on_loopback_only_by_default(tmp_path):
    port = _free_port()
    proc = _serve({"DASHBOARD_PORT": str(port), "DUCKDB_PATH": str(tmp_path / "none.duckdb")})
    try:
        deadline = time.monotonic() + 90
        while not _listening_addresses(port) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.3)
        addresses = _listening_addresses(port)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert addresses == {"0100007F"}, (addresses, err)  # 127.0.0.1, nothing on 0.0.0.0 or ::
    assert "warning" not in err


def test_opening_it_to_the_network_warns_there_is_no_login():
    proc = _serve({"DASHBOARD_ADDRESS": "0.0.0.0", "DASHBOARD_PORT": str(_free_port())})
    try:
        first = proc.stderr.readline()
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    assert first.startswith("warning: the dashboard listens on 0.0.0.0:")
    assert "no authentication" in first


def test_a_bad_address_is_one_line_and_exit_2():
    proc = _serve({"DASHBOARD_ADDRESS": "everyone"})
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert err.strip() == "dashboard: DASHBOARD_ADDRESS='everyone': expected an IP address such as 127.0.0.1"
