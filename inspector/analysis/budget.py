"""How much a diagram may hold before tfinspect draws less of it: the figures the graph options cite."""

from __future__ import annotations

AUTO_HIDE_CONTROL = 400
"""Above this many boxes, control edges are left out unless asked for (they double a big layout's time)."""

# Op boxes in the default drawing: about as much as a page for docs shows, and what Graphviz
# lays out in one to four seconds on a busy two-core machine (docs/pages/speed.md).
# --max-nodes raises it, at the cost stated by diagram_options.cost_note().
BOX_BUDGET = 80
# Layers read in order down the page and Graphviz lays out their chains quickly: ResNet50's
# 177 layers are its best first view.  Above this many, layers are grouped into blocks.
LAYER_BUDGET = 250
# What --all, --view ops and the other explicit choices draw before collapsing scopes.
FULL_BUDGET = 1500
SECONDS_PER_BOX = 0.012  # measured dot time per box (with its edges) around 1,000 boxes
