"""Figures and codes written for people (issue 11, item 11): numbers and money in the reader's locale, human
labels for stored codes, CSV cells without binary float noise, charts without doubled titles and with text
alternatives, the ladder in ladder order and its bars linking to the customers behind them."""

from __future__ import annotations

import csv
import io
import re

import pytest

from companies import demo_company
from patron.api.settings import Settings
from patron.service.charts import inline_svg, ladder_funnel, triage_chart
from patron.service.exports import csv_chunks, safe_cell
from patron.service.runs import current_run
from patron.store.vocabulary import LADDER_STATES, label
from patron.web.formatting import LOCALES, day, money, number, percent, set_locale


def test_codes_read_as_words():
    assert label("face_to_face") == "face to face"
    assert label("cant_lose_them") == "can't lose them"
    assert label("in_progress") == "in progress"
    assert label("nps") == "NPS"
    assert label("XXX") == "" and label(None) == ""


def test_numbers_and_money_in_the_readers_locale():
    en, de, fr = LOCALES["en"], LOCALES["de"], LOCALES["fr"]
    assert money(1120.96, "EUR", loc=en) == "€1,120.96"
    assert money(1120.96, "EUR", loc=de) == "1.120,96\u00a0€"
    assert money(-40, "GBP", loc=en) == "−£40.00"
    assert money(1120.96, "XXX", loc=en) == "1,120.96"  # the placeholder currency is never printed
    assert money(5, "SEK", loc=en) == "SEK5.00"
    assert number(36681.240000000005, 2, loc=en) == "36,681.24"
    assert number(36681.240000000005, 2, loc=fr) == "36\u202f681,24"
    assert number(None) == "–" and number(float("nan")) == "–"
    assert percent(0.256, loc=en) == "26%" and percent(0.256, loc=de) == "26\u00a0%"
    assert day("2025-03-04", loc=de) == "04.03.2025" and day("2025-03-04", loc=en) == "2025-03-04"


def test_the_locale_is_a_setting_and_an_unknown_one_is_refused(monkeypatch):
    monkeypatch.setenv("PATRON_LOCALE", "de-DE")
    assert Settings().locale == "de-DE"
    try:
        assert set_locale(Settings().locale).code == "de"
        assert money(1120.96, "EUR") == "1.120,96\u00a0€"
        with pytest.raises(ValueError, match="Unknown locale 'xx'"):
            set_locale("xx")
    finally:
        set_locale("en")
    assert money(1120.96, "EUR") == "€1,120.96"


def test_csv_cells_are_words_and_round_figures():
    assert safe_cell(36681.240000000005) == "36681.24"
    assert safe_cell(3.0) == "3" and safe_cell(float("nan")) == ""
    text = "".join(csv_chunks(["party_id", "rfm_segment", "channel", "revenue", "currency"],
                              [[{"party_id": 1, "rfm_segment": "cant_lose_them", "channel": "face_to_face",
                                 "revenue": 1120.9600000000001, "currency": "XXX"}]]))
    row = list(csv.DictReader(io.StringIO(text)))[0]
    assert row == {"Customer number": "1", "RFM segment": "can't lose them", "Channel": "face to face",
                   "Revenue": "1120.96", "Currency": ""}  # headers in words, values as programs read them


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    store = demo_company(tmp_path_factory.mktemp("charts"), 200, 3)
    yield store, current_run(store)
    store.close()


def test_charts_have_no_doubled_title_a_text_alternative_and_horizontal_labels(scored):
    store, run = scored
    for chart in (ladder_funnel(store, run), triage_chart(store, run)):
        svg = inline_svg(chart)
        opening = svg[:svg.index(">")]
        assert 'role="figure"' in opening and 'aria-label="' in opening  # the text alternative
        assert "Ladder of loyalty</text>" not in svg and "Triage: value" not in svg  # the page's heading is the title
        assert "rotate(" not in svg.replace("rotate(-90)", "")  # only the y axis title stands up
        assert "vega.github.io" not in svg


def test_the_ladder_reads_in_ladder_order_and_each_bar_opens_its_customers(scored):
    store, run = scored
    svg = inline_svg(ladder_funnel(store, run))
    bars = re.findall(r'<a xlink:href="/segments/rung/(\w+)"', svg)
    assert bars == list(reversed(LADDER_STATES))  # partner at the top, down to suspect and the lapsed
    alternative = re.search(r'aria-label="([^"]+)"', svg).group(1)
    assert alternative.index("partner") < alternative.index("client") < alternative.index("suspect")
    counts = dict(store.query("SELECT rung, count(*) FROM scores WHERE run_id = ? GROUP BY rung", [run]))
    assert f"client {counts.get('client', 0):,}" in alternative
    cells = set(re.findall(r'<a xlink:href="/segments/triage/(\w+)"', inline_svg(triage_chart(store, run))))
    assert cells and cells <= {"best", "average", "worst"}
