"""Dtypes, shapes and TensorProto values, in TensorFlow's own vocabulary."""
