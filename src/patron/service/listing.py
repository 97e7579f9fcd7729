"""List views: filters given as data, server-side sorting, keyset (cursor) paging and totals.

A list view is a query over one area's rows (customers, complaints, interactions) described by plain data, so
that a page, the API, a saved view and a playbook's audience all say the same thing the same way
(``docs/list-views.md``):

- **filters**: a list of conditions ``{"field": ..., "op": ..., "value": ...}``, all of which must hold;
- **sort**: a field name, ``-`` in front for descending (``-clv``);
- **cursor**: where the previous page ended (opaque text), so page 500 costs what page 1 costs: the query
  asks for the rows after the last one seen in sort order instead of skipping ``OFFSET`` rows.

Each area declares its :class:`Field` s: the SQL expression behind each, its type and the operators it takes.
Values are always passed as parameters, never pasted into SQL.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from patron.errors import InvalidInput

#: Operators by the type of field they apply to.
OPS: dict[str, tuple[str, ...]] = {
    "choice": ("eq", "ne", "in", "not_in", "empty", "not_empty"),
    "text": ("eq", "ne", "in", "not_in", "contains", "empty", "not_empty"),
    "number": ("eq", "gte", "lte", "between", "empty", "not_empty"),
    "date": ("gte", "lte", "between", "empty", "not_empty"),
    "consent": ("granted", "not_granted"),
}
#: What each operator means, for the documentation and the pages.
OP_LABELS = {"eq": "is", "ne": "is not", "in": "is one of", "not_in": "is none of", "contains": "contains",
             "gte": "at least", "lte": "at most", "between": "between", "empty": "is empty",
             "not_empty": "is not empty", "granted": "has consent for", "not_granted": "has no consent for"}


@dataclass(frozen=True)
class Field:
    """A column a list can be filtered and sorted on.

    ``sql`` is an expression over the area's query (``p`` parties, ``s`` the current run's scores ...);
    ``needs`` names the extra join it requires, added only when the field is used; ``choices`` lists the
    values a choice field takes (``None``: any text, checked by the store's data).
    """

    name: str
    label: str
    sql: str
    type: str
    choices: tuple[str, ...] | None = None
    needs: str | None = None
    sortable: bool = True


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: object = None

    def as_dict(self) -> dict:
        return {"field": self.field, "op": self.op, "value": self.value}


@dataclass(frozen=True)
class Sort:
    field: str
    descending: bool = False

    def __str__(self) -> str:
        return ("-" if self.descending else "") + self.field


def _number(where: str, value) -> float:
    if isinstance(value, bool):
        raise InvalidInput(f"{where} takes a number, not {value!r}.")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{where} takes a number, not {value!r}.") from None


def _date(where: str, value) -> str:
    try:
        return dt.datetime.fromisoformat(str(value)).isoformat(sep=" ")
    except ValueError:
        raise InvalidInput(f"{where} takes a date as YYYY-MM-DD, not {value!r}.") from None


def parse_filters(raw, fields: Mapping[str, Field]) -> list[Condition]:
    """Conditions from JSON text or a list of dicts, each checked: known field, operator fit for it, value typed.

    >>> parse_filters('[{"field": "clv", "op": "gte", "value": 100}]', CUSTOMER_FIELDS)  # doctest: +SKIP
    [Condition(field='clv', op='gte', value=100.0)]
    """
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as e:
            raise InvalidInput(f"The filters are not valid JSON ({e.msg} at character {e.pos}).") from None
    if not isinstance(raw, list):
        raise InvalidInput('The filters are a list of {"field": ..., "op": ..., "value": ...}.')
    out = []
    for i, item in enumerate(raw, 1):
        if isinstance(item, Condition):
            item = item.as_dict()
        if not isinstance(item, Mapping) or "field" not in item or "op" not in item:
            raise InvalidInput(f'Filter {i} needs a "field" and an "op".')
        unknown = set(item) - {"field", "op", "value"}
        if unknown:
            raise InvalidInput(f"Filter {i} has unknown keys: {', '.join(sorted(unknown))}.")
        out.append(_condition(i, item["field"], item["op"], item.get("value"), fields))
    return out


def _condition(i: int, name, op, value, fields: Mapping[str, Field]) -> Condition:
    f = fields.get(name)
    if f is None:
        raise InvalidInput(f"Filter {i}: there is no field '{name}'. Fields: {', '.join(fields)}.")
    if op not in OPS[f.type]:
        raise InvalidInput(f"Filter {i}: '{f.label}' takes the operators {', '.join(OPS[f.type])}, not '{op}'.")
    where = f"Filter {i} ('{f.label}' {OP_LABELS[op]})"
    if op in ("empty", "not_empty"):
        return Condition(name, op, None)
    if op in ("in", "not_in"):
        values = value if isinstance(value, list) else [v.strip() for v in str(value or "").split(",") if v.strip()]
        if not values:
            raise InvalidInput(f"{where} needs at least one value.")
        for v in values:
            _check_choice(where, f, v)
        return Condition(name, op, [str(v) for v in values])
    if op == "between":
        if not isinstance(value, list) or len(value) != 2:
            raise InvalidInput(f"{where} takes two values, [low, high].")
        return Condition(name, op, [_typed(where, f, v) for v in value])
    if value is None or value == "":
        raise InvalidInput(f"{where} needs a value.")
    if f.type == "consent":
        channel = str(value).split("/")[0]
        _check_choice(where, f, channel)
        return Condition(name, op, str(value))
    return Condition(name, op, _typed(where, f, value))


def _check_choice(where: str, f: Field, value) -> None:
    if f.choices is not None and str(value) not in f.choices:
        raise InvalidInput(f"{where}: '{value}' is not one of {', '.join(f.choices)}.")


def _typed(where: str, f: Field, value):
    if f.type == "number":
        return _number(where, value)
    if f.type == "date":
        return _date(where, value)
    _check_choice(where, f, value)
    return str(value)


def parse_sort(raw: str | None, fields: Mapping[str, Field], default: str) -> Sort:
    text = (raw or default).strip()
    descending = text.startswith("-")
    name = text.lstrip("-")
    f = fields.get(name)
    if f is None or not f.sortable:
        sortable = [n for n, x in fields.items() if x.sortable]
        raise InvalidInput(f"Cannot sort by '{name}'. Sort by one of: {', '.join(sortable)} ('-' first: descending).")
    return Sort(name, descending)


@dataclass
class Where:
    """The SQL conditions of a list's filters, their parameters and the joins they need."""

    clauses: list[str] = field(default_factory=list)
    params: list = field(default_factory=list)
    needs: set[str] = field(default_factory=set)

    def sql(self) -> str:
        return f"WHERE {' AND '.join(self.clauses)}" if self.clauses else ""


def where(conditions: Sequence[Condition], fields: Mapping[str, Field], consent_sql) -> Where:
    """The conditions as SQL. ``consent_sql(value)`` gives the condition and parameters for "granted"."""
    w = Where()
    for c in conditions:
        f = fields[c.field]
        if f.needs:
            w.needs.add(f.needs)
        expr = _param_expr(f)
        if c.op == "granted" or c.op == "not_granted":
            sql, params = consent_sql(c.value)
            w.clauses.append(sql if c.op == "granted" else f"NOT ({sql})")
            w.params += params
        elif c.op == "empty":
            w.clauses.append(f"{f.sql} IS NULL")
        elif c.op == "not_empty":
            w.clauses.append(f"{f.sql} IS NOT NULL")
        elif c.op in ("in", "not_in"):
            marks = ", ".join("?" for _ in c.value)
            w.clauses.append(f"{f.sql} {'NOT ' if c.op == 'not_in' else ''}IN ({marks})"
                             + (f" AND {f.sql} IS NOT NULL" if c.op == "not_in" else ""))
            w.params += list(c.value)
        elif c.op == "between":
            w.clauses.append(f"{f.sql} BETWEEN {expr} AND {expr}")
            w.params += list(c.value)
        elif c.op == "contains":
            w.clauses.append(f"lower({f.sql}) LIKE ?")
            w.params.append(f"%{str(c.value).lower()}%")
        else:
            w.clauses.append(f"{f.sql} {({'eq': '=', 'ne': '<>', 'gte': '>=', 'lte': '<='})[c.op]} {expr}")
            w.params.append(c.value)
    return w


def _param_expr(f: Field) -> str:
    return "CAST(? AS TIMESTAMP)" if f.type == "date" else "?"


# -- keyset paging -------------------------------------------------------------
def encode_cursor(sort: Sort, row: Mapping, key: str) -> str:
    value = row.get(sort.field)
    if isinstance(value, dt.datetime | dt.date):
        value = value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    elif value is not None and not isinstance(value, int | float | str | bool):
        value = float(value)  # Decimal
    payload = json.dumps([str(sort), value, row[key]], separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def after_cursor(cursor: str | None, sort: Sort, f: Field, key_sql: str) -> tuple[str | None, list]:
    """The condition "after the cursor's row" in the order ``sort`` (nulls last, then the key), or nothing."""
    if not cursor:
        return None, []
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        sorted_by, value, key = json.loads(text)
    except (ValueError, TypeError):
        raise InvalidInput("That page cursor is not one this list gave out: start again from the first page.") \
            from None
    if sorted_by != str(sort):
        raise InvalidInput("The page cursor belongs to another sort order: start again from the first page.")
    cmp = "<" if sort.descending else ">"
    if value is None:  # among the rows without a value, at the end: only the key orders them
        return f"({f.sql} IS NULL AND {key_sql} {cmp} ?)", [key]
    expr = _param_expr(f)
    return (f"({f.sql} IS NULL OR {f.sql} {cmp} {expr} OR ({f.sql} = {expr} AND {key_sql} {cmp} ?))",
            [value, value, key])


def order_by(sort: Sort, f: Field, key_sql: str) -> str:
    direction = "DESC" if sort.descending else "ASC"
    return f"{f.sql} IS NULL, {f.sql} {direction}, {key_sql} {direction}"


def _no_consent(value):  # pragma: no cover - lists without a consent field never call it
    raise InvalidInput("This list has no consent filter.")


def every_page(fetch) -> Iterator[list[dict]]:
    """Each page's items in turn, from ``fetch(cursor)`` (a page with ``items`` and ``next_cursor``), to the last:
    how an export walks a whole list."""
    cursor = None
    while True:
        page = fetch(cursor)
        yield page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return


def total(store, base: str, params: Sequence) -> int:
    """``SELECT count(*) {base}``: how many rows a list's filters select.

    Kept per store version and filter (:meth:`~patron.store.Store.stable`: until a write commits), so paging
    through a list, or opening it again, does not count every row each time (at a million customers the
    count is a scan of the whole table, a third of a page's work).
    """
    return store.stable(("list total", base, repr(list(params))),
                        lambda: store.scalar(f"SELECT count(*) {base}", list(params)))


def select_page(store, *, columns: str, source: str, params: Sequence, conditions: Sequence[Condition],
                fields: Mapping[str, Field], order: Sort, cursor: str | None, key: str, key_sql: str,
                limit: int) -> dict:
    """One page of a list whose rows come from ``source`` (``FROM`` and joins, parameters ``params``):
    ``{"total", "items", "next_cursor", "sort", "filters"}``; the rows hold ``columns`` and ``key``.

    The count and the page read the same filters; the page is the ``limit`` rows after ``cursor`` in the
    order ``order`` (nulls last, then ``key_sql``), so a deep page costs what the first one costs.
    """
    w = where(conditions, fields, _no_consent)
    base = f"FROM {source} {w.sql()}"
    count = total(store, base, [*params, *w.params])
    f = fields[order.field]
    after, after_params = after_cursor(cursor, order, f, key_sql)
    if after:
        base += (" AND " if w.clauses else " WHERE ") + after
    rows = store.records(f"SELECT {columns}, {f.sql} AS _sort_value {base} "
                         f"ORDER BY {order_by(order, f, key_sql)} LIMIT {int(limit) + 1}",
                         [*params, *w.params, *after_params])
    more = len(rows) > limit
    rows = rows[:limit]
    last = {order.field: rows[-1]["_sort_value"], key: rows[-1][key]} if rows else None
    for r in rows:
        del r["_sort_value"]
    return {"total": count, "items": rows, "sort": str(order),
            "next_cursor": encode_cursor(order, last, key) if more and last else None,
            "filters": [c.as_dict() for c in conditions]}
