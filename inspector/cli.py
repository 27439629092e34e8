"""Command-line entry point: argument parsing, exit codes, nothing else.

Exit codes: 0 success, 1 findings (commands that check things), 2 the input
could not be read or the request cannot be met, 3 an internal error; 128 + N
when signal N (SIGINT 130, SIGTERM 143, SIGHUP 129) stopped the command, after
its child processes were stopped and its temporary files removed.
"""

from __future__ import annotations

import argparse
import gc
import os
import signal
import sys

from . import children
from .commands import BY_NAME, COMMANDS
from .errors import InspectorError
from .sanitize import visible
from .version import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser, with the options of ``command`` only (no command module is imported otherwise)."""
    parser = argparse.ArgumentParser(
        prog="tfinspect",
        description="Look inside TensorFlow SavedModels, .meta graphs, frozen GraphDefs and "
        "checkpoints without starting the TensorFlow runtime.",
    )
    parser.add_argument("--version", action="version", version=f"tfinspect {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for info in COMMANDS:
        child = sub.add_parser(info.name, help=info.summary, description=info.summary)
        if info.name == command:
            module = info.load()
            module.add_arguments(child)
            child.set_defaults(run=module.run)
    return parser


def _collect_rarely() -> None:
    """Run the cycle collector every 100,000 allocations instead of 700.

    A command builds many small objects that hold no cycles (a row per node: 40,908
    for EfficientNetV2-L's ops) and exits; the default threshold spends about 15% of
    such a run in collections that free nothing.  Cycles are still collected.
    """
    gc.freeze()  # what start-up imported is never garbage
    gc.set_threshold(100_000, 50, 1000)


def _command_name(argv: list[str]) -> str | None:
    """The subcommand named on the command line (the first word that is not an option)."""
    for word in argv:
        if not word.startswith("-"):
            return word if word in BY_NAME else None
    return None


def main(argv: list[str] | None = None) -> int:
    with children.signals_stop_children():
        try:
            return _main(argv)
        except children.Interrupted as exc:
            sys.stderr.write(f"tfinspect: {exc}\n")
            return exc.status


def _main(argv: list[str] | None) -> int:
    if argv is None:  # run as a program, not called from Python: tune the process for a short run
        _collect_rarely()
    argv = sys.argv[1:] if argv is None else list(argv)
    command = _command_name(argv)
    try:
        parser = build_parser(command)
    except ImportError as exc:
        _error(f"the {command} command cannot start: {exc} "
               f"(reinstall tfinspect with its dependencies: pip install tfinspect)")
        return EXIT_INPUT
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except InspectorError as exc:
        _error(str(exc))
        return EXIT_INPUT
    except KeyboardInterrupt:  # SIGINT where no handler could be set (a thread other than the main one)
        raise children.Interrupted(signal.SIGINT) from None
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] == "inspector":
            raise  # a module of tfinspect itself is missing: a broken install, reported as an internal error
        # A command imports its libraries when it runs (so that --help stays quick): one of them is missing.
        _error(f"the {command} command cannot start: {exc} "
               f"(reinstall tfinspect with its dependencies: pip install tfinspect)")
        return EXIT_INPUT
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
    sys.stderr.write(f"tfinspect: error: {visible(' '.join(message.split()))}\n")


if __name__ == "__main__":
    sys.exit(main())
