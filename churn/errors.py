"""The one error the churn step raises for things a user can fix (no features built, unknown target)."""


class ChurnError(Exception):
    """Bad input or a warehouse not ready for the churn step: one line for the user (exit code 2)."""

    exit_code = 2
