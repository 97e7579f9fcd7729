"""Settings of the web service, from the environment (``PATRON_*``) or arguments."""

from __future__ import annotations

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
    #: How the pages write numbers, money and dates: en (default), en-GB, de, fr, nl.
    locale: str = "en"
