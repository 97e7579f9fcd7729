"""The matching model: a Fellegi-Sunter model estimated and scored by Splink.

A *person record* is one party as the store holds it, normalised: ``unique_id``
(the party id as text), ``kind``, ``first_name``, ``surname`` (an organisation's
whole name goes in ``surname``), ``email``, ``email_user``, ``phone`` (digits
only), ``address``, ``postcode``, ``city``, ``birth_date`` (``YYYY-MM-DD``).

The model compares every field the records fill in often enough (an all-empty
field, such as e-mail in FEBRL, is left out), with term-frequency adjustments on
names, e-mail, postcode and city: two people both called *Müller* are weaker
evidence than two called *Kowalczyk*. Parameters are estimated without labels:
u (how often non-matches agree) by random sampling with a fixed seed, m (how
often matches agree) by expectation maximisation on blocked pairs, so the same
records give the same model every time.

Candidate pairs come from blocking rules, each an equality of a few fields,
so the work grows with the size of the blocks and not with the square of the
number of records. Every rule also requires the same ``kind``: a person is
never compared with an organisation.

Engines: DuckDB (default, in memory, next to the store) or Spark
(``engine="spark"``, for records that do not fit one machine; needs the
``[spark]`` extra).
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from patron.errors import PatronError

#: Columns of a person record, in order.
RECORD_COLUMNS = ("unique_id", "kind", "first_name", "surname", "full_name", "email", "email_user", "email_domain", "phone", "address",
                  "postcode", "city", "birth_date", "organisation")
#: How each engine spells the ``YYYY-MM-DD`` layout of ``birth_date``.
DATE_FORMATS = {"duckdb": "%Y-%m-%d", "spark": "yyyy-MM-dd"}
#: A field filled in for fewer records than this is not compared.
MIN_FILLED = 0.05
#: Blocking rules for candidate pairs (``kind`` is added to each).
BLOCKING_RULES = (
    ("email_user",),
    ("phone",),
    ("first_name", "surname"),
    ("surname", "birth_date"),
    ("first_name", "birth_date"),
    ("postcode", "address"),
    ("surname", "postcode"),
    ("surname", "city"),
    ("birth_date", "postcode"),
    ("birth_date", "city"),
    ("first_name", "postcode"),
    ("address", "city"),
)
#: For firms only: the same web domain (for people, gmail.com would make one block of millions).
FIRM_BLOCKING_RULES = (("email_domain",),)
#: First name and surname swapped between the two records.
SWAPPED_NAMES_RULE = "l.kind = r.kind AND l.first_name = r.surname AND l.surname = r.first_name"
#: Blocking rules for the EM sessions, tried in order until every field has been estimated by one that does not
#: block on it. A session where most pairs are true matches estimates m well; one where matches are rare (two
#: customers called Anna Schmidt) does not, hence shared street and postcode first.
TRAINING_RULES = (
    ("postcode", "address"),
    ("email_user",),
    ("first_name", "surname"),
    ("postcode",),
    ("birth_date",),
)
#: The record columns each comparison reads.
COMPARED_COLUMNS = {
    "full_name": ("first_name", "surname", "full_name"),
    "email": ("email", "email_user", "email_domain"),
}
#: Rules that admit (almost) no false match, for the prior probability that two records match.
DETERMINISTIC_RULES = (
    ("email",),
    ("first_name", "surname", "birth_date"),
    ("first_name", "surname", "address", "postcode"),
)
#: When those find nothing (organisations have no birth date): the same name in the same town.
FALLBACK_DETERMINISTIC_RULES = (
    ("full_name", "postcode"),
    ("full_name", "city"),
)
#: The prior when no rule finds a match.
DEFAULT_PRIOR = 1e-4
#: Fields named in the explanation, in the words a marketer uses.
FIELD_LABELS = {
    "first_name_surname": "name", "email": "e-mail", "phone": "phone", "address": "street",
    "postcode": "postcode", "city": "city", "birth_date": "birth date", "organisation": "employer",
    "email_domain": "web domain",
}


@dataclass
class LinkageSettings:
    """What the model is allowed to do.

    Parameters
    ----------
    seed
        Seed of the random sample that estimates u: the same records give the same model.
    max_pairs_u
        Record pairs sampled to estimate u.
    max_pairs_em
        Blocked pairs used per EM session (sampled deterministically above this).
    recall_of_deterministic_rules
        Share of true matches the deterministic rules are assumed to find (sets the prior).
    """

    seed: int = 42
    max_pairs_u: float = 2e6
    max_pairs_em: float = 2e6
    recall_of_deterministic_rules: float = 0.6
    engine: str = "duckdb"
    extra_comparisons: list[Any] = field(default_factory=list)


@dataclass
class Linkage:
    """The outcome of scoring: scored pairs, each with its explanation.

    ``pairs`` has one row per candidate pair: ``left_id``, ``right_id`` (left < right
    as text), ``match_weight``, ``match_probability`` and ``explanation`` (a list of
    ``{"field", "level", "agreed", "bayes_factor", "weight"}`` dicts).
    """

    pairs: pd.DataFrame
    records: int
    pairs_found: int
    fields: list[str]
    priors: dict[str, float]
    scored: list[tuple[Any, Any]] = field(default_factory=list)  # (Splink linker, predictions) per kind

    def clusters(self, threshold_probability: float) -> dict[str, str]:
        """Record id -> cluster id, by Splink's connected components over pairs at or above the threshold.

        Records in no pair at that threshold are left out.
        """
        found = {}
        for linker, predictions in self.scored:
            clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
                predictions, threshold_match_probability=threshold_probability).as_pandas_dataframe()
            sizes = clustered.groupby("cluster_id")["unique_id"].transform("size")
            clustered = clustered[sizes > 1]
            found.update(zip(clustered["unique_id"].astype(str), clustered["cluster_id"].astype(str)))
        return found


def _filled(records: pd.DataFrame, column: str) -> float:
    values = records[column]
    return float((values.notna() & (values.astype("string").str.len() > 0)).mean()) if len(values) else 0.0


def _comparisons(records: pd.DataFrame, engine: str = "duckdb") -> tuple[list, list[str]]:
    firms = (records["kind"] == "organisation").all()
    import splink.comparison_library as cl

    candidates = {
        "full_name": lambda: cl.ForenameSurnameComparison("first_name", "surname",
                                                          forename_surname_concat_col_name="full_name"),
        "email": _email_comparison,
        # One digit off is a typo; two off is as likely the next extension on the same switchboard.
        "phone": lambda: cl.LevenshteinAtThresholds("phone", [1]),
        "address": lambda: cl.LevenshteinAtThresholds("address", [1, 3]),
        "postcode": lambda: cl.LevenshteinAtThresholds("postcode", [1]).configure(term_frequency_adjustments=True),
        "city": lambda: cl.JaroWinklerAtThresholds("city", [0.9]).configure(term_frequency_adjustments=True),
        "birth_date": lambda: cl.DateOfBirthComparison("birth_date", input_is_string=True,
                                                       datetime_format=DATE_FORMATS[engine]),
    }
    if firms:
        # A firm's address is a role (accounts@); its domain, its own or its contacts', names the firm.
        del candidates["email"]
        candidates["email_domain"] = lambda: cl.ExactMatch("email_domain").configure(term_frequency_adjustments=True)
    used = [name for name in candidates if _filled(records, name) >= MIN_FILLED]
    comparisons = [candidates[name]() for name in used]
    if records["organisation"].notna().sum() >= 2:
        comparisons.append(_employer_comparison())
        used.append("organisation")
    return comparisons, used


def _email_comparison():
    """E-mail, with the user part at another provider apart from a typo in the domain.

    ``anna.berg7@gmail.com`` / ``anna.berg7@gmial.com`` is one person mistyping; ``lukas.garcia@alpen.example``
    / ``lukas.garcia@markt.example`` are two firms' contacts whose addresses are built from their names, which
    the name comparison has already counted.
    """
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    return cl.CustomComparison(
        output_column_name="email",
        comparison_levels=[
            cll.NullLevel("email"),
            cll.ExactMatchLevel("email").configure(tf_adjustment_column="email"),
            cll.And(cll.ExactMatchLevel("email_user"), cll.JaroWinklerLevel("email_domain", 0.88)).configure(
                label_for_charts="Same user part, domain mistyped"),
            cll.ExactMatchLevel("email_user").configure(label_for_charts="Same user part, another domain"),
            cll.JaroWinklerLevel("email", 0.88),
            cll.JaroWinklerLevel("email_user", 0.88).configure(label_for_charts="User part Jaro-Winkler >= 0.88"),
            cll.ElseLevel(),
        ],
        comparison_description="e-mail",
    )


def _employer_comparison():
    """Contacts of two different firms: the same name is then weaker evidence (people share names, and
    the work e-mail's user part, across employers). Few records have an employer, too few to estimate
    m, so it is set: 90% of one person's two records name the same firm."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    return cl.CustomComparison(
        output_column_name="organisation",
        comparison_levels=[
            cll.NullLevel("organisation"),
            cll.ExactMatchLevel("organisation").configure(m_probability=0.9, fix_m_probability=True),
            cll.ElseLevel().configure(m_probability=0.1, fix_m_probability=True),
        ],
        comparison_description="employer",
    )


