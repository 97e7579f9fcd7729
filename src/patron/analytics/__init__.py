"""Customer measures written once as Ibis expressions, run where the data is.

Every function takes Ibis tables (or a store) and parameters, and returns an
Ibis table; the caller executes it (``.to_pyarrow()``, ``.to_pandas()``)
and gets compact per-party or per-group results. Nothing here pulls raw
transactions into Python, so the same code runs on DuckDB, PostgreSQL and
Spark.

==================  ==========================================================
module              measures
==================  ==========================================================
``periods``         ordinal days / weeks / months, the arithmetic of summaries
``summary``         per-party frequency, recency, T, monetary value, money;
                    ``summary_arrays`` runs one into NumPy columns for the models
``rfm``             RFM scores and named segments
``ladder``          ladder-of-loyalty rung per party, migration between dates
``health``          relationship health scorecard and its trend
``triage``          best / average / worst on value × relationship quality
``measures``        revenue mix, lost customers, acquisition cost vs value
==================  ==========================================================
"""

from patron.analytics.health import HealthRules, health_scorecard
from patron.analytics.ladder import RUNGS, LadderRules, ladder_migration, ladder_rung, rung_matrix
from patron.analytics.measures import acquisition_value, lost_customers, lost_value, revenue_mix
from patron.analytics.rfm import DEFAULT_SEGMENTS, SegmentRule, rfm_scores
from patron.analytics.summary import customer_summary, summary_arrays
from patron.analytics.triage import TriageRules, triage, triage_matrix

__all__ = [
    "DEFAULT_SEGMENTS",
    "RUNGS",
    "HealthRules",
    "LadderRules",
    "SegmentRule",
    "TriageRules",
    "acquisition_value",
    "customer_summary",
    "health_scorecard",
    "ladder_migration",
    "ladder_rung",
    "lost_customers",
    "lost_value",
    "revenue_mix",
    "rfm_scores",
    "rung_matrix",
    "summary_arrays",
    "triage",
    "triage_matrix",
]
