"""Paths that are URLs: tfinspect reads local files only, and says how to get a copy."""

from __future__ import annotations

import re

from ..errors import UnreadableInput

_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<rest>.*)$", re.DOTALL)
# pathlib collapses "gs://bucket" into "gs:/bucket"; recognise what it leaves of a URL.
_COLLAPSED = re.compile(r"^(?P<scheme>gs|s3|hdfs|http|https|az|abfs|abfss):/(?P<rest>[^/].*)$",
                        re.IGNORECASE | re.DOTALL)
_COPY = {
    "gs": "gsutil cp -r {url} {local} or gcloud storage cp -r {url} {local}",
    "s3": "aws s3 cp --recursive {url} {local}",
    "hdfs": "hdfs dfs -get {url} {local}",
    "http": "download it (curl -O {url}) and unpack it",
    "https": "download it (curl -O {url}) and unpack it",
}


def refuse_url(text: str, *, exists: bool) -> None:
    """Raise a one-line error when ``text`` is a URL (or what pathlib made of one)."""
    match = _URL.match(text)
    if match is None and not exists:
        match = _COLLAPSED.match(text)
    if match is None:
        return
    scheme, rest = match.group("scheme").lower(), match.group("rest")
    url = f"{scheme}://{rest}"
    local = "./" + (rest.rstrip("/").rsplit("/", 1)[-1] or "model")
    how = _COPY.get(scheme, "copy it to a local directory").format(url=url, local=local, rest=rest)
    raise UnreadableInput(url, f"is a remote {scheme}:// URL, and tfinspect does not read remote URLs yet",
                          f"copy the export to a local directory first: {how}; then inspect {local}")
