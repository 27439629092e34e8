"""Helpers shared by the tests: damaged and hostile artifacts, TensorFlow children, comparisons."""
