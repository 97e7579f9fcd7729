"""Covariates for the value models from the party record: which columns, coded how.

``patron analyze --covariates acquisition_channel,acquisition_cost`` lets a customer's purchase and
dropout rates depend on columns of their party record (Fader and Hardie 2007, time-invariant
covariates; :mod:`patron.models.covariates`). This module checks the columns against the customers
being analysed and codes them as numbers, in the engine:

- a text or yes/no column is a *category*: one 0/1 column per value except the most common one, the
  reference (so each coefficient compares a value with the reference), at most :data:`MAX_LEVELS` values;
- a numeric column is *standardised* over the analysed customers, ``(v - mean) / sd``, and rounded to
  :data:`STEP` (so a coefficient is per standard deviation, and customers share a model per step rather
  than one each, which keeps scoring fast; the rounding moves a value by at most 0.025 sd).

A column is refused, with its name and how many parties, when it is not a party column, is an identifier
or a date, has a missing value for any analysed customer, or is the same for all of them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import ibis
import ibis.expr.types as ir

from patron.errors import InvalidInput

__all__ = ["MAX_LEVELS", "STEP", "Covariate", "check_columns", "covariate_columns", "covariate_design",
           "design_names", "with_covariates"]

#: A category with more values than this is refused (a name or a postcode is not a covariate).
MAX_LEVELS = 20
#: Standardised numeric covariates are rounded to this many standard deviations (1 / STEP whole).
STEP = 0.05
#: Party columns that identify or stamp a record: never covariates.
NOT_COVARIATES = ("party_id", "organisation_id", "referred_by", "import_id", "name", "email", "phone", "address")


@dataclass(frozen=True)
class Covariate:
    """One party column as the models see it (saved with the run)."""

    column: str
    kind: str  # "category" or "number"
    #: a category's values, the reference (most common) first, with how many analysed customers have each
    levels: list[str] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    #: a number's mean and standard deviation over the analysed customers
    mean: float | None = None
    sd: float | None = None

    @property
    def names(self) -> list[str]:
        """The model's names of its columns: ``channel=web`` per non-reference value, or the column itself."""
        if self.kind == "number":
            return [self.column]
        return [f"{self.column}={level}" for level in self.levels[1:]]


def design_names(covariates: list[Covariate]) -> list[str]:
    return [name for c in covariates for name in c.names]


def _parse(columns) -> list[str]:
    if isinstance(columns, str):
        columns = columns.split(",")
    names = [c.strip() for c in columns if c and c.strip()]
    if len(set(names)) < len(names):
        raise InvalidInput(f"A covariate is named twice: {', '.join(names)}.")
    return names


def covariate_design(parties: ir.Table, customers: ir.Table, columns) -> list[Covariate]:
    """Check ``columns`` of ``parties`` over the ``customers`` analysed (a table with ``party_id``), and code them.

    Raises :class:`~patron.errors.InvalidInput` naming the column: unknown, an identifier or a date,
    missing for some customers (how many), the same for all, or a category with too many values.
    """
    return [_describe(parties, customers, name, kind) for name, kind in check_columns(parties, columns)]


def check_columns(parties: ir.Table, columns) -> list[tuple[str, str]]:
    """Each of ``columns`` with its kind (``category`` or ``number``), refusing names the party record lacks or
    that cannot be covariates (before any data is read: an API call is answered at once)."""
    usable = [c for c in parties.columns if c not in NOT_COVARIATES and _kind(parties[c]) is not None]
    found = []
    for name in _parse(columns):
        if name not in parties.columns:
            raise InvalidInput(f"'{name}' is not a column of the party record. Covariates can be: "
                               f"{', '.join(usable)}.")
        kind = _kind(parties[name])
        if name in NOT_COVARIATES or kind is None:
            raise InvalidInput(f"'{name}' cannot be a covariate: it is an identifier, a date or free text, not a "
                               f"category or a number. Covariates can be: {', '.join(usable)}.")
        found.append((name, kind))
    return found


