"""Errors the warehouse commands report as one line."""

from __future__ import annotations


class WarehouseError(Exception):
    """A failure worth one clear line to the user (exit code 1)."""

    exit_code = 1


class InputError(WarehouseError):
    """Bad input or configuration, found before anything was written (exit code 2)."""

    exit_code = 2
