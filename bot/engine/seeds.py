"""RNG seeds: drawn when a request brings none, derived when one request asks for several texts.

A derived seed is ``base + index``, so every result of ``--count N --seed S`` can be reproduced on
its own with the seed it reports.
"""

from __future__ import annotations

import secrets

from bot.engine.api import InvalidRequestError

SEED_LIMIT = 2**63  # fits a signed 64-bit database column


def draw_seed() -> int:
    return secrets.randbelow(2**32)


def derive_seed(base: int, index: int) -> int:
    return (base + index) % SEED_LIMIT


def check_seed(seed: int) -> int:
    if not 0 <= seed < SEED_LIMIT:
        raise InvalidRequestError("seed must be a whole number from 0 to 2^63-1")
    return seed
