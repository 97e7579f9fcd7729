"""A survey tool's wide export becomes the long layout, and the survey-long preset imports it with its
scales, SERVQUAL expectation, perception and zone of tolerance, and where the experience happened."""

from __future__ import annotations

import pytest

from patron.areas.quality.references import zone_of_tolerance
from patron.areas.quality.service import feedback_report
from patron.errors import InvalidInput
from patron.ingest import import_file
from patron.ingest.survey_layouts import convert_wide_file, wide_to_long

WIDE = """Response ID,Respondent,Submitted At,NPS,CSAT_5,E_REL1,P_REL1,A_REL1,D_REL1,P_EMP2,touchpoint,Comment,Browser
r1,c1,2025-03-01 10:00:00,10,5,7,5,4,7,6,after,Great beans,Firefox
r2,c2,2025-03-02 11:00:00,3,,6,3,4,6,,during,,Chrome
r3,c3,2025-03-03 12:00:00,,2,,,,,,before,,Safari
"""


def test_wide_to_long_by_hand():
    text, summary = wide_to_long(WIDE)
    lines = text.strip().splitlines()
    assert summary == {"responses": 3, "answers": 7, "ignored_columns": ["Browser"]}
    assert lines[1].startswith("r1,c1,2025-03-01 10:00:00,nps,nps,,10,10,")  # nps on 0-10, comment on it
    assert lines[1].endswith(",after,Great beans")
    assert "r1,c1,2025-03-01 10:00:00,servqual,REL1,reliability,,7,7,5,4,7,,,after," in text
    assert "r1,c1,2025-03-01 10:00:00,servqual,EMP2,empathy,,7,,6,,,,,after," in text
    with pytest.raises(InvalidInput, match="has no scale"):
        wide_to_long("respondent,date,csat\nc1,2025-01-01,4\n")
    with pytest.raises(InvalidInput, match="respondent column"):
        wide_to_long("who,date,nps\nc1,2025-01-01,4\n")


def test_converted_survey_imports_with_the_long_preset(store, tmp_path):
    wide = tmp_path / "wide.csv"
    wide.write_text(WIDE)
    long = tmp_path / "long.csv"
    assert convert_wide_file(wide, long)["answers"] == 7
    report = import_file(store, long, "feedback", preset="survey-long", create_parties=True)
    # the perception-only EMP2 answer is refused, with its reason: a gap needs both halves
    assert report.accepted == 6 and report.rejected == 1
    assert "expectation and a perception" in report.reasons[0][0]
    assert store.scalar("SELECT count(DISTINCT external_id) FROM feedback") == 6
    nps = feedback_report(store, None, "nps", by="touchpoint")["scales"][0]
    assert nps["overall"]["n"] == 2 and {g["group"] for g in nps["groups"]} == {"after", "during"}
    csat = feedback_report(store, None, "csat")["scales"][0]
    assert csat["scale_max"] == 5 and csat["overall"]["n"] == 2
    zone = {d["dimension"]: d for d in zone_of_tolerance(store, None)["dimensions"]}
    assert zone["reliability"]["answers"] == 2 and zone["reliability"]["adequate"] == pytest.approx(4)
    assert zone["reliability"]["perceived"] == pytest.approx(4) and zone["reliability"]["desired"] == pytest.approx(6.5)
    # importing the same file again adds nothing: each answer is named by its response and item
    assert import_file(store, long, "feedback", preset="survey-long", create_parties=True).accepted == 0
