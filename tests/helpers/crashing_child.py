"""Stands in for inspector.execute.child in a test: dies the way a crashing kernel does."""

import os

os.abort()