def _rule(columns: tuple[str, ...]):
    from splink import block_on

    return block_on("kind", *columns)


def _usable(records: pd.DataFrame, columns: tuple[str, ...]) -> bool:
    return all(_filled(records, c) >= MIN_FILLED for c in columns)


def _db_api(engine: str):
    if engine == "duckdb":
        from splink import DuckDBAPI

        return DuckDBAPI()
    if engine == "spark":
        try:
            from pyspark.sql import SparkSession
        except ImportError as exc:
            raise PatronError("Resolving on Spark needs the Spark extra: pip install 'patron[spark]'.") from exc
        from splink import SparkAPI
        from splink.backends.spark import similarity_jar_location

        # Splink's string similarities (Jaro-Winkler, ...) are Scala UDFs in a jar it ships: a session made
        # here loads it; a session made before must have been given it (spark.jars).
        spark = (SparkSession.getActiveSession() or SparkSession.builder.appName("patron-resolve")
                 .config("spark.jars", similarity_jar_location()).getOrCreate())
        if not spark.sparkContext.getCheckpointDir():
            import tempfile

            spark.sparkContext.setCheckpointDir(tempfile.mkdtemp(prefix="patron-spark-"))
        return SparkAPI(spark_session=spark)
    raise PatronError(f"Unknown engine '{engine}': use 'duckdb' or 'spark'.")


