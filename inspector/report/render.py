"""Running Graphviz's ``dot``: retries when its spline router fails, atomic writes.

Nothing here prints: notes for the user are returned to the command.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

from .. import children
from ..errors import InspectorError
from ..sanitize import visible

INSTALL_HINT = ("install Graphviz (apt-get install graphviz, or brew install graphviz) to render "
                ".svg/.png/.pdf/.html; writing .dot works without it")
TIMEOUT_HINT = ("draw less: --control hide (control edges cost the most layout time), a lower --depth "
                "or --max-nodes, --view layers for a TF2 model, --fold-consts, --signature, --scope, "
                "--around NODE, --function; or raise --timeout; or write .dot and lay it out yourself")


# Graphviz's spline router fails on some real graphs ("triangulation failed", "lost
# ... edge"); these routers still draw every edge: polyline bends, line is straight.
SPLINE_FALLBACKS = ("polyline", "line")
_ROUTING_ERRORS = ("triangulation failed", "lost ", "routesplines", "Pshortestpath")


_SCALED = re.compile(r"[Ss]caling by ([0-9.]+)")


def render(dot_binary: str, source: str, fmt: str, timeout: float, out: str,
           notes: list[str]) -> tuple[bytes, float | None]:
    """``source`` laid out by dot as ``fmt``, and the factor dot scaled a too-large bitmap by.

    What the user should know (a retried router) is appended to ``notes``.
    """
    deadline = time.monotonic() + timeout
    tried: list[str] = []
    first_error = ""
    for splines in (None, *SPLINE_FALLBACKS):
        extra = [f"-Gsplines={splines}"] if splines else []
        done = _run_dot([dot_binary, f"-T{fmt}", *extra], source, deadline, timeout, out)
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        if done.returncode == 0:
            if tried:
                notes.append(f"Graphviz could not route the edges with {' or '.join(tried)} "
                             f"({visible(first_error)}); drew them with splines={splines} instead")
            scaled = next((float(m[1]) for line in message if (m := _SCALED.search(line))), None)
            return done.stdout, scaled
        if not any(word in line for line in message for word in _ROUTING_ERRORS):
            break
        tried.append(f"splines={splines}" if splines else "the default splines")
        first_error = first_error or message[-1]
    raise InspectorError(out, f"Graphviz dot failed (exit {done.returncode})",
                         visible(message[-1]) if message else None)


def _run_dot(command: list[str], source: str, deadline: float, timeout: float, out: str):
    try:
        return children.run(command, input=source.encode("utf-8"), timeout=max(deadline - time.monotonic(), 0.001))
    except subprocess.TimeoutExpired:
        raise InspectorError(out, f"Graphviz dot did not finish within {timeout:g} s",
                             TIMEOUT_HINT) from None
    except OSError as exc:
        raise InspectorError(out, f"could not run Graphviz dot: {exc}", INSTALL_HINT) from None


def write_atomic(path: Path, data: bytes) -> None:
    """Write next to the target, then rename: a failure, an exception or a signal never leaves a partial file."""
    temp, renamed = None, False
    try:
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        children.remember_temporary(temp)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)
        os.replace(temp, path)
        renamed = True
    except OSError as exc:
        raise InspectorError(path, f"cannot write the output: {exc.strerror or exc}") from None
    finally:
        if temp is not None:
            children.forget_temporary(temp)
            if not renamed:
                Path(temp).unlink(missing_ok=True)
