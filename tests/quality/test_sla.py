"""Business-hours service-level clocks across weekends, holidays and pauses; a breach and its escalation."""

from __future__ import annotations

import datetime as dt

import pytest

from patron.areas.complaints.sla import Calendar, Policy, ServiceLevels, service_levels_from_toml
from patron.errors import InvalidInput

CONFIG = """
[calendar]
opens = 9
closes = 17
workdays = "Mon Tue Wed Thu Fri"
holidays = ["2025-12-25", "2025-12-26"]

[[policy]]
first_response_hours = 8
resolution_hours = 24
escalate_to = "service"

[[policy]]
severity = "critical"
first_response_hours = 2
resolution_hours = 8
escalate_to = "admin"

[[policy]]
category = "billing"
severity = "critical"
first_response_hours = 1
resolution_hours = 4
escalate_to = "billing"
"""
T = dt.datetime


def test_business_hours_skip_nights_weekends_and_holidays():
    cal = service_levels_from_toml(CONFIG).calendar
    # Friday 2025-12-19 16:00 to Monday 22nd 10:00: 1 h Friday + 1 h Monday
    assert cal.hours_between(T(2025, 12, 19, 16), T(2025, 12, 22, 10)) == pytest.approx(2.0)
    # Wednesday 24th 15:00 to Monday 29th 11:00: 2 h + (Christmas, Boxing Day, weekend) + 2 h
    assert cal.hours_between(T(2025, 12, 24, 15), T(2025, 12, 29, 11)) == pytest.approx(4.0)
    # a whole working week of 8-hour days
    assert cal.hours_between(T(2025, 12, 1), T(2025, 12, 8)) == pytest.approx(40.0)
    # adding is the inverse: 4 business hours from Wednesday 24th 15:00 is Monday 29th 11:00
    assert cal.add_hours(T(2025, 12, 24, 15), 4) == T(2025, 12, 29, 11)
    assert cal.add_hours(T(2025, 12, 20, 12), 1) == T(2025, 12, 22, 10)  # a Saturday complaint starts Monday
    with pytest.raises(InvalidInput):
        Calendar(18, 8)


def test_the_most_specific_policy_wins_and_pauses_stop_the_clock():
    levels = service_levels_from_toml(CONFIG)
    assert levels.policy_for("delivery", "low").resolution_hours == 24
    assert levels.policy_for("delivery", "critical").resolution_hours == 8
    assert levels.policy_for("billing", "critical").resolution_hours == 4
    c = {"opened_at": T(2025, 12, 22, 9), "category": "delivery", "severity": "medium", "first_response_at": None,
         "resolved_at": None}
    # Monday 9:00 to Tuesday 15:00: 14 business hours; first response (8 h) breached, escalated to service
    clocks = levels.complaint_clocks(c, T(2025, 12, 23, 15))
    assert clocks["first_response"].used_hours == pytest.approx(14)
    assert clocks["first_response"].state == "breached" and clocks["first_response"].escalate_to == "service"
    assert clocks["first_response"].due == T(2025, 12, 22, 17)
    assert clocks["resolution"].state == "on track"  # 14 of 24
    # waiting for the customer from Monday 12:00 to Tuesday 12:00 (8 business hours) stops both clocks
    pauses = [(T(2025, 12, 22, 12), T(2025, 12, 23, 12))]
    clocks = levels.complaint_clocks(c, T(2025, 12, 23, 15), pauses)
    assert clocks["first_response"].used_hours == pytest.approx(6)
    assert clocks["first_response"].state == "on track"  # 6 of 8: 75%, short of the 80% warning
    assert levels.complaint_clocks(c, T(2025, 12, 23, 16), pauses)["first_response"].state == "warning"  # 7 of 8
    assert clocks["resolution"].due == T(2025, 12, 29, 9) + dt.timedelta(hours=8)  # 32 h: Mon, Tue, Wed, Mon


def test_a_stopped_clock_is_met_or_breached_and_bad_config_is_refused():
    levels = service_levels_from_toml(CONFIG)
    c = {"opened_at": T(2025, 12, 24, 16), "category": "billing", "severity": "critical",
         "first_response_at": T(2025, 12, 29, 9, 30), "resolved_at": T(2025, 12, 29, 14)}
    clocks = levels.complaint_clocks(c, T(2026, 1, 5))
    assert clocks["first_response"].used_hours == pytest.approx(1.5)  # 1 h on the 24th, 0.5 h on the 29th
    assert clocks["first_response"].state == "breached" and clocks["first_response"].escalate_to == "billing"
    assert clocks["resolution"].used_hours == pytest.approx(6) and clocks["resolution"].state == "breached"
    with pytest.raises(InvalidInput, match="Policy 1: unknown field"):
        service_levels_from_toml("[[policy]]\nfirst_response_hours = 1\nresolution_hours = 2\nseverity_ = 'x'")
    with pytest.raises(InvalidInput, match="escalated to a role"):
        service_levels_from_toml("[[policy]]\nfirst_response_hours = 1\nresolution_hours = 2\nescalate_to = 'bob'")
    with pytest.raises(InvalidInput, match="No service-level policy"):
        ServiceLevels((Policy(1, 2, severity="low"),)).policy_for("x", "high")


def test_triage_group_policies_and_the_next_response_clock():
    levels = service_levels_from_toml(CONFIG + """
[[policy]]
triage = "protect"
first_response_hours = 1
next_response_hours = 4
resolution_hours = 6
escalate_to = "service"
""")
    # a triage group's policy beats even the billing-and-critical one; others keep theirs
    assert levels.policy_for("billing", "critical", "protect").resolution_hours == 6
    assert levels.policy_for("billing", "critical", "develop").resolution_hours == 4
    assert levels.policy_for("billing", "critical").resolution_hours == 4
    c = {"opened_at": T(2025, 12, 19, 9), "category": "delivery", "severity": "low", "triage": "protect",
         "first_response_at": T(2025, 12, 19, 9, 30), "resolved_at": None,
         "customer_replied_at": T(2025, 12, 19, 15)}  # the customer writes back on Friday at 15:00
    clocks = levels.complaint_clocks(c, T(2025, 12, 22, 11))  # Monday 11:00: 2 h Friday + 2 h Monday
    nxt = clocks["next_response"]
    assert nxt.used_hours == pytest.approx(4) and nxt.state == "warning" and nxt.due == T(2025, 12, 22, 11)
    assert levels.complaint_clocks(c, T(2025, 12, 22, 12))["next_response"].state == "breached"
    answered = dict(c, replied_at=T(2025, 12, 22, 10))
    assert levels.complaint_clocks(answered, T(2025, 12, 23, 12))["next_response"].state == "met"
    # a policy without a next-response target, or no reply from the customer: no such clock
    assert "next_response" not in levels.complaint_clocks(dict(c, triage=None), T(2025, 12, 22, 12))
    assert "next_response" not in levels.complaint_clocks(dict(c, customer_replied_at=None), T(2025, 12, 22, 12))
    with pytest.raises(InvalidInput):
        service_levels_from_toml("[[policy]]\nfirst_response_hours = 1\nresolution_hours = 2\nnext_response_hours = 0")
