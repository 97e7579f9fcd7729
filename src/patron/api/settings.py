"""Settings of the web service, from the environment (``PATRON_*``) or arguments."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PATRON_")

    store: str = "patron.duckdb"
    page_size_max: int = 200
