"""Running a signature with the TensorFlow runtime, in a child process (`tfinspect run` only).

``launch`` (imported by the command, no TensorFlow) prepares the input tensors
as TensorProto files and starts ``python -m inspector.execute.child`` with the
same interpreter; only the child imports TensorFlow and executes model code, so
a crash there (a segfault in a kernel, an abort, running out of memory) ends
the child, not tfinspect.
"""
