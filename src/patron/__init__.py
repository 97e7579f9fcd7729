"""patron: a relationship-marketing engine and CRM.

Data flows one way: sources -> ingest -> store -> analytics -> models -> act -> show.
"""

__version__ = "0.1.0"
