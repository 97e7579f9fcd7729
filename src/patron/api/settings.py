"""Settings of the web service, from the environment (``PATRON_*``) or arguments."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PATRON_")

    store: str = "patron.duckdb"
    page_size_max: int = 200
    #: Signs the session cookie of the pages. Without one, a random key is made at start:
    #: sessions then end when the service restarts.
    secret_key: str | None = None
    #: Send the session cookie over HTTPS only (set it when patron is served behind TLS).
    secure_cookies: bool = False
    #: Evaluate the playbooks' triggers every minute in a background thread (``patron serve`` turns it on
    #: unless ``--no-triggers``; an app made by a test or a script leaves it off).
    triggers: bool = False
    #: How long an API token works, in days, unless made with its own expiry; tokens made before expiry
    #: existed count it from when they were made.
    token_days: int = 90
    #: Sign-in throttling (docs/security.md): after this many failed sign-ins of one account, or from one
    #: address, within the window, sign-in is refused for a back-off that doubles with every further failure.
    sign_in_account_failures: int = 5
    sign_in_address_failures: int = 20
    sign_in_window_minutes: int = 15
    sign_in_backoff_seconds: int = 30
    sign_in_backoff_max_seconds: int = 900
    #: How long the audit log keeps an entry, in days (0: for ever); the service trims it every hour, and the
    #: sign-in attempts the throttle no longer reads (docs/security.md).
    audit_days: int = 730
    #: Seconds a read's audit row (a customer 360) may wait before it is written, with the others of that time,
    #: in one transaction: what a crash of the service can lose (docs/security.md).
    audit_flush_seconds: float = Field(1.0, gt=0, le=60)
    #: DuckDB threads per query while no import or analysis job runs (0: DuckDB's own, one per core). The
    #: service's requests are many small queries at once, which parallel threads slow down: on 2 cores, 8
    #: clients' 360 p50 went from 143 to 65 ms with 1 (docs/security.md); a job gets every core while it runs.
    duckdb_threads: int = Field(1, ge=0, le=256)
    #: The outbox worker of the service, as JSON (``patron serve`` writes it): ``{"smtp_host": ...}``; unset or
    #: ``off``: none (docs/delivery.md).
    delivery: str | None = None
    #: How the pages write numbers, money and dates: en (default), en-GB, de, fr, nl.
    locale: str = "en"
