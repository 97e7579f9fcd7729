"""The areas of CRM work, one folder each: a new area is a new folder, not edits across shared files.

An area (``patron/areas/<area>/``) holds, side by side:

- ``service.py``: its use cases and their queries (the service layer: no web framework, no printing);
  each checks what the user may do (:mod:`patron.service.permissions`);
- ``schemas.py``: its API bodies (Create / Update / Public per entity);
- ``routes.py``: its API router (``router``), mounted under ``/api/v1`` by :mod:`patron.app`;
- ``pages.py``: its page router (``router``) and, for a main page, its ``NAV`` entry;
- ``templates/<area>/``: its page templates, named ``<area>/<page>.html``;
- ``cli.py``: its commands (``commands``, a Typer app), added to ``patron`` by :mod:`patron.cli.app`.

Each part is optional. The interfaces (schemas, routes, pages, cli) call the area's service, never the
layers below it; ``tests/test_architecture.py`` checks that and the direction of every import.
"""
