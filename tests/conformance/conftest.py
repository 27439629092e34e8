"""Session fixtures of the conformance suite: TensorFlow's facts, computed once."""

from __future__ import annotations

import pytest

from .artifacts import require_corpus
from .facts import tensorflow_facts


@pytest.fixture(scope="session")
def tf_facts() -> dict:
    """What TensorFlow reads from every artifact, from one child process per test session."""
    require_corpus()
    return tensorflow_facts()
