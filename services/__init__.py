"""The Hot platform's services: ingest, executor, scheduler, gateway, and their shared kernel (`core`)."""
