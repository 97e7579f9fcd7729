"""Homophily in the demo's referral chains (issue 15; seed 000's social networks): people refer people like
themselves. A referred customer lives in their referrer's city with probability CITY_SHARE (so their postcode,
phone prefix and country follow), and is of the referrer's age, born within AGE_JITTER_DAYS of them, with
probability AGE_SHARE; the others are drawn as everyone is.

Referrers are always earlier customers, so their city and birth day are known when a referred customer is
drawn: the keeper remembers every customer's (a few bytes each). Its draws come from their own stream per
chunk, so the rest of the demo is what it was without it.
"""

from __future__ import annotations

import numpy as np

CITY_SHARE = 0.6
AGE_SHARE = 0.6
AGE_JITTER_DAYS = 3 * 365


class HomophilyKeeper:
    """Remembers each customer's city and birth day and moves a referred customer's towards their referrer's."""

    def __init__(self, referred_by: np.ndarray):
        self.referred_by = referred_by
        self.city = np.full(len(referred_by), -1, np.int16)
        self.birth = np.zeros(len(referred_by), np.int32)
        self.followed_city = 0
        self.followed_age = 0

    def follow(self, rng: np.random.Generator, lo: int, hi: int, city: np.ndarray,
               birth_days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Customers ``lo..hi``'s city and birth day after following their referrers (chains within the slice
        too: a referrer's own values are settled first, as they came earlier)."""
        n = hi - lo
        ref = self.referred_by[lo:hi]
        same_city = (ref >= 0) & (rng.random(n) < CITY_SHARE)
        same_age = (ref >= 0) & (rng.random(n) < AGE_SHARE)
        jitter = rng.integers(-AGE_JITTER_DAYS, AGE_JITTER_DAYS + 1, n)
        city, birth_days = np.asarray(city).astype(np.int16), np.asarray(birth_days).astype(np.int32)
        self.city[lo:hi], self.birth[lo:hi] = city, birth_days
        src = np.maximum(ref, 0)
        for _ in range(n + 1):  # a chain inside the slice settles one link per round
            new_city = np.where(same_city, self.city[src], city)
            new_birth = np.where(same_age, np.clip(self.birth[src] + jitter, -10957, 12783), birth_days)
            if np.array_equal(new_city, self.city[lo:hi]) and np.array_equal(new_birth, self.birth[lo:hi]):
                break
            self.city[lo:hi], self.birth[lo:hi] = new_city, new_birth
        self.followed_city += int(same_city.sum())
        self.followed_age += int(same_age.sum())
        return self.city[lo:hi].astype(np.int64), self.birth[lo:hi].astype(np.int64)

    def facts(self) -> dict:
        referred = int((self.referred_by >= 0).sum())
        return {"city_share": CITY_SHARE, "age_share": AGE_SHARE, "age_jitter_days": AGE_JITTER_DAYS,
                "referred": referred, "followed_city": self.followed_city, "followed_age": self.followed_age}
