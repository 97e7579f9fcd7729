"""Numbers, money, shares and dates as the pages show them, in the reader's locale (``PATRON_LOCALE``, default en).

Every figure on a page goes through one of these (Jinja filters ``number``, ``money``, ``percent``, ``day``,
``label``), so a German reader sees ``1.120,96 €`` where an English one sees ``€1,120.96``, and nobody sees
``1120.96 EUR``, ``36681.240000000005`` or the placeholder currency ``XXX``. The rules are small enough to
keep here (separators, where the currency symbol goes) rather than pull in a locale database.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal

from patron.store.vocabulary import label

__all__ = ["LOCALES", "Locale", "day", "label", "locale", "money", "number", "percent", "set_locale"]


@dataclass(frozen=True)
class Locale:
    """How one locale writes numbers: the decimal mark, the thousands separator, money's pattern."""

    code: str
    decimal: str
    group: str
    #: ``{symbol}`` and ``{amount}``: "€1,120.96" (en) or "1.120,96 €" (de)
    money: str
    percent: str = "{value}%"
    date: str = "%Y-%m-%d"


LOCALES = {
    "en": Locale("en", ".", ",", "{symbol}{amount}"),
    "en-gb": Locale("en-gb", ".", ",", "{symbol}{amount}", date="%d %b %Y"),
    "de": Locale("de", ",", ".", "{amount}\u00a0{symbol}", "{value}\u00a0%", "%d.%m.%Y"),
    "fr": Locale("fr", ",", "\u202f", "{amount}\u00a0{symbol}", "{value}\u00a0%", "%d/%m/%Y"),
    "nl": Locale("nl", ",", ".", "{symbol}\u00a0{amount}", date="%d-%m-%Y"),
}
#: The symbols people know; any other currency is written with its code.
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CHF": "CHF", "INR": "₹"}

_current = LOCALES["en"]


def set_locale(code: str | None) -> Locale:
    """Use the locale ``code`` (``en``, ``de``, ``fr``, ``nl``, ``en-GB``); an unknown one is refused by name."""
    global _current
    key = (code or "en").strip().lower().replace("_", "-")
    if key not in LOCALES and key.split("-")[0] in LOCALES:
        key = key.split("-")[0]
    if key not in LOCALES:
        raise ValueError(f"Unknown locale {code!r}; patron knows {', '.join(sorted(LOCALES))}.")
    _current = LOCALES[key]
    return _current


def locale() -> Locale:
    return _current


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(value, digits: int = 0, loc: Locale | None = None, sign: bool = False) -> str:
    """``value`` with ``digits`` decimals and the locale's separators ("36,681.24"); nothing for a missing value;
    ``sign``: a change, with its sign ("+12.50", "−3.00")."""
    if _missing(value):
        return "–"
    loc = loc or _current
    text = f"{float(value) if not isinstance(value, Decimal) else value:{'+' if sign else ''},.{digits}f}"
    return text.replace(",", "\x00").replace(".", loc.decimal).replace("\x00", loc.group).replace("-", "−") \
        if sign else text.replace(",", "\x00").replace(".", loc.decimal).replace("\x00", loc.group)


def money(value, currency: str | None = None, digits: int = 2, loc: Locale | None = None) -> str:
    """An amount with its currency, as the locale writes it ("€1,120.96"); without a known currency, the number."""
    if _missing(value):
        return "–"
    loc = loc or _current
    amount = number(abs(value), digits, loc)
    sign = "−" if value < 0 else ""
    if not currency or currency == "XXX":
        return sign + amount
    return sign + loc.money.format(symbol=SYMBOLS.get(currency.upper(), currency.upper()), amount=amount)


def percent(value, digits: int = 0, loc: Locale | None = None, sign: bool = False) -> str:
    """A share (0.25) as a percentage ("25%"); ``sign``: a change in points, with its sign ("+2.5%")."""
    if _missing(value):
        return "–"
    loc = loc or _current
    return loc.percent.format(value=number(float(value) * 100, digits, loc, sign))


def day(value, loc: Locale | None = None) -> str:
    """A date (or the day of a timestamp) as the locale writes it."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return value.strftime((loc or _current).date)
