"""Typing text values in SQL, deliberately.

Amounts
    A currency code at either end, currency signs, spaces and apostrophes
    are dropped; any other letter makes the value invalid; ``(12.50)`` and a
    trailing minus are negative. The decimal separator is the mapping's
    ``decimal`` option, or detected once per file from values that can only
    be read one way (``12,50`` or ``1.234,5`` mean a decimal comma;
    ``12.50`` or ``1,234.5`` a decimal point). A file whose values point
    both ways is refused with a message asking for ``decimal``. Values such
    as ``1,234`` that fit both readings follow the file's separator.
Timestamps
    Values with an offset (``+02:00``, ``Z``) are converted to UTC. Values
    without one are read in the mapping's ``timezone`` (UTC by default) and
    converted to UTC; a bare date (no time of day) is kept at its own
    midnight. The layout is the mapping's ``date_format`` (strptime)
    or detected from a sample; a layout where day and month could be either
    way round (``03/04/2024``) is refused unless some value settles it.
Choices
    Lower-cased, spaces and hyphens turned to ``_``, common synonyms mapped
    (``telephone`` -> ``phone``, ``e-mail`` -> ``email``); anything else is
    rejected with the list of accepted values.
"""

from __future__ import annotations

from patron.errors import ImportRejected
from patron.ingest.fields import Field

DATE_LAYOUTS = (
    "%Y%m%d",
    "%d/%m/%Y %H:%M:%S", "%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M", "%d/%m/%Y", "%m/%d/%Y",
    "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y",
    "%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M", "%d-%m-%Y",
    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d",
    "%d/%m/%y", "%m/%d/%y",
)
ISO = "iso"
OFFSET_RE = r"(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)$"

SYNONYMS: dict[str, dict[str, str]] = {
    "channel": {
        "telephone": "phone", "call": "phone", "tel": "phone", "voice": "phone", "e_mail": "email",
        "mail": "email", "f2f": "face_to_face", "in_person": "face_to_face", "meeting": "face_to_face",
        "visit": "face_to_face", "store": "face_to_face", "live_chat": "chat", "webchat": "chat",
        "website": "web", "online": "web", "web_form": "web", "post": "letter", "text": "sms",
        "trade_show": "event", "fair": "event", "seminar": "event",
    },
    "direction": {"in": "inbound", "incoming": "inbound", "out": "outbound", "outgoing": "outbound"},
    "phase": {"pre": "before", "pre_sale": "before", "presale": "before", "during_sale": "during",
              "sale": "during", "post": "after", "post_sale": "after", "aftersales": "after",
              "after_sales": "after"},
    "department": {"customer_service": "service", "support": "service", "customer_care": "service",
                   "accounts": "billing", "finance": "billing", "sales_team": "sales"},
    "instrument": {"net_promoter": "nps", "net_promoter_score": "nps", "satisfaction": "csat",
                   "customer_effort": "ces", "effort": "ces", "mystery_shop": "mystery_shopper",
                   "mystery_shopping": "mystery_shopper"},
    "severity": {"minor": "low", "normal": "medium", "major": "high", "urgent": "critical",
                 "p1": "critical", "p2": "high", "p3": "medium", "p4": "low"},
    "status": {"new": "open", "pending": "in_progress", "in_progress": "in_progress", "working": "in_progress",
               "solved": "resolved", "done": "resolved", "fixed": "resolved"},
    "kind": {"sale": "order", "purchase": "order", "return": "refund", "credit": "refund",
             "credit_note": "refund", "bill": "invoice", "organization": "organisation",
             "company": "organisation", "business": "organisation", "individual": "person",
             "consumer": "person", "contact": "person"},
    "category": {"client": "customer", "lead": "prospect", "vendor": "supplier", "staff": "employee",
                 "charity": "non_profit", "nonprofit": "non_profit", "public_sector": "government"},
}
TRUE_WORDS = ("1", "true", "yes", "y", "t", "granted", "opt_in", "opted_in", "subscribed", "on", "consent")
FALSE_WORDS = ("0", "false", "no", "n", "f", "withdrawn", "opt_out", "opted_out", "unsubscribed", "off",
               "revoked", "denied")


