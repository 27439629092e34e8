"""How much a diagram may hold before tfinspect draws less of it: the figures the graph options cite."""

from __future__ import annotations

AUTO_HIDE_CONTROL = 400
"""Above this many boxes, control edges are left out unless asked for (they double a big layout's time)."""
