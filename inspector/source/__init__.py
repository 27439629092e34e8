"""The bytes of an artifact: a local path or a URL, opened safely and read with a size cap.

Nothing here knows what the bytes mean; ``load/`` and ``checkpoint/`` parse them.
"""
