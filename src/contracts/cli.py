"""The ``contracts`` command line: parses options, calls the library, renders, sets exit codes.

Exit codes: 0 clean, 1 contract violations / findings / breaking drift, 2 usage or input
error (including output that cannot be written), 3 internal error (a bug in the tool: one line
asking for a report; the traceback only with ``CONTRACTS_DEBUG=1``). No command prints a
traceback otherwise: tool failures become one line on stderr.

The commands live in ``_cli_validate`` and ``_cli_commands``; the group imports a command's
module only when that command runs (or ``--help`` lists them): click's "lazy group" pattern,
so a one-body ``contracts validate`` builds no other command and imports nothing they use.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib import import_module
from typing import IO

import click

from ._cli_errors import (
    EXIT_BROKEN_PIPE,
    EXIT_OK,
    EXIT_USAGE,
    WRITE_ERRNOS,
    CommandExit,
    internal_error,
    one_line,
    silence_stdout,
    usage_line,
    write_failure,
)
from ._cli_errors import EXIT_CODES as EXIT_CODES  # the documented codes, importable here
from ._cli_errors import EXIT_FINDINGS as EXIT_FINDINGS
from ._cli_errors import EXIT_INTERNAL as EXIT_INTERNAL
from .errors import ContractsError

__all__ = ["main", "run"]

# command name -> (module, function): the module is imported when the command is looked up
_COMMANDS = {
    "config": ("_cli_commands", "showconfiguration"),
    "diff": ("_cli_commands", "diff"),
    "drift": ("_cli_commands", "drift"),
    "gate": ("_cli_commands", "gate"),
    "generate": ("_cli_commands", "generate"),
    "lint": ("_cli_commands", "lint"),
    "mock": ("_cli_commands", "mock"),
    "proxy": ("_cli_commands", "proxy"),
    "validate": ("_cli_validate", "validate"),
}


class _LazyGroup(click.Group):
    """A group whose commands are imported on first lookup (click documents the pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        where = _COMMANDS.get(cmd_name)
        if where is None:
            return None
        command: click.Command = getattr(import_module(f".{where[0]}", __package__), where[1])
        return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]},
             epilog="Exit codes: 0 clean; 1 violations, findings or breaking drift; 2 usage or "
                    "input error (also: output that cannot be written); 3 internal error of the "
                    "tool (please report it; CONTRACTS_DEBUG=1 shows the traceback).")
@click.version_option(package_name="scribe-contracts", prog_name="contracts")
def cli() -> None:
    """Check clinical-session vendor APIs against their documented contracts."""


def run(argv: Sequence[str] | None = None, *, stdout: IO[str] | None = None,
        stderr: IO[str] | None = None) -> int:
    """Run the CLI with ``argv`` and return the exit code (tests call this directly)."""
    args = list(sys.argv[1:] if argv is None else argv)
    old_out, old_err = sys.stdout, sys.stderr
    if stdout is not None:
        sys.stdout = stdout
    if stderr is not None:
        sys.stderr = stderr
    try:
        cli.main(args=args, prog_name="contracts", standalone_mode=False)
        return EXIT_OK
    except CommandExit as exc:
        return exc.code
    except ContractsError as exc:
        sys.stderr.write(f"contracts: error: {one_line(str(exc))}\n")
        return EXIT_USAGE
    except click.exceptions.Exit as exc:  # --help, --version
        return int(exc.exit_code or 0)
    except click.UsageError as exc:
        sys.stderr.write(f"{usage_line(exc)}\n")
        return EXIT_USAGE
    except click.ClickException as exc:
        exc.show(file=sys.stderr)
        return EXIT_USAGE
    except click.exceptions.Abort:
        sys.stderr.write("contracts: aborted\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("contracts: interrupted\n")
        return 130
    except (BrokenPipeError, SystemExit):
        # click answers a closed output pipe (EPIPE) with SystemExit(1) even outside standalone
        # mode, and no command of ours calls sys.exit: either way the reader has gone.
        silence_stdout()
        return EXIT_BROKEN_PIPE
    except OSError as exc:
        if exc.errno not in WRITE_ERRNOS:
            return internal_error(exc)
        sys.stderr.write(f"contracts: error: {write_failure(exc)}\n")
        return EXIT_USAGE
    except Exception as exc:  # noqa: BLE001 - the one boundary where a bug becomes exit 3
        return internal_error(exc)
    finally:
        sys.stdout, sys.stderr = old_out, old_err


def main() -> None:
    code = run()
    try:
        sys.stdout.flush()  # what is still buffered can fail too (a full disk, a closed pipe)
    except BrokenPipeError:
        silence_stdout()
        code = EXIT_BROKEN_PIPE
    except OSError as exc:
        silence_stdout()
        if code != EXIT_USAGE:
            sys.stderr.write(f"contracts: error: {write_failure(exc)}\n")
        code = EXIT_USAGE
    # The process ends here. Python's shutdown would run one last full garbage collection over
    # every object the command made (a loaded spec is tens of thousands): about a tenth of a
    # one-body validate. Frozen objects are left to the operating system, as Python's own
    # documentation allows for objects alive at exit; files were closed by the commands.
    import gc

    gc.freeze()
    sys.exit(code)
