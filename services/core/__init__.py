"""Shared kernel: configuration, ids, database, NATS wiring, generated stubs, telemetry, dev stack.

Nothing here imports a service package; every service may import from here.
"""
