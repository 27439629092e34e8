"""Command-line entry point: argument parsing, exit codes, nothing else.

Exit codes: 0 success, 1 findings (commands that check things), 2 the input
could not be read or the request cannot be met, 3 an internal error.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from . import __version__
from .errors import InspectorError

# One module per subcommand in inspector/commands/, each with NAME, HELP,
# add_arguments(parser) and run(args) -> exit status.  Listed in help order.
COMMAND_MODULES = (
    "show", "signatures", "ops", "collections", "variables", "functions", "io", "dump", "ckpt", "graph",
    "check",
)

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tfinspect",
        description="Look inside TensorFlow SavedModels, .meta graphs, frozen GraphDefs and "
        "checkpoints without starting the TensorFlow runtime.",
    )
    parser.add_argument("--version", action="version", version=f"tfinspect {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in COMMAND_MODULES:
        command = importlib.import_module(f"{__package__}.commands.{module_name}")
        child = sub.add_parser(command.NAME, help=command.HELP, description=command.HELP)
        command.add_arguments(child)
        child.set_defaults(run=command.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except InspectorError as exc:
        _error(str(exc))
        return EXIT_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (| head); say nothing more.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # a bug must not show a traceback to a user
        if os.environ.get("TFINSPECT_DEBUG"):
            raise
        _error(f"internal error: {type(exc).__name__}: {exc} "
               f"(please report it; set TFINSPECT_DEBUG=1 to see the traceback)")
        return EXIT_INTERNAL


def _error(message: str) -> None:
    sys.stderr.write(f"tfinspect: error: {' '.join(message.split())}\n")


if __name__ == "__main__":
    sys.exit(main())
