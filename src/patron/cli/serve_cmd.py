"""``patron serve``: the web service (the pages and the REST API) over the store."""

from __future__ import annotations

from typing import Annotated

import typer

from patron.cli.common import StoreOption, console, open_store

commands = typer.Typer()


@commands.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (127.0.0.1: this machine only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(
        min=1, max=64, help="Worker processes. More than one needs a PostgreSQL store (a DuckDB file has one "
                            "writing process); about one per core serves the most requests.")] = 1,
    delivery: Annotated[bool, typer.Option("--delivery/--no-delivery", help="Deliver the outbox's due messages "
                                           "while serving (a background worker).")] = True,
    smtp_host: Annotated[str | None, typer.Option(help="SMTP server for the worker (setting smtp.host).")] = None,
    smtp_port: Annotated[int | None, typer.Option(help="SMTP port (setting smtp.port).")] = None,
    starttls: Annotated[bool | None, typer.Option("--starttls/--no-starttls", help="Use STARTTLS.")] = None,
    smtp_username: Annotated[str | None, typer.Option(help="SMTP user (password: PATRON_SMTP_PASSWORD).")] = None,
    sender: Annotated[str | None, typer.Option("--from", help="The From address (setting smtp.from).")] = None,
    public_url: Annotated[str | None, typer.Option(help="This service's public address, for unsubscribe links "
                                                         "(default: the address it listens on).")] = None,
    rate: Annotated[float | None, typer.Option(help="At most this many messages a second, per channel.")] = None,
    batch: Annotated[int | None, typer.Option(help="Messages the worker claims at a time (setting delivery.batch); "
                                                   "a stop waits for the batch in hand.")] = None,
    store: StoreOption = None,
    no_triggers: Annotated[bool, typer.Option(
        "--no-triggers", help="Do not evaluate the playbooks' triggers every minute (patron playbook run-due "
                              "then does it by hand or from cron).")] = False,
) -> None:
    """Serve the web app and the REST API (/api/v1; its OpenAPI schema at /api/v1/openapi.json) over the store."""
    import os
    import secrets

    import uvicorn

    from patron.areas.users.service import count_users
    from patron.errors import PatronError
    from patron.store import StoreURL

    url = StoreURL.parse(store)
    location = url.location
    if workers > 1 and url.backend != "postgres":
        raise PatronError(f"--workers {workers} needs a PostgreSQL store: the DuckDB file {url.display} can be "
                          "written by one process only. Serve it with one worker, or move it to PostgreSQL.")
    with open_store(store) as s:  # migrate and check before listening
        users = count_users(s)
    if not users:
        console.print("[yellow]No users yet:[/] add one with [bold]patron user add NAME --role admin[/].")
    console.print(f"Serving {url.display} on http://{host}:{port} (API schema for signed-in users: "
                  f"http://{host}:{port}/api/v1/openapi.json). Ctrl-C stops it.")
    # The app is built by uvicorn from the composition root (patron.app), from the environment: in each worker
    # process when there are several. They share one session key, so a page signed in on one worker is signed
    # in on all.
    os.environ["PATRON_STORE"] = location
    _triggers_setting(no_triggers)
    if workers > 1:
        os.environ.setdefault("PATRON_SECRET_KEY", secrets.token_urlsafe(32))
    os.environ["PATRON_DELIVERY"] = delivery_options(
        delivery, smtp_host=smtp_host, smtp_port=smtp_port, smtp_starttls=starttls, smtp_username=smtp_username,
        sender=sender, public_url=public_url and public_url.rstrip("/"), rate=rate,
        batch=batch)
    if delivery:
        console.print("The outbox is delivered while serving (--no-delivery to turn it off).")
    uvicorn.run("patron.app:create_app", factory=True, host=host, port=port, workers=workers, log_level="warning")


def _triggers_setting(no_triggers: bool) -> None:
    """The app's trigger scheduler (a thread calling run-due every minute) on, unless ``--no-triggers``."""
    import os

    os.environ["PATRON_TRIGGERS"] = "0" if no_triggers else "1"
    if not no_triggers:
        console.print("Playbook triggers are evaluated every minute (--no-triggers turns that off).")


def delivery_options(on: bool, **options) -> str:
    """``PATRON_DELIVERY`` for the app: the outbox worker's options as JSON, or ``off``.

    Each worker process of the service runs one outbox worker (docs/delivery.md); the options not given
    come from the store's settings and ``PATRON_SMTP_*`` when the worker starts.
    """
    import json

    if not on:
        return "off"
    return json.dumps({name: value for name, value in options.items() if value is not None})
