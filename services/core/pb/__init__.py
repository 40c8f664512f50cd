"""Generated protobuf and gRPC stubs (see services.devtools.protogen)."""
