"""One exit-code convention for every command of the project (pipeline, warehouse, data_generation, report).

- 0: done.
- 1: the system failed: the database refused or could not be reached, the disk is full, dbt failed.
- 2: the user's input or settings: a bad argument, file, environment variable, or a warehouse another run holds.
- 130: interrupted (Ctrl-C); the warehouse keeps what it held before the interrupted step.

An error carries its code as the attribute ``exit_code`` (the project's error classes set it); :func:`run_main`
turns such an error into one line on stderr and its code, so no user mistake ends in a traceback. An exception
without ``exit_code`` is a bug and keeps its traceback.
"""

from __future__ import annotations

import errno
import sys
from collections.abc import Callable

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

# OS errors that mean the machine, not the user, is the problem.
SYSTEM_ERRNOS = {errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EROFS, errno.ENOMEM}


def exit_code(exc: BaseException) -> int | None:
    """The exit code an error stands for, or None when it is not one the project reports (a bug)."""
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    code = getattr(exc, "exit_code", None)
    if isinstance(code, int):
        return code
    if isinstance(exc, OSError):
        return EXIT_FAILURE if exc.errno in SYSTEM_ERRNOS else EXIT_USAGE
    return None


def one_line(exc: BaseException) -> str:
    """The first line of an error's message (the whole message when it has one line)."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror}"
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def run_main(body: Callable[[], int], prog: str = "error", interrupted: str = "interrupted") -> int:
    """Run a command's body; report a known error as one line ``<prog>: <message>`` and return its exit code.

    Ctrl-C prints ``<prog>: <interrupted>`` and returns 130. Errors of the project keep their whole message
    (some, such as dbt's, carry the tail of a log after their first line).
    """
    try:
        return body()
    except BaseException as exc:  # classified below; a bug re-raises
        code = exit_code(exc)
        if code is None or isinstance(exc, SystemExit):
            raise
        if isinstance(exc, KeyboardInterrupt):
            message = interrupted
        elif isinstance(exc, OSError):
            message = one_line(exc)
        else:
            message = str(exc).strip() or type(exc).__name__
        print(f"{prog}: {message}", file=sys.stderr, flush=True)
        return code
