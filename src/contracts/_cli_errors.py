"""How the command line fails: one line for a usage error, an unwritable output or a bug in
the tool (with the traceback only when ``CONTRACTS_DEBUG=1``)."""

from __future__ import annotations

import contextlib
import errno
import os
import sys

import click

from .findings import Severity

__all__ = ["BUG_REPORT", "EXIT_BROKEN_PIPE", "EXIT_CODES", "EXIT_FINDINGS", "EXIT_INTERNAL",
           "EXIT_OK", "EXIT_USAGE", "WRITE_ERRNOS", "CommandExit", "internal_error", "one_line",
           "severity_option", "silence_stdout", "usage_line", "write_failure"]

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_CODES = (EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL)  # as documented in README
# A closed pipe (``contracts lint | head``) ends quietly with the status of a process killed by
# SIGPIPE, as other command-line tools do.
EXIT_BROKEN_PIPE = 141
BUG_REPORT = "please report this bug with the command you ran"
# errno values that mean "the output could not be written": a full disk, a quota, a dead device.
WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS})


def internal_error(exc: BaseException) -> int:
    """A bug in the tool: exit 3 with one line; the traceback only when asked for."""
    if os.environ.get("CONTRACTS_DEBUG", "") not in ("", "0"):
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    sys.stderr.write(f"contracts: internal error ({type(exc).__name__}): {BUG_REPORT} "
                     "(set CONTRACTS_DEBUG=1 for the traceback)\n")
    return EXIT_INTERNAL


def write_failure(exc: OSError) -> str:
    what = f"cannot write {exc.filename}" if exc.filename else "cannot write the output"
    return f"{what}: {exc.strerror or type(exc).__name__}"


def usage_line(exc: click.UsageError) -> str:
    """click's usage error as one line: the problem, and the command whose ``--help`` helps."""
    command = exc.ctx.command_path if exc.ctx is not None else "contracts"
    return f"contracts: error: {one_line(exc.format_message())} (see '{command} --help')"


def silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush of a dead pipe says nothing."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def one_line(text: str, limit: int = 1_000) -> str:
    """An error as one bounded line: a message may quote a file name or value we were given."""
    text = " ".join(text.split())
    return text if len(text) <= limit else f"{text[:limit]}..."


class CommandExit(Exception):
    """A command's exit code, raised by the command and returned by the CLI's ``run``."""

    def __init__(self, code: int):
        self.code = code


def severity_option(_ctx: click.Context, _param: click.Parameter, value: str) -> Severity:
    """The click callback of a ``--fail-on`` option: a severity, or a usage error."""
    try:
        return Severity.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