def q(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def cleaned(expr: str) -> str:
    """Trimmed text, with empty values and common null markers as NULL."""
    # Most values need no trimming: they are tested for it (cheap) instead of trimmed (a copy of
    # every value). The length test keeps lower() off the long values that cannot be a marker.
    markers = "('null', 'none', 'nan', 'n/a', 'na', '-')"
    padded = (f"CASE WHEN length(trim({expr})) = 0 OR (length({expr}) <= 6 AND lower(trim({expr})) IN {markers}) "
              f"THEN NULL ELSE trim({expr}) END")
    return (f"CASE WHEN {expr} = '' OR starts_with({expr}, ' ') OR ends_with({expr}, ' ') THEN {padded} "
            f"WHEN length({expr}) <= 6 AND lower({expr}) IN {markers} THEN NULL ELSE {expr} END")


def first_of(*exprs: str) -> str:
    """``coalesce(...)`` that evaluates a later expression only where the earlier ones are NULL.

    DuckDB's ``coalesce`` computes every argument for every row: with a
    cheap cast first and a regular-expression clean-up second, the clean-up
    would run on all values instead of the few the cast cannot read.
    """
    *head, last = exprs
    sql = last
    for e in reversed(head):
        sql = f"CASE WHEN {e} IS NOT NULL THEN {e} ELSE {sql} END"
    return sql


# -- numbers -----------------------------------------------------------------

def _strip_number(expr: str) -> str:
    # A currency code before or after the amount ("EUR 12,50", "12.50 usd"), currency
    # signs, spaces and apostrophes (thousands in some locales) go. Any other letter
    # stays, so that "1O,00" (a letter O) is refused rather than read as 1.00.
    code = "'^[A-Za-z]{3}[.]?\\s*|\\s*[A-Za-z]{3}[.]?$'"
    return f"regexp_replace(regexp_replace({expr}, {code}, ''), '[\\s€$£¥''’]', '', 'g')"


def number_sql(expr: str, decimal: str, target: str, plain: str | None = None) -> str:
    """SQL reading a cleaned text value as a number with the given decimal separator.

    ``plain`` names a column holding :func:`plain_cast` of the value, computed
    once beside it: a ``CASE`` that tests a cast and then returns it would
    compute the cast twice.
    """
    s = _strip_number(expr)
    s = f"replace(replace({s}, '.', ''), ',', '.')" if decimal == "," else f"replace({s}, ',', '')"
    negative = f"((starts_with({s}, '(') AND ends_with({s}, ')')) OR ends_with({s}, '-'))"
    slow = (f"CASE WHEN {negative} THEN -TRY_CAST(trim({s}, '()-') AS {target}) "
            f"ELSE TRY_CAST({s} AS {target}) END")
    if decimal == ".":
        # Most values are plain numbers: try them as they are before cleaning.
        return first_of(plain or f"TRY_CAST({expr} AS {target})", slow)
    return slow


def plain_cast(expr: str, f: Field, decimal: str) -> str | None:
    """The cheap first reading of a number written plainly (``12.50``), or None where there is none."""
    if f.type in ("money", "number") and decimal == ".":
        return f"TRY_CAST({expr} AS {'DECIMAL(18, 4)' if f.type == 'money' else 'DOUBLE'})"
    return None


def detect_decimal(con, table: str, exprs: list[str], where: str) -> str:
    """'.' or ',' for the file, from values that can only be read one way."""
    if not exprs:
        return "."
    comma_only = r"'^[^.]*[0-9],[0-9]{1,2}$|^[^.]*[0-9],[0-9]{4,}$|\.[0-9]{3},[0-9]+$'"
    point_only = r"'^[^,]*[0-9]\.[0-9]{1,2}$|^[^,]*[0-9]\.[0-9]{4,}$|,[0-9]{3}\.[0-9]+$'"
    parts = []
    for e in exprs:
        v = _strip_number(e)
        parts.append(f"SELECT count(*) FILTER (regexp_matches({v}, {comma_only})) AS c, "
                     f"count(*) FILTER (regexp_matches({v}, {point_only})) AS p "
                     f"FROM (SELECT * FROM {table} {where} LIMIT 20000) WHERE {e} IS NOT NULL")
    c, p = con.execute(f"SELECT sum(c), sum(p) FROM ({' UNION ALL '.join(parts)})").fetchall()[0]
    c, p = int(c or 0), int(p or 0)
    if c and p:
        raise ImportRejected(
            f"Amounts in this file use both a decimal comma ({c} values) and a decimal point ({p} values). "
            "Say which one the file uses with decimal = \",\" or \".\" in the mapping's [options]."
        )
    return "," if c else "."


# -- timestamps --------------------------------------------------------------

def _local_sql(expr: str, layout: str) -> str:
    if layout == ISO:
        return f"TRY_CAST({expr} AS TIMESTAMP)"
    return f"TRY_STRPTIME({expr}, {q(layout)})"


def timestamp_sql(expr: str, layout: str | list[str], timezone: str, as_date: bool = False) -> str:
    """SQL reading a cleaned text value as a naive UTC timestamp (or a date).

    ``layout`` is ``'iso'``, a strptime format, or a list of them tried in order.
    """
    layouts = [layout] if isinstance(layout, str) else list(layout)
    zone = q(timezone)
    with_offset = f"timezone('UTC', TRY_CAST({expr} AS TIMESTAMPTZ))"
    zoned = [lay for lay in layouts if "%z" in lay or "%Z" in lay]
    if zoned:
        with_offset = first_of(
            *[f"timezone('UTC', TRY_STRPTIME({expr}, {q(lay)})::TIMESTAMPTZ)" for lay in zoned], with_offset)
    plain = [lay for lay in layouts if lay not in zoned] or [ISO]
    local = first_of(*[_local_sql(expr, lay) for lay in plain])
    if as_date:
        # A date has no time of day to shift: read it as written.
        return f"CAST({first_of(local, f'TRY_CAST({expr} AS TIMESTAMP)')} AS DATE)"
    # A value without a time of day is a date, not an instant: it is kept as written
    # (midnight), never shifted into the day before by the zone.
    local_utc = (local if timezone.upper() == "UTC" else
                 f"CASE WHEN contains({expr}, ':') THEN timezone('UTC', timezone({zone}, {local})) ELSE {local} END")
    return (f"CASE WHEN {expr} IS NULL THEN NULL "
            f"WHEN {has_offset(expr)} THEN {with_offset} "
            f"ELSE {local_utc} END")


def has_offset(expr: str) -> str:
    """SQL: the value ends with a UTC offset (``Z``, ``+02``, ``-0500``, ``+02:00``).

    The regular expression runs only on values whose last six characters
    could hold one: on millions of timestamps it cost more than the cast.
    """
    tail = f"right({expr}, 6)"
    return (f"CASE WHEN ends_with({expr}, 'Z') OR ends_with({expr}, 'z') OR contains({tail}, '+') "
            f"OR contains({tail}, '-') THEN regexp_matches({expr}, {q(OFFSET_RE)}) ELSE false END")


def detect_layout(con, table: str, expr: str, column: str, file_name: str) -> str:
    """The layout of a timestamp column, from a sample of its values."""
    sample = f"(SELECT {expr} AS v FROM {table} WHERE {expr} IS NOT NULL LIMIT 5000)"
    total = con.execute(f"SELECT count(*) FROM {sample}").fetchall()[0][0]
    if total == 0:
        return ISO
    candidates = [ISO, *DATE_LAYOUTS]
    counts = con.execute(
        "SELECT " + ", ".join(
            (f"count(*) FILTER (TRY_CAST(v AS TIMESTAMP) IS NOT NULL OR "
             f"(regexp_matches(v, {q(OFFSET_RE)}) AND TRY_CAST(v AS TIMESTAMPTZ) IS NOT NULL))")
            if c == ISO else f"count(*) FILTER (TRY_STRPTIME(v, {q(c)}) IS NOT NULL)"
            for c in candidates
        ) + f" FROM {sample}"
    ).fetchall()[0]
    best = max(counts)
    if best == 0:
        example = con.execute(f"SELECT v FROM {sample} LIMIT 1").fetchall()[0][0]
        raise ImportRejected(
            f"{file_name}: cannot tell how dates are written in column '{column}' (e.g. {example!r}). "
            "Give date_format in the mapping's [options], e.g. date_format = \"%d/%m/%Y %H:%M\"."
        )
    winners = [c for c, n in zip(candidates, counts) if n == best]
    if ISO in winners:
        return ISO
    day_first = [c for c in winners if c.startswith("%d/")]
    month_first = [c for c in winners if c.startswith("%m/")]
    if day_first and month_first:
        # Settle it on the whole column: a value with a first part above 12 is day-first.
        dd, mm = day_first[0], month_first[0]
        ok_dd, ok_mm = con.execute(
            f"SELECT count(*) FILTER (TRY_STRPTIME(v, {q(dd)}) IS NOT NULL), "
            f"count(*) FILTER (TRY_STRPTIME(v, {q(mm)}) IS NOT NULL) "
            f"FROM (SELECT {expr} AS v FROM {table} WHERE {expr} IS NOT NULL)"
        ).fetchall()[0]
        if ok_dd == ok_mm:
            raise ImportRejected(
                f"{file_name}: dates in column '{column}' could be day-first or month-first "
                "(no day above 12 settles it). Give date_format in the mapping's [options], "
                f"e.g. date_format = \"{dd}\" or \"{mm}\"."
            )
        return dd if ok_dd > ok_mm else mm
    return winners[0]


# -- choices and booleans ----------------------------------------------------

def choice_sql(expr: str, f: Field) -> str:
    norm = f"regexp_replace(lower(trim({expr})), '[^0-9a-z]+', '_', 'g')"
    synonyms = SYNONYMS.get(f.name, {})
    cases = " ".join(f"WHEN {q(k)} THEN {q(v)}" for k, v in synonyms.items())
    mapped = f"CASE {norm} {cases} ELSE {norm} END" if cases else norm
    allowed = ", ".join(q(c) for c in f.choices)
    return f"CASE WHEN {mapped} IN ({allowed}) THEN {mapped} ELSE NULL END"


def boolean_sql(expr: str) -> str:
    norm = f"regexp_replace(lower(trim({expr})), '[^0-9a-z]+', '_', 'g')"
    return (f"CASE WHEN {norm} IN ({', '.join(q(w) for w in TRUE_WORDS)}) THEN TRUE "
            f"WHEN {norm} IN ({', '.join(q(w) for w in FALSE_WORDS)}) THEN FALSE ELSE NULL END")


def typed_sql(expr: str, f: Field, *, decimal: str, layout: str | list[str] | None, timezone: str,
              plain: str | None = None) -> str:
    """SQL turning a cleaned text value into the field's type (NULL when it cannot).

    ``plain``: the column holding :func:`plain_cast` of the value, if the caller computed it.
    """
    if f.type == "money":
        return number_sql(expr, decimal, "DECIMAL(18, 4)", plain)
    if f.type == "number":
        return number_sql(expr, decimal, "DOUBLE", plain)
    if f.type in ("timestamp", "date"):
        return timestamp_sql(expr, layout or ISO, timezone, as_date=f.type == "date")
    if f.type == "choice":
        return choice_sql(expr, f)
    if f.type == "boolean":
        return boolean_sql(expr)
    return expr


def problem_text(f: Field) -> str:
    return {
        "money": "is not an amount",
        "number": "is not a number",
        "timestamp": "is not a date and time",
        "date": "is not a date",
        "boolean": "is not yes/no",
        "choice": "is not one of: " + ", ".join(f.choices),
    }.get(f.type, "is not valid")
