from services.gateway.ratelimit import TokenBuckets


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_bursts_up_to_the_rate_then_waits() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(3, clock=clock)
    assert [buckets.take("org") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = buckets.take("org")
    assert 0.33 <= wait <= 0.34
    clock.now += 0.34
    assert buckets.take("org") == 0.0


def test_organisations_are_limited_separately() -> None:
    buckets = TokenBuckets(1, clock=FakeClock())
    assert buckets.take("a") == 0.0
    assert buckets.take("a") > 0
    assert buckets.take("b") == 0.0


def test_idle_time_refills_only_up_to_the_burst() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(2, clock=clock)
    buckets.take("org")
    clock.now += 3600
    assert [buckets.take("org") == 0.0 for _ in range(3)] == [True, True, False]
