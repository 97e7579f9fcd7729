"""The REST API (FastAPI, ``/api/v1``): what every area's routes share (dependencies, common schemas, settings).

Each area's routes live in ``patron/areas/<area>/routes.py``; the app that
mounts them is :func:`patron.app.create_app`.
"""
