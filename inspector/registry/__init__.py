"""Op registries of real TensorFlow releases (2.12 to 2.21), shipped as package data.

``reader`` answers questions from ``data/ops.json.xz`` without TensorFlow;
``generate`` (with ``dump_release.py``, run in one venv per release) makes the file.
"""
