"""Gateway: the public REST + SSE API (aiohttp). Authenticates callers and talks gRPC to ingest."""
