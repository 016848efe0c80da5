"""`python -m dashboard.serve`: start the Streamlit dashboard, listening on this machine only unless told otherwise.

The dashboard has no login. It listens on ``DASHBOARD_ADDRESS`` (default ``127.0.0.1``: only this machine can open
it) and ``DASHBOARD_PORT`` (default 8501). ``DASHBOARD_ADDRESS=0.0.0.0`` opens it to the network: everyone who can
reach the machine can then read every mart, so it prints a warning saying so. Exit codes follow settings.exit_codes.
"""

from __future__ import annotations

import ipaddress
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from settings.errors import SettingsError
from settings.exit_codes import run_main

ADDRESS_ENV = "DASHBOARD_ADDRESS"
PORT_ENV = "DASHBOARD_PORT"
DEFAULT_ADDRESS = "127.0.0.1"
DEFAULT_PORT = 8501
APP = Path(__file__).resolve().parent / "app.py"


def listen_settings(environ: Mapping[str, str]) -> tuple[str, int]:
    """(address, port) from the environment, checked; SettingsError (one line) when unusable."""
    address = (environ.get(ADDRESS_ENV) or DEFAULT_ADDRESS).strip()
    if address != "localhost":
        try:
            ipaddress.ip_address(address)
        except ValueError:
            raise SettingsError(f"{ADDRESS_ENV}={address!r}: expected an IP address such as 127.0.0.1") from None
    text = (environ.get(PORT_ENV) or str(DEFAULT_PORT)).strip()
    port = int(text) if text.isdigit() else 0
    if not 0 < port < 65536:
        raise SettingsError(f"{PORT_ENV}={text!r}: expected a port number (1-65535)")
    return address, port


def is_local(address: str) -> bool:
    return address == "localhost" or ipaddress.ip_address(address).is_loopback


def streamlit_command(address: str, port: int) -> list[str]:
    streamlit = Path(sys.executable).parent / "streamlit"
    return [
        str(streamlit) if streamlit.exists() else "streamlit",
        "run",
        str(APP),
        "--server.headless=true",
        f"--server.address={address}",
        f"--server.port={port}",
        "--client.toolbarMode=viewer",
        "--browser.gatherUsageStats=false",
    ]


def main() -> int:
    def body() -> int:
        address, port = listen_settings(os.environ)
        if not is_local(address):
            print(
                f"warning: the dashboard listens on {address}:{port}, open to the network, and has no"
                " authentication: anyone who can reach this machine can read every mart",
                file=sys.stderr,
                flush=True,
            )
        shown = "localhost" if is_local(address) else address
        print(f"dashboard: http://{shown}:{port}", file=sys.stderr, flush=True)
        command = streamlit_command(address, port)
        os.execv(command[0], command) if Path(command[0]).is_absolute() else os.execvp(command[0], command)
        return 0  # not reached: the process is now Streamlit

    return run_main(body, prog="dashboard")


if __name__ == "__main__":
    sys.exit(main())
