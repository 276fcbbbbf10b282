"""A token bucket per user: a burst of requests at once, then a steady refill rate."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.core.i18n import _


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    """``take(key)`` spends a token and returns 0, or returns the seconds until one is available.

    Buckets that have refilled completely carry no information, so they are dropped once there
    are many keys; memory stays bounded by the number of recently active users.
    """

    def __init__(
        self,
        per_minute: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        prune_above: int = 10_000,
    ) -> None:
        if per_minute <= 0 or burst < 1:
            raise ValueError("rate limit needs a positive rate and a burst of at least 1")
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._clock = clock
        self._prune_above = prune_above
        self._buckets: dict[str, _Bucket] = {}

    def _refilled(self, bucket: _Bucket, now: float) -> float:
        return min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate)

    def take(self, key: str) -> float:
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._prune_above:
                self._prune(now)
            bucket = self._buckets[key] = _Bucket(self.burst, now)
        bucket.tokens, bucket.stamp = self._refilled(bucket, now), now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate

    def give_back(self, key: str) -> None:
        """Return the token ``take`` spent on a request that was then refused."""
        bucket = self._buckets.get(key)
        if bucket is not None:
            bucket.tokens = min(self.burst, bucket.tokens + 1.0)

    def _prune(self, now: float) -> None:
        full = [k for k, b in self._buckets.items() if self._refilled(b, now) >= self.burst]
        for key in full:
            del self._buckets[key]


def wait_message(seconds: float) -> str:
    return _("Easy there — you can generate again in {seconds} s.", seconds=max(1, math.ceil(seconds)))
