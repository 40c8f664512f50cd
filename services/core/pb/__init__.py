"""Generated protobuf and gRPC stubs (see services.core.protogen)."""
