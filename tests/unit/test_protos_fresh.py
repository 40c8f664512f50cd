from services.devtools.protogen import stale_files


def test_committed_stubs_match_the_proto_files() -> None:
    assert stale_files() == [], "run `make protos` and commit the regenerated stubs"
