"""Control groups: the persistent global holdout and each campaign's random control.

Measuring what a campaign changed needs people who were like the treated ones and were not treated
(seed 001: analysing how customers respond to marketing). Two groups are kept:

- the **global holdout**: a fixed share (1-10%, 5% by default, the setting ``holdout.share``) of all parties
  that no campaign contacts, so the long-run value of all contact together can be measured. Membership is a
  bucket of the party id (0-9999, :func:`holdout_bucket`): the same party is in or out on every run and on
  every engine, and raising the share only adds people (the buckets below the old cut stay in);
- a campaign's **random control**: ``control_share`` of its audience (outside the holdout), drawn from the
  campaign's ``seed`` (:func:`control_bucket`): the same seed draws the same control again.

Both buckets are an affine hash modulo the Mersenne prime 2^31 - 1, computed the same way in Python, in
DuckDB and in PostgreSQL (integer arithmetic only: no engine's own hash function, no float). It is not a
cryptographic hash; it needs only to be stable and to spread any range of ids evenly (at 100k consecutive
ids every 1% band holds 1% within 0.1 point, ``tests/act/test_holdout.py``).
"""

from __future__ import annotations

from patron.errors import InvalidInput

#: The Mersenne prime 2^31 - 1: ids are reduced modulo it, so each product fits in a BIGINT.
PRIME = 2_147_483_647
#: Multipliers and offsets (below ``PRIME``) of the two hashes; fixed forever: changing one reshuffles the holdout.
HOLDOUT_A, HOLDOUT_C = 1_103_515_245, 12_345
CONTROL_A, CONTROL_S, CONTROL_C = 48_271, 69_621, 97_531
BUCKETS = 10_000
#: The setting that holds the holdout's share, and its default (5%) and bounds (1-10%).
HOLDOUT_SETTING = "holdout.share"
DEFAULT_HOLDOUT_SHARE = 0.05
HOLDOUT_SHARE_RANGE = (0.01, 0.10)


def holdout_bucket(party_id: int) -> int:
    """The party's holdout bucket, 0-9999 (the same as :func:`holdout_bucket_sql` computes)."""
    return ((party_id % PRIME) * HOLDOUT_A + HOLDOUT_C) % PRIME % BUCKETS


def holdout_bucket_sql(column: str = "party_id") -> str:
    """SQL of the holdout bucket of ``column`` (a BIGINT party id), on DuckDB and PostgreSQL alike."""
    return f"((({column} % {PRIME}) * {HOLDOUT_A} + {HOLDOUT_C}) % {PRIME} % {BUCKETS})"


def control_bucket(party_id: int, seed: int) -> int:
    """The party's bucket, 0-9999, in the random control of a campaign with ``seed``."""
    mixed = ((party_id % PRIME) * CONTROL_A + (seed % PRIME) * CONTROL_S % PRIME + CONTROL_C) % PRIME
    # A second round, so that neighbouring ids do not fall into neighbouring buckets of one campaign.
    return (mixed * HOLDOUT_A + seed % PRIME) % PRIME % BUCKETS


def control_bucket_sql(seed: int, column: str = "party_id") -> str:
    """SQL of :func:`control_bucket` for ``column``, with the seed written in (an integer)."""
    seed = int(seed) % PRIME
    mixed = f"((({column} % {PRIME}) * {CONTROL_A} + {seed * CONTROL_S % PRIME} + {CONTROL_C}) % {PRIME})"
    return f"(({mixed} * {HOLDOUT_A} + {seed}) % {PRIME} % {BUCKETS})"


def cut(share: float) -> int:
    """The bucket below which a party is in a group of ``share`` (0-1)."""
    return round(share * BUCKETS)


def check_holdout_share(share: float) -> float:
    """The share as a fraction, if it is 1-10%; else :class:`~patron.errors.InvalidInput` in words."""
    low, high = HOLDOUT_SHARE_RANGE
    try:
        share = float(share)
    except (TypeError, ValueError):
        raise InvalidInput(f"The holdout share must be a number between {low} and {high}, not {share!r}.") from None
    if not low <= share <= high:
        raise InvalidInput(f"The holdout share must be between {low:.0%} and {high:.0%} of all customers "
                           f"(asked for {share:.1%}): a smaller one cannot measure anything, a larger one costs "
                           "too many customers' contact.")
    return share


def check_control_share(share: float) -> float:
    try:
        share = float(share)
    except (TypeError, ValueError):
        raise InvalidInput(f"The control share must be a number between 0 and 0.5, not {share!r}.") from None
    if not 0 <= share <= 0.5:
        raise InvalidInput(f"The control share must be between 0 and 0.5 (half the audience), not {share}.")
    return share


def holdout_share(store) -> float:
    """The global holdout's share now (the setting, or 5%)."""
    found = store.query("SELECT value FROM settings WHERE name = ?", [HOLDOUT_SETTING])
    return check_holdout_share(found[0][0]) if found else DEFAULT_HOLDOUT_SHARE