def _kind(column: ir.Column) -> str | None:
    dtype = column.type()
    if dtype.is_numeric():
        return "number"
    if dtype.is_string() or dtype.is_boolean():
        return "category"
    return None


def _joined(parties: ir.Table, customers: ir.Table, name: str) -> ir.Table:
    c = customers.select(_party=customers.party_id)
    p = parties.select(_party=parties.party_id, value=parties[name])
    j = c.left_join(p, c._party == p._party)
    return j.select(value=j.value)


def _describe(parties: ir.Table, customers: ir.Table, name: str, kind: str) -> Covariate:
    j = _joined(parties, customers, name)
    value = j.value.cast("string").strip() if kind == "category" else j.value.cast("float64")
    missing_expr = value.isnull() | (value == "") if kind == "category" else value.isnull() | value.isnan()
    # ifelse, not a cast: PostgreSQL casts no boolean to a number.
    stats = j.aggregate(customers=j.count(), missing=missing_expr.ifelse(1, 0).sum(),
                        distinct=value.nunique()).to_pyarrow().to_pylist()[0]
    missing = int(stats["missing"] or 0)
    if missing:
        raise InvalidInput(f"The covariate '{name}' is missing for {missing:,} of the {stats['customers']:,} parties "
                           "analysed. Fill it in for them (patron import parties), or leave the column out.")
    if (stats["distinct"] or 0) < 2:
        raise InvalidInput(f"The covariate '{name}' is the same for all {stats['customers']:,} parties analysed, so "
                           "it cannot explain any difference between them: leave it out.")
    if kind == "number":
        moments = j.aggregate(mean=value.mean(), sd=value.std()).to_pyarrow().to_pylist()[0]
        return Covariate(name, kind, mean=float(moments["mean"]), sd=float(moments["sd"]))
    if stats["distinct"] > MAX_LEVELS:
        raise InvalidInput(f"The covariate '{name}' has {stats['distinct']:,} different values among the parties "
                           f"analysed; a category may have at most {MAX_LEVELS}. Group its values first, or leave "
                           "it out.")
    t = j.select(level=value)
    rows = (t.group_by("level").aggregate(n=t.count()).order_by([ibis.desc("n"), "level"])
            .to_pyarrow().to_pylist())
    return Covariate(name, kind, levels=[r["level"] for r in rows], counts=[int(r["n"]) for r in rows])


def covariate_columns(parties: ir.Table, covariates: list[Covariate]) -> tuple[ir.Table, list[str]]:
    """``party_id`` and each party's coded covariates as float columns ``_z0``, ``_z1``, … (and their names)."""
    coded = {}
    for c in covariates:
        if c.kind == "number":
            z = (parties[c.column].cast("float64") - c.mean) / c.sd
            coded[f"_z{len(coded)}"] = (z / STEP).round().cast("float64") / round(1 / STEP)
        else:
            value = parties[c.column].cast("string").strip()
            for level in c.levels[1:]:
                # Whole numbers cast: ibis drops a cast of 1.0/0.0, which PostgreSQL would return as NUMERIC.
                coded[f"_z{len(coded)}"] = (value == level).ifelse(1, 0).cast("float64")
    return parties.select("party_id", **coded), list(coded)


def with_covariates(parties: ir.Table, summary: ir.Table, columns) -> tuple[ir.Table, dict | None]:
    """``summary`` with each customer's coded covariates, and what the models need to know of them.

    ``columns`` empty: ``summary`` as it is and ``None``. Else the dict has ``columns`` (the coded
    ``_z…`` columns added), ``names`` (the model's names of them) and ``design`` (saved with the run).
    """
    if not columns:
        return summary, None
    design = covariate_design(parties, summary, columns)
    coded, z_columns = covariate_columns(parties, design)
    c = coded.select(*z_columns, _party=coded.party_id)
    j = summary.left_join(c, summary.party_id == c._party)
    joined = j.select(*[j[name] for name in summary.columns], *[j[name] for name in z_columns])
    return joined, {"columns": z_columns, "names": design_names(design), "design": [asdict(d) for d in design]}
