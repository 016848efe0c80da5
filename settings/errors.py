"""The error a setting with an unusable value raises (an environment variable, a dbt var, a target name)."""

from __future__ import annotations


class SettingsError(ValueError):
    """A setting the project cannot use. The message is one line naming where the value came from."""

    exit_code = 2  # the user's settings (settings.exit_codes)
