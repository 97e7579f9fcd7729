"""The REST API (FastAPI): thin routes over :mod:`patron.service`."""

from patron.api.app import create_app

__all__ = ["create_app"]
