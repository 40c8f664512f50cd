"""Shared kernel: configuration, ids, tokens, database, NATS wiring, generated stubs, telemetry.

Development tooling (embedded servers, stub generation, dev credentials) is in `services.devtools`.

Nothing here imports a service package; every service may import from here.
"""
