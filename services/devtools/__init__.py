"""Development tooling, kept out of the runtime kernel: the embedded NATS and PostgreSQL
stack (`stack`), protobuf stub generation (`protogen`), the development credentials
bootstrap (`credentials`) and their settings (`settings`).

Used by `hot dev` (`services/cli`), the tests and the benchmarks; no service imports it.
"""
