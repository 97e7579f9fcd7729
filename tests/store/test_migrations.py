"""Migrations are frozen once released: the checksum of each, as it was released.

A store migrated by an older patron has run these statements; editing one would leave that store different
from a new one without anyone knowing. A change to the schema is a new migration (the next number in
``src/patron/store/migrations/``), whose checksum is added here in the commit that adds it.
"""

from __future__ import annotations

from patron.store.migrations import MIGRATIONS

RELEASED = {
    1: "507916a0291628b82b5c0b162f98030b98a889fca3e4a9af1e94145a7bc176fc",
    2: "696bf35dfdf335f4df8d36fdc77196aa6b163b239dddd3886b2a2db0ee4dff5a",
    3: "4827ca58525e3c267c6fe3fe11889711e5b6be689b78c383bbcb58847c044abb",
    4: "a13732052b290ef2df5c716bedbb8ac96be58d926a5df9047eb2b0dfd7db641f",
    5: "e8b668a6ccea0ed79640eff66c839540d784fac9153568bd1eb73ec79445ca54",
    6: "29600c844ee0b76c09dd462e3238613010b286f82c98f48f8a6ece4035f9110b",
    7: "1f04836e753acabd729ae10884f6e22416b19f5c7450bcd29b03bb4b314156bf",
    8: "a59af63f956267ba8ac2ced5587cef6696fc072962e198cc3412c74759fe9cf6",
    9: "7d916da4fbd77a409fbd5334278a4c4560b5d55d58580c8918c28f0a9412a24b",
    10: "98ac1e5ca21319621f8ec14173f121a93b9485f285cd07f385d719cc7faa2515",
    11: "411e1e012370b20f5ed5c5d5690e1b3fba4e7379409bb6f0d1e838898e903db5",
    12: "b06dc12683ad5736fa5c7818f582b090ac5d5f37c3b7b02fde71f5483fbb9af3",
    13: "8d4161a7ed6c9bd2b0c6a1445dc656129b0f88f30bfb60d6a6fb1f11736b5baa",
    14: "ca7b50b7628331c5161788481c03dcd204e7bfcd48314bf5fe65f67e7beca820",
    15: "1338c175509a00faed5d33d9d4c70f9813fdca8e9925be2b1b6f76d6f2d58089",
    16: "22a47e58a3cc9c30e56187a28b3830026808d307dadf317eeb00e74251cf6f3b",
    17: "826ec97dfdd17c8d0c6ee109edbd640573b8a3007a5b7e5c1da1037711a5acbc",
    18: "c56805d33d854fb420d2bea1f10d3a30b224f799ac74109006bd20799659d3af",
    19: "6a990b2975bf588cf55e6ff864c380632d70d43cd7707d774824cd5f340b238c",  # party_search (issue 11; 20 at merge)
    20: "1c5d4d30d0d2765c2a67547721e9dc95937b5626ead11a1c9736858645ca8552",  # score intervals (issue 13; 24 at merge)
    21: "274b09278da0a18422583a58448b627eaa3cbb7ca2ea031f0b5280d3665dac7c",  # holdout override columns (issue 16)
    22: "33476e2c52dc27ab1afb4d7580234d2abe3148e76481e8f1c1851f867b783c0c",  # party_picture, consent_latest (issue 11; 20 in its branch)
    23: "897c0f51ef96efe89d692dfd4b634f0236f63d850a88c8e0d08727940b7304a8",  # interactions.complaint_id (issue 14; 24 at merge)
    24: "a7a43c19053ceb2868c2c4b325becd5f9751187d2cd662ef8cc138b19e399bfa",  # party_search.clv (issue 11)
    25: "7c6c4eb184c81ff3e19098567b6496060a51df9d3b926d56698fb04aeb8986b1",  # complaint_clocks (issue 14; 26 in its branch)
}


def test_released_migrations_are_unchanged():
    changed = [m.version for m in MIGRATIONS if m.version in RELEASED and m.checksum != RELEASED[m.version]]
    assert not changed, (f"migration(s) {changed} changed after release (a vocabulary they use, or their text): "
                         "put the change in a new migration instead")


def test_every_migration_is_recorded_here():
    assert [m.version for m in MIGRATIONS] == sorted(RELEASED), \
        "a new migration: add its version and checksum (Migration.checksum) to RELEASED"
