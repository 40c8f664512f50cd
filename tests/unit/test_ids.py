import uuid

from services.core.ids import new_id, parse_uuid, uuid7


def test_uuid7_has_version_and_variant() -> None:
    value = uuid7()
    assert value.version == 7
    assert value.variant == uuid.RFC_4122


def test_uuid7_is_strictly_increasing_within_a_process() -> None:
    ids = [uuid7() for _ in range(20_000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_new_id_is_canonical_text() -> None:
    text = new_id()
    assert text == str(uuid.UUID(text)) and text.islower()


def test_parse_uuid_rejects_garbage() -> None:
    assert parse_uuid("nope") is None
    assert parse_uuid("") is None
    assert parse_uuid(new_id()) is not None
