"""Retry meta parsing, clamps and the delay formula (platform-spec §3.2–3.3, scenario 22)."""

import random

import pytest

from services.executor.retry import RetryPolicy, timeout_seconds


def test_simple_form() -> None:
    assert RetryPolicy.from_meta({"retry": 3}) == RetryPolicy(attempts=3)


def test_no_meta_means_no_retries() -> None:
    for meta in (None, {}, {"retry": None}, {"retry": "lots"}, {"retry": True}, "retry"):
        assert RetryPolicy.from_meta(meta).attempts == 0


def test_clamps() -> None:
    policy = RetryPolicy.from_meta({"retry": {"attempts": 50, "delay": 10, "max_delay": 99_000_000}})
    assert policy.attempts == 10
    assert policy.delay_ms == 100
    assert policy.max_delay_ms == 3_600_000
    assert RetryPolicy.from_meta({"retry": -3}).attempts == 0


def test_non_integers_fall_back_to_defaults() -> None:
    policy = RetryPolicy.from_meta({"retry": {"attempts": 2, "delay": 1.5, "backoff": 7, "jitter": "yes"}})
    assert (policy.attempts, policy.delay_ms, policy.backoff, policy.jitter) == (2, 1000, "fixed", False)


def test_backoff_names_are_case_insensitive_and_unknown_is_fixed() -> None:
    assert RetryPolicy.from_meta({"retry": {"attempts": 1, "backoff": "Exponential"}}).backoff == "exponential"
    assert RetryPolicy.from_meta({"retry": {"attempts": 1, "backoff": "fibonacci"}}).backoff == "fixed"


def test_exponential_with_cap() -> None:
    policy = RetryPolicy.from_meta({"retry": {"attempts": 4, "delay": 1000, "backoff": "exponential",
                                              "max_delay": 3000}})
    assert [policy.delay_for(k) for k in range(4)] == [1000, 2000, 3000, 3000]


def test_linear() -> None:
    policy = RetryPolicy.from_meta({"retry": {"attempts": 3, "delay": 1000, "backoff": "linear"}})
    assert [policy.delay_for(k) for k in range(3)] == [1000, 2000, 3000]


def test_fixed_example_from_the_spec() -> None:
    policy = RetryPolicy.from_meta({"retry": {"attempts": 4, "delay": 5000, "backoff": "exponential"}})
    assert [policy.delay_for(k) for k in range(4)] == [5000, 10000, 20000, 40000]


def test_jitter_stays_within_ten_percent() -> None:
    policy = RetryPolicy.from_meta({"retry": {"attempts": 1, "delay": 1000, "jitter": True}})
    rng = random.Random(7)
    delays = {policy.delay_for(0, rng) for _ in range(2000)}
    assert min(delays) >= 900 and max(delays) <= 1100
    assert len(delays) > 50, "jitter should actually vary the delay"


def test_should_retry_counts_attempts() -> None:
    policy = RetryPolicy(attempts=2)
    assert [policy.should_retry(k) for k in range(4)] == [True, True, False, False]
    assert not RetryPolicy().should_retry(0)


@pytest.mark.parametrize(("meta", "expected"), [({"timeout": 2}, 2.0), ({"timeout": 0.5}, 0.5), ({}, 300.0),
                                                ({"timeout": -1}, 300.0), ({"timeout": "2"}, 300.0),
                                                ({"timeout": True}, 300.0), (None, 300.0)])
def test_timeout_meta(meta: object, expected: float) -> None:
    assert timeout_seconds(meta, 300.0) == expected
