"""The Streams gRPC service: live stream subscriptions, run watches and the environment feed
(`servicer`, over the shared NATS subscriptions of `hub` and the de-duplication of `lifecycle`),
and the read side of streams, run statistics, environments and handlers (`store`).

Hosted by the ingest process, but independent of ingest's write side: it imports only the
kernel (enforced by import-linter), so it can become a process of its own by moving its wiring.
"""
