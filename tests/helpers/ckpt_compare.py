"""Hold a checkpoint reader of ours against TensorFlow's reading of the same files."""

from __future__ import annotations

import numpy as np

from inspector import protos


def assert_listing_matches(reader, prefix: str, tf) -> None:
    """Same keys, shapes and dtypes as ``tf.train.list_variables`` / ``load_checkpoint``."""
    tf_dtypes = tf.train.load_checkpoint(prefix).get_variable_to_dtype_map()
    listed = tf.train.list_variables(prefix)
    ours = {e.key: e for e in reader.entries()}
    assert sorted(ours) == sorted(k for k, _ in listed)
    for key, shape in listed:
        assert list(ours[key].shape) == shape, key
        assert ours[key].dtype == tf_dtypes[key].as_datatype_enum, key
        assert ours[key].dtype_name == protos.dtype_name(tf_dtypes[key].as_datatype_enum)


def assert_value_matches(ours: np.ndarray, theirs, key: str) -> None:
    """One tensor as we read it against ``CheckpointReader.get_tensor``."""
    if ours.dtype == object:
        # a scalar comes back as bytes (np.asarray would drop trailing NULs)
        expected = theirs if isinstance(theirs, bytes) else theirs.tolist()
        assert all(type(v) is bytes for v in ours.flat), key
        assert ours.shape == np.shape(theirs) and ours.tolist() == expected, key
    else:
        theirs = np.asarray(theirs)
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype, key
        assert np.array_equal(ours, theirs, equal_nan=ours.dtype.kind in "fc"), key


def assert_values_match(reader, prefix: str, tf, keys=None) -> int:
    """Every tensor (or those in ``keys``) reads the same as TensorFlow's; how many were compared."""
    tf_reader = tf.train.load_checkpoint(prefix)
    keys = list(reader.keys()) if keys is None else keys
    for key in keys:
        assert_value_matches(reader.read(key), tf_reader.get_tensor(key), key)
    return len(keys)
