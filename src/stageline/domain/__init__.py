"""The pure core: billing types, MRR, renewal dates, lifecycle stages and matching.

Nothing in this package performs I/O or reads the clock; callers pass ``now``.
A test fails if any module here imports an I/O library.
"""
