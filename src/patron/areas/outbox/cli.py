"""``patron outbox``: the messages waiting and sent, delivery (``send``), the dead letters, bounces."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from patron.cli.common import StoreOption, console, open_store, plain
from patron.errors import InvalidInput

commands = typer.Typer()
outbox = typer.Typer(help="The outbox: messages to send, sent, blocked (and why), and the dead letters.",
                     no_args_is_help=True)
commands.add_typer(outbox, name="outbox")


def _table(title: str, rows: list[dict]) -> Table:
    table = Table(title=title)
    for col in ("id", "channel", "to", "subject", "status", "attempts", "reason / last error"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(str(r["message_id"]), r["channel"], plain(r["recipient"] or ""), plain(r["subject"] or ""),
                      r["status"], str(r["attempts"]), plain(r["reason"] or r["last_error"] or ""))
    return table


@outbox.command("list")
def list_(status: Annotated[str | None, typer.Option(help="Only this status: queued, sent, blocked, dead...")] = None,
          limit: Annotated[int, typer.Option(help="How many, newest first.")] = 50,
          store: StoreOption = None) -> None:
    """How many messages are in each status, and the newest ones (blocked ones with why)."""
    from patron.areas.outbox import service

    with open_store(store, read_only=True) as s:
        counts = service.status_counts(s, None)
        rows = service.messages(s, None, status=status, limit=limit)
    console.print("  ".join(f"{k}: {v}" for k, v in counts.items()))
    console.print(_table("outbox", rows))


@outbox.command()
def dead(limit: Annotated[int, typer.Option(help="How many, newest first.")] = 50, store: StoreOption = None) -> None:
    """The dead letters: messages that failed every attempt (re-queue one with ``patron outbox requeue ID``)."""
    from patron.areas.outbox import service

    with open_store(store, read_only=True) as s:
        console.print(_table("dead letters", service.messages(s, None, status="dead", limit=limit)))


@outbox.command()
def requeue(message_id: Annotated[int, typer.Argument(help="The message's id (patron outbox dead).")],
            store: StoreOption = None) -> None:
    """Send a dead or failed message again, from its first attempt."""
    from patron.areas.outbox import service

    with open_store(store) as s:
        service.requeue(s, None, message_id)
    console.print(f"Message {message_id} is queued again.")


@outbox.command()
def bounce(email: Annotated[str | None, typer.Argument(help="The address that bounced.")] = None,
           file: Annotated[Path | None, typer.Option("--file", help="Addresses, one a line (or a CSV's first "
                                                         "column).")] = None,
           soft: Annotated[bool, typer.Option("--soft", help="A soft bounce (recorded; it blocks nothing).")] = False,
           complaint: Annotated[bool, typer.Option("--complaint", help="A spam complaint: blocks email for the "
                                                    "person.")] = False,
           store: StoreOption = None) -> None:
    """Record a bounce (a hard bounce blocks the address) or a spam complaint (it blocks the channel)."""
    from patron.areas.outbox import service

    if (email is None) == (file is None):
        raise InvalidInput("Give one address, or a file of them with --file.")
    with open_store(store) as s:
        if file is not None:
            if not file.is_file():
                raise InvalidInput(f"There is no file {file}.")
            addresses, parties = service.bounces_from_file(s, None, file, hard=not soft)
            console.print(f"{addresses} bounced address(es) recorded, for {parties} customer(s).")
            return
        kind = "complaint" if complaint else "bounce"
        parties = service.record_event(s, None, kind=kind, email=email, hard=not soft)
    console.print(f"{kind} of {email} recorded, for {parties} customer(s).")


@outbox.command()
def send(once: Annotated[bool, typer.Option("--once/--loop", help="Deliver what is due and stop (default), or keep "
                                            "delivering until stopped.")] = True,
         rate: Annotated[float | None, typer.Option(help="At most this many messages a second.")] = None,
         batch: Annotated[int | None, typer.Option(help="Messages claimed at a time.")] = None,
         smtp_host: Annotated[str | None, typer.Option(help="SMTP server (setting smtp.host).")] = None,
         smtp_port: Annotated[int | None, typer.Option(help="SMTP port (setting smtp.port).")] = None,
         smtp_connections: Annotated[int | None, typer.Option(help="SMTP connections sending side by side "
                                                               "(setting smtp.connections, 4).")] = None,
         starttls: Annotated[bool | None, typer.Option("--starttls/--no-starttls", help="Use STARTTLS.")] = None,
         smtp_username: Annotated[str | None, typer.Option(help="SMTP user (password: PATRON_SMTP_PASSWORD).")
                                  ] = None,
         sender: Annotated[str | None, typer.Option("--from", help="The From address (setting smtp.from).")] = None,
         public_url: Annotated[str | None, typer.Option(help="The web service's address, for unsubscribe links.")
                               ] = None,
         backoff: Annotated[float | None, typer.Option(help="Seconds before the first retry (doubling).")] = None,
         max_attempts: Annotated[int | None, typer.Option(help="Attempts before a message is dead.")] = None,
         store: StoreOption = None) -> None:
    """Deliver the messages that are due: check the gate, send by SMTP or webhook, record what happened."""
    from patron.areas.outbox import service

    stop = threading.Event()
    if not once:
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
    options = {"rate": rate, "batch": batch, "smtp_host": smtp_host, "smtp_port": smtp_port,
               "smtp_connections": smtp_connections, "smtp_starttls": starttls, "smtp_username": smtp_username, "sender": sender,
               "public_url": public_url and public_url.rstrip("/"), "backoff": backoff, "max_attempts": max_attempts}
    with open_store(store) as s:
        outcome = service.send(s, None, loop=not once, stop=stop, **options)
    console.print(f"sent {outcome.sent}, blocked {outcome.blocked}, deferred (quiet hours) {outcome.deferred}, "
                  f"to retry {outcome.retried}, dead {outcome.dead}")