def _register(db_api, records: pd.DataFrame, engine: str):
    """Hand the records to the engine; every record column is text."""
    if engine == "spark":
        from pyspark.sql import SparkSession
        from pyspark.sql.types import StringType, StructField, StructType

        spark = SparkSession.builder.getOrCreate()
        schema = StructType([StructField(c, StringType(), True) for c in RECORD_COLUMNS])
        rows = records.astype(object).where(records.notna(), None).itertuples(index=False, name=None)
        return db_api.register(spark.createDataFrame(list(rows), schema=schema))
    return db_api.register(records)


def score_pairs(records: pd.DataFrame, settings: LinkageSettings | None = None,
                threshold_probability: float = 0.01) -> Linkage:
    """Estimate the model on ``records`` and score every candidate pair above ``threshold_probability``.

    People and organisations are modelled apart: they are never compared with
    each other, and the chance that two records are the same firm (a few
    accounts kept in two systems) is not the chance that two are the same
    person (a few duplicates among thousands of shoppers).

    Parameters
    ----------
    records
        Person records with :data:`RECORD_COLUMNS`.
    settings
        Seed, sample sizes and engine.
    threshold_probability
        Pairs less likely than this are dropped (they would be neither merged nor reviewed).

    Returns
    -------
    Linkage
        The scored pairs with explanations, and what the model used.
    """
    settings = settings or LinkageSettings()
    try:
        import splink  # noqa: F401
    except ImportError as exc:  # pragma: no cover - splink is a dependency
        raise PatronError("Identity resolution needs Splink: pip install splink.") from exc
    logging.getLogger("splink").setLevel(logging.ERROR)

    records = records.loc[:, list(RECORD_COLUMNS)].copy()
    db_api = _db_api(settings.engine)
    parts, fields, priors = [], [], {}
    for kind, group in records.groupby("kind", sort=True):
        if len(group) < 2:
            continue
        part = _score_kind(group.reset_index(drop=True), db_api, settings, threshold_probability)
        if part is None:
            continue
        parts.append(part)
        fields += [f for f in part[3] if f not in fields]
        priors[kind] = part[4]
    if not parts:
        raise PatronError("The customers have too few details filled in (name, e-mail, address, ...) to compare.")
    pairs = pd.concat([p[2] for p in parts], ignore_index=True)
    return Linkage(pairs=pairs, records=len(records), pairs_found=len(pairs), fields=fields, priors=priors,
                   scored=[(p[0], p[1]) for p in parts])


