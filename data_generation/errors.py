"""Errors the simulator reports to its caller (the CLI turns them into one line on stderr and exit code 2)."""

from __future__ import annotations


class GenerationError(ValueError):
    """Bad input: an unknown scenario, a bad count or date, an unwritable output folder, ..."""

    exit_code = 2  # the user's input (settings.exit_codes)


class GenerationSystemError(GenerationError):
    """The machine failed while writing (disk full, I/O error): not the user's input."""

    exit_code = 1


class ScenarioError(GenerationError):
    """A scenario file that does not follow the scenario schema (the message names the key)."""
