"""Survey layouts: the wide layout survey tools export (one row per response, one column per item) turned into
the long layout patron imports with the ``survey-long`` preset (one row per answered item).

Wide columns are recognised by name (case, spaces and hyphens do not matter):

- ``respondent`` (or ``customer``, ``email``): the customer key; ``submitted_at`` (or ``date``); optionally
  ``response_id`` (else the row number), ``channel``, ``department``, ``touchpoint`` and ``comment``, which
  every answer of the response carries (the comment only its first answer);
- ``nps``: the 0-10 recommendation question; ``csat_<N>`` and ``ces_<N>``: those instruments on a 1..N scale
  (a bare ``csat`` or ``ces`` is refused: a score needs its scale);
- SERVQUAL items by their code: ``E_<code>`` the expectation, ``P_<code>`` the perception and optionally
  ``A_<code>`` / ``D_<code>`` the adequate and desired levels, on a 1-7 scale; the dimension comes from the
  code's prefix (TAN, REL, RES, ASS, EMP, as patron's built-in instrument names them).

Any other column is reported, not guessed.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from patron.errors import InvalidInput

PREFIX_DIMENSION = {"TAN": "tangibles", "REL": "reliability", "RES": "responsiveness", "ASS": "assurance",
                    "EMP": "empathy"}
LONG_COLUMNS = ("response_id", "customer", "submitted_at", "survey", "question", "dimension", "answer", "scale",
                "expected", "perceived", "adequate", "desired", "channel", "department", "touchpoint", "comment")
KEY_NAMES = ("respondent", "customer", "email")
DATE_NAMES = ("submitted_at", "date")
CARRIED = ("channel", "department", "touchpoint")
SERVQUAL_PART = {"e": "expected", "p": "perceived", "a": "adequate", "d": "desired"}


def _norm(name: str) -> str:
    """``Submitted At`` and ``submitted-at`` are ``submitted_at``."""
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _layout(header: list[str]) -> tuple[dict, list]:
    lower = {_norm(h): h for h in header}
    key = next((lower[n] for n in KEY_NAMES if n in lower), None)
    date = next((lower[n] for n in DATE_NAMES if n in lower), None)
    if key is None or date is None:
        raise InvalidInput("A wide survey file needs a respondent column (respondent, customer or email) and a "
                           "date column (submitted_at or date).")
    plan = {"key": key, "date": date, "id": lower.get("response_id"), "comment": lower.get("comment"),
            "carried": {c: lower[c] for c in CARRIED if c in lower}, "scores": [], "servqual": {}}
    used = {key, date, *filter(None, (plan["id"], plan["comment"])), *plan["carried"].values()}
    unknown = []
    for h in header:
        if h in used:
            continue
        name = _norm(h)
        m = re.fullmatch(r"(csat|ces)_(\d+)", name)
        if name == "nps":
            plan["scores"].append((h, "nps", 10.0))
        elif m:
            plan["scores"].append((h, m.group(1), float(m.group(2))))
        elif name in ("csat", "ces"):
            raise InvalidInput(f"Column '{h}' has no scale: name it {name}_5 (or the scale's top) so the score "
                               "is read on its declared scale.")
        elif (m := re.fullmatch(r"([epad])_(([a-z]{3})\d+)", name)) and m.group(3).upper() in PREFIX_DIMENSION:
            plan["servqual"].setdefault(m.group(2).upper(), {})[SERVQUAL_PART[m.group(1)]] = h
        else:
            unknown.append(h)
    if not plan["scores"] and not plan["servqual"]:
        raise InvalidInput("The wide survey file has no item columns (nps, csat_<N>, ces_<N>, E_/P_<item code>).")
    return plan, unknown


def wide_to_long(text: str) -> tuple[str, dict]:
    """The long CSV (header :data:`LONG_COLUMNS`) of a wide survey CSV, and a summary with ignored columns."""
    reader = csv.DictReader(io.StringIO(text))
    plan, unknown = _layout(list(reader.fieldnames or []))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(LONG_COLUMNS)
    responses = answers = 0
    for n, row in enumerate(reader, 1):
        responses += 1
        rid = (row.get(plan["id"]) or "").strip() if plan["id"] else ""
        rid = rid or f"row{n}"
        carried = {c: (row.get(col) or "").strip() for c, col in plan["carried"].items()}
        comment = (row.get(plan["comment"]) or "").strip() if plan["comment"] else ""
        base = {"response_id": rid, "customer": row[plan["key"]], "submitted_at": row[plan["date"]], **carried}
        lines = []
        for col, instrument, scale in plan["scores"]:
            value = (row.get(col) or "").strip()
            if value:
                lines.append(dict(base, survey=instrument, question=instrument, answer=value, scale=f"{scale:g}"))
        for code, parts in plan["servqual"].items():
            values = {k: (row.get(c) or "").strip() for k, c in parts.items()}
            if any(values.values()):
                lines.append(dict(base, survey="servqual", question=code, dimension=PREFIX_DIMENSION[code[:3]],
                                  scale="7", **values))
        if lines and comment:
            lines[0]["comment"] = comment
        for line in lines:
            writer.writerow([line.get(c, "") for c in LONG_COLUMNS])
        answers += len(lines)
    return out.getvalue(), {"responses": responses, "answers": answers, "ignored_columns": unknown}


def convert_wide_file(path: str | Path, out: str | Path) -> dict:
    """Write the long layout of the wide survey file ``path`` to ``out``; returns the summary."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"There is no file {path}.")
    text, summary = wide_to_long(path.read_text(encoding="utf-8-sig"))
    Path(out).write_text(text, encoding="utf-8")
    return summary
