"""The one family of errors the inspector raises for input it cannot read.

Every message is a single line that names the file, says what was found and
what was expected, and what the user can do.  The command line prints it and
exits with status 2; it never shows a traceback for these.
"""

from __future__ import annotations

from pathlib import Path

from .sanitize import visible


class InspectorError(Exception):
    """An input could not be read or is not what the command needs."""

    def __init__(self, path: str | Path | None, problem: str, hint: str | None = None):
        self.path = None if path is None else str(path)
        self.problem = problem
        self.hint = hint
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """The message on one line; control characters from paths and names are shown, not sent."""
        where = f"{visible(self.path)}: " if self.path else ""
        text = self.problem
        if self.hint:
            text += f" ({self.hint})"
        return where + visible(" ".join(text.split()))


class NotFound(InspectorError):
    """The path does not exist or holds no model."""


class UnreadableInput(InspectorError):
    """The path exists but cannot be read (permissions, I/O)."""


class NotAnArtifact(InspectorError):
    """The file is something else: JSON, HDF5, a Keras archive, random bytes."""


class CorruptArtifact(InspectorError):
    """The file looks like a TensorFlow artifact but is truncated or damaged."""


class SelectionError(InspectorError):
    """A tag-set, signature, node or function the user asked for does not exist."""


class PartialSavedModel(NotFound):
    """A directory holding parts of a SavedModel (``variables/``, ``fingerprint.pb``...) but not its graph file."""

    def __init__(self, path: str | Path, parts: list[str], problem: str, hint: str | None = None):
        self.parts = list(parts)
        super().__init__(path, problem, hint)
