"""The in-process token-bucket rate limiter, on an injected clock."""

from __future__ import annotations

import threading

import pytest

from hetao.auth.ratelimit import RateLimiter


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class TestRateLimiter:
    def test_allows_a_burst_then_returns_a_positive_wait(self) -> None:
        limiter = RateLimiter(rate_per_second=2.0, burst=3, clock=FakeClock())
        assert [limiter.check("gate-1") for _ in range(3)] == [None, None, None]
        wait = limiter.check("gate-1")
        assert wait == pytest.approx(0.5)

    def test_refills_at_the_rate_over_time(self) -> None:
        clock = FakeClock()
        limiter = RateLimiter(rate_per_second=2.0, burst=3, clock=clock)
        for _ in range(3):
            limiter.check("gate-1")
        clock.now += 0.25
        assert limiter.check("gate-1") == pytest.approx(0.25)
        clock.now += 0.25
        assert limiter.check("gate-1") is None
        assert limiter.check("gate-1") == pytest.approx(0.5)

    def test_a_long_pause_refills_no_more_than_the_burst(self) -> None:
        clock = FakeClock()
        limiter = RateLimiter(rate_per_second=10.0, burst=2, clock=clock)
        clock.now += 3600
        assert [limiter.check("k") is None for _ in range(3)] == [True, True, False]

    def test_each_key_has_its_own_bucket(self) -> None:
        limiter = RateLimiter(rate_per_second=1.0, burst=1, clock=FakeClock())
        assert limiter.check("user:chen") is None
        assert limiter.check("user:chen") is not None
        assert limiter.check("device:gate-7") is None

    def test_concurrent_callers_never_exceed_the_burst(self) -> None:
        limiter = RateLimiter(rate_per_second=0.001, burst=50, clock=FakeClock())
        allowed: list[bool] = []
        lock = threading.Lock()

        def hammer() -> None:
            for _ in range(100):
                ok = limiter.check("shared") is None
                with lock:
                    allowed.append(ok)

        threads = [threading.Thread(target=hammer) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sum(allowed) == 50

    def test_forgets_refilled_buckets_beyond_its_key_limit(self) -> None:
        clock = FakeClock()
        limiter = RateLimiter(rate_per_second=1.0, burst=1, clock=clock, max_keys=2)
        limiter.check("a")
        limiter.check("b")
        clock.now += 5
        limiter.check("c")
        assert set(limiter._buckets) == {"c"}

    @pytest.mark.parametrize(("rate", "burst"), [(0.0, 1), (-1.0, 1), (1.0, 0)])
    def test_refuses_a_rate_or_burst_that_allows_nothing(self, rate: float, burst: int) -> None:
        with pytest.raises(ValueError, match="positive"):
            RateLimiter(rate_per_second=rate, burst=burst)
