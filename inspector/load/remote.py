"""A URL whose ``//`` was collapsed to ``/`` (``gs:/bucket/model``): say how to write it.

Real URLs are read through ``location``; this only catches what pathlib (or a
shell script joining paths) leaves of one, which would otherwise be reported as
a missing local directory.
"""

from __future__ import annotations

import os
import re

from ..errors import NotFound

_COLLAPSED = re.compile(r"^(?P<scheme>gs|s3|hdfs|http|https|az|abfs|abfss):/(?P<rest>[^/].*)$",
                        re.IGNORECASE | re.DOTALL)


def refuse_collapsed_url(text: str) -> None:
    """Raise a one-line error when ``text`` is a URL with one slash lost and no such local path exists."""
    match = _COLLAPSED.match(text)
    if match is None or os.path.lexists(text):
        return
    url = f"{match.group('scheme').lower()}://{match.group('rest')}"
    raise NotFound(text, "is no local path, and looks like a URL that lost a slash", f"write it as {url}")
