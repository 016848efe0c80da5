"""Errors the simulator reports to its caller (the CLI turns them into one line on stderr and exit code 2)."""

from __future__ import annotations


class GenerationError(ValueError):
    """Bad input: an unknown scenario, a bad count or date, an unwritable output folder, ..."""


class ScenarioError(GenerationError):
    """A scenario file that does not follow the scenario schema (the message names the key)."""
