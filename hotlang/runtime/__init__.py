"""What running Hot code needs: values, per-run state, the host, display, equality, limits, tracing.

Below it are only :mod:`hotlang.errors` and :mod:`hotlang.syntax` (which it does not
need today); the compiler and the library both build on it (see
``docs/architecture.md``, "hotlang layers").
"""