def _score_kind(records: pd.DataFrame, db_api, settings: LinkageSettings, threshold_probability: float):
    from splink import Linker, SettingsCreator

    comparisons, used = _comparisons(records, settings.engine)
    if len(used) < 2:
        return None
    extra = FIRM_BLOCKING_RULES if (records["kind"] == "organisation").all() else ()
    rules = [_rule(r) for r in (*BLOCKING_RULES, *extra) if _usable(records, r)]
    if _usable(records, ("first_name", "surname")):
        rules.append(SWAPPED_NAMES_RULE)
    if not rules:
        return None
    creator = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=rules,
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,
    )
    linker = Linker(_register(db_api, records, settings.engine), creator, log_level=None)

    _estimate_prior(linker, records, settings)
    linker.training.estimate_u_using_random_sampling(max_pairs=settings.max_pairs_u, seed=settings.seed)
    untrained = set(used)
    for columns in TRAINING_RULES:
        if not untrained:
            break
        if not _usable(records, columns):
            continue
        estimates = {name for name in used if not set(COMPARED_COLUMNS.get(name, (name,))) & set(columns)}
        if not estimates & untrained:
            continue
        before = copy.deepcopy(linker._settings_obj.core_model_settings)
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                _rule(columns), estimate_without_term_frequencies=True, max_pairs=settings.max_pairs_em)
        except Exception:  # noqa: BLE001 - a session with too few pairs or no variation estimates nothing
            linker._settings_obj.core_model_settings = before
            continue
        if not _plausible(linker):
            # Too few true matches among the blocked pairs (a store with no duplicates left, say): EM has
            # found some other pattern. Keep the parameters as they were before this session.
            linker._settings_obj.core_model_settings = before
            linker._em_training_sessions.pop()
            linker._populate_m_u_from_trained_values()
            continue
        untrained -= estimates

    predictions = linker.inference.predict(threshold_match_probability=threshold_probability)
    pairs = predictions.as_pandas_dataframe()
    prior = linker._settings_obj._probability_two_random_records_match
    return linker, predictions, _explained(pairs, _level_labels(linker), used), used, prior


def _plausible(linker) -> bool:
    """Whether every comparison says agreement is likelier among matches than disagreement is."""
    for comparison in linker._settings_obj.comparisons:
        levels = [lv for lv in comparison.comparison_levels if not lv.is_null_level]
        top, other = levels[0], levels[-1]
        m_top, m_else = top.m_probability, other.m_probability
        if m_top is None or m_else is None:
            continue
        if m_else > 0.5 or (top.u_probability is not None and m_top < top.u_probability):
            return False
    return True


def _estimate_prior(linker, records: pd.DataFrame, settings: LinkageSettings) -> None:
    """The chance that two records match, from the pairs that near-certain rules find."""
    for rules in (DETERMINISTIC_RULES, FALLBACK_DETERMINISTIC_RULES):
        usable = [_rule(r) for r in rules if _usable(records, r)]
        if not usable:
            continue
        try:
            linker.training.estimate_probability_two_random_records_match(
                usable, recall=settings.recall_of_deterministic_rules)
        except Exception:  # noqa: BLE001 - no deterministic match at all
            continue
        prior = linker._settings_obj._probability_two_random_records_match
        if 0 < prior < 1:
            break
    prior = linker._settings_obj._probability_two_random_records_match
    linker._settings_obj._probability_two_random_records_match = min(max(prior, 1e-9), 0.5) if 0 < prior < 1 \
        else DEFAULT_PRIOR


def _level_labels(linker) -> dict[tuple[str, int], str]:
    labels = {}
    for comparison in linker._settings_obj.comparisons:
        name = comparison.output_column_name
        for level in comparison.comparison_levels:
            if level.is_null_level:
                continue
            labels[(name, level.comparison_vector_value)] = level.label_for_charts
    return labels


def _explained(pairs: pd.DataFrame, labels: dict, used: list[str]) -> pd.DataFrame:
    if pairs.empty:
        return pd.DataFrame(columns=["left_id", "right_id", "match_weight", "match_probability", "explanation"])
    explanations = []
    for row in pairs.itertuples(index=False):
        row = row._asdict()
        parts = []
        for name in used:
            name = "first_name_surname" if name == "full_name" else name
            gamma = row.get(f"gamma_{name}")
            if gamma is None or pd.isna(gamma) or gamma < 0:
                continue  # one side empty: no evidence either way
            weight = float(row.get(f"mw_{name}") or 0.0)
            tf = row.get(f"mw_tf_adj_{name}")
            if tf is not None and not pd.isna(tf):
                weight += float(tf)
            top = max(v for (n, v) in labels if n == name)
            parts.append({
                "field": FIELD_LABELS.get(name, name),
                "level": labels.get((name, int(gamma)), str(gamma)),
                "agreed": bool(gamma > 0),
                "exact": bool(gamma == top),
                "bayes_factor": 2.0 ** weight,
                "weight": weight,
            })
        explanations.append(parts)
    left = pairs["unique_id_l"].astype(str)
    right = pairs["unique_id_r"].astype(str)
    swap = left.astype("int64") > right.astype("int64") if left.str.isdigit().all() and right.str.isdigit().all() \
        else left > right
    return pd.DataFrame({
        "left_id": left.where(~swap, right).to_numpy(),
        "right_id": right.where(~swap, left).to_numpy(),
        "match_weight": pairs["match_weight"].astype(float).to_numpy(),
        "match_probability": pairs["match_probability"].astype(float).to_numpy(),
        "explanation": explanations,
    })
