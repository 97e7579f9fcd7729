"""Download names in any script make a valid Content-Disposition header (RFC 6266 / RFC 5987)."""

from __future__ import annotations

from urllib.parse import unquote

from starlette.responses import Response

from patron.service.exports import attachment


def test_non_latin1_names_make_a_valid_header():
    for name in ("patron-rung-Stammkunde.csv", "patron-rfm-Постоянные клиенты.csv", "patron-x-常客.csv",
                 'patron-a"b\\c/d\r\nSet-Cookie: x=1.csv'):
        value = attachment(name)
        value.encode("latin-1")  # what an HTTP header must be
        Response(headers={"Content-Disposition": value})  # starlette raised UnicodeEncodeError: a 500
        assert "\r" not in value and "\n" not in value
        fallback = value.split('filename="')[1].split('"')[0]
        assert fallback.isascii() and fallback.endswith(".csv")
        exact = unquote(value.split("filename*=UTF-8''")[1])
        assert exact == "".join(c for c in name if c.isprintable() and c not in '"\\/')


def test_every_leading_character_a_spreadsheet_runs_is_escaped():
    import csv
    import io

    from patron.service.exports import csv_chunks

    hostile = ['=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "-2+3+cmd|x", "@SUM(1+1)",
               "\t=1+1", "\r=1+1"]
    text = "".join(csv_chunks(["name", "amount"], [[{"name": h, "amount": -12.5} for h in hostile]]))
    rows = list(csv.reader(io.StringIO(text, newline="")))[1:]
    assert [r[0] for r in rows] == ["'" + h for h in hostile]
    assert {r[1] for r in rows} == {"-12.5"}  # a negative number stays a number
