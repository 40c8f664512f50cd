"""Pure parts of the gateway: response shapes, pagination clamps, query parsing."""

from datetime import UTC, datetime

import pytest
from aiohttp.test_utils import make_mocked_request

from services.core import model
from services.core.errors import BadRequest
from services.gateway import params
from services.gateway.responses import run_response

T0 = datetime(2026, 1, 15, 10, 30, 0, 123456, tzinfo=UTC)


def _run(**overrides: object) -> model.Run:
    base = dict(run_id="r", env_id="e", stream_id="s", run_type=model.RunType.EVENT,
                status=model.RunStatus.SUCCEEDED, start_time=T0)
    base.update(overrides)
    return model.Run(**base)  # type: ignore[arg-type]


def test_run_response_omits_null_optionals_and_keeps_nullable_ids() -> None:
    body = run_response(_run())
    assert body == {"run_id": "r", "env_id": "e", "stream_id": "s", "build_id": None, "run_type": "event",
                    "status": "succeeded", "start_time": "2026-01-15T10:30:00.123456Z", "stop_time": None,
                    "origin_run_id": None, "event_id": None, "retry_attempt": 0}


def test_run_response_includes_present_optionals() -> None:
    body = run_response(_run(result={"a": 1}, project_id="p", project_name="shop", next_retry_at=T0,
                             status=model.RunStatus.PENDING_RETRY, retry_attempt=1))
    assert body["result"] == {"a": 1}
    assert body["project_name"] == "shop"
    assert body["next_retry_at"] == "2026-01-15T10:30:00.123456Z"
    assert body["status"] == "pending_retry"


def test_run_response_carries_the_run_output_and_whether_it_was_cut() -> None:
    body = run_response(_run(output="hello\n", output_truncated=True))
    assert (body["output"], body["output_truncated"]) == ("hello\n", True)


def test_result_false_and_zero_are_kept() -> None:
    assert run_response(_run(result=0))["result"] == 0
    assert run_response(_run(result=False))["result"] is False


@pytest.mark.parametrize(("limit", "offset", "expected"),
                         [(None, None, (20, 0)), (1000, 5, (500, 5)), (0, 0, (20, 0)), (-4, 0, (1, 0))])
def test_page_clamps(limit: int | None, offset: int | None, expected: tuple[int, int]) -> None:
    page = model.Page.clamp(limit, offset)
    assert (page.limit, page.offset) == expected


def test_has_more() -> None:
    assert model.PageOf([1, 2], 3, model.Page(2, 0)).has_more
    assert not model.PageOf([3], 3, model.Page(2, 2)).has_more


@pytest.mark.parametrize(("raw", "seconds"),
                         [("P1D", 86400), ("PT12H", 43200), ("P1W", 604800), ("PT90S", 90), ("all", 0), ("", 0),
                          ("p7d", 604800)])
def test_time_range(raw: str, seconds: int) -> None:
    request = make_mocked_request("GET", f"/v1/runs?time_range={raw}")
    assert params.time_range_seconds(request) == seconds


@pytest.mark.parametrize("raw", ["P", "PT", "1D", "yesterday", "P20Y", "PT0S"])
def test_bad_time_range(raw: str) -> None:
    with pytest.raises(BadRequest):
        params.time_range_seconds(make_mocked_request("GET", f"/v1/runs?time_range={raw}"))


def test_run_type_labels_follow_event_types() -> None:
    assert model.RunType.for_event_type("hot:call") is model.RunType.CALL
    assert model.RunType.for_event_type("hot:schedule") is model.RunType.SCHEDULE
    assert model.RunType.for_event_type("order:created") is model.RunType.EVENT
