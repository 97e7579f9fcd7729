"""``patron serve`` and ``patron user``: the web service and who may use it."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from patron.cli.app import StoreOption, app, console, open_store
from patron.store.vocabulary import ROLES

user_app = typer.Typer(help="Users of the web app and API: add them, give them API tokens.", no_args_is_help=True)
app.add_typer(user_app, name="user")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (127.0.0.1: this machine only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(
        min=1, max=64, help="Worker processes. More than one needs a PostgreSQL store (a DuckDB file has one "
                            "writing process); about one per core serves the most requests.")] = 1,
    store: StoreOption = None,
) -> None:
    """Serve the web app and the REST API (/api/v1; its OpenAPI schema at /api/v1/openapi.json) over the store."""
    import os
    import secrets

    import uvicorn

    from patron.api import create_app
    from patron.errors import PatronError
    from patron.store import StoreURL

    url = StoreURL.parse(store)
    location = url.location
    if workers > 1 and url.backend != "postgres":
        raise PatronError(f"--workers {workers} needs a PostgreSQL store: the DuckDB file {url.display} can be "
                          "written by one process only. Serve it with one worker, or move it to PostgreSQL.")
    with open_store(store) as s:  # migrate and check before listening
        users = s.scalar("SELECT count(*) FROM users")
    if not users:
        console.print("[yellow]No users yet:[/] add one with [bold]patron user add NAME --role admin[/].")
    console.print(f"Serving {url.display} on http://{host}:{port} (API schema for signed-in users: "
                  f"http://{host}:{port}/api/v1/openapi.json). Ctrl-C stops it.")
    if workers == 1:
        uvicorn.run(create_app(location), host=host, port=port, log_level="warning")
        return
    # Each worker process builds its own app from the environment; they share one session key, so a
    # page signed in on one worker is signed in on all.
    os.environ["PATRON_STORE"] = location
    os.environ.setdefault("PATRON_SECRET_KEY", secrets.token_urlsafe(32))
    uvicorn.run("patron.api:create_app", factory=True, host=host, port=port, workers=workers, log_level="warning")


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help=f"Department role: {', '.join(ROLES)}.")],
    full_name: Annotated[Optional[str], typer.Option(help="Name shown in the app.")] = None,
    password: Annotated[Optional[str], typer.Option(
        help="At least 10 characters. Asked for (hidden) when not given; set PATRON_PASSWORD in scripts.",
        envvar="PATRON_PASSWORD")] = None,
    store: StoreOption = None,
) -> None:
    """Add a user. Passwords are stored as Argon2id hashes, never in clear."""
    from patron.service.users import add_user

    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with open_store(store) as s:
        user = add_user(s, username, password, role, full_name)
    sees = "sees" if user.sees_personal_data else "does not see"
    console.print(f"Added {user.username} ({user.role}); this role {sees} personal data.")


@user_app.command("token")
def user_token(
    username: Annotated[str, typer.Argument(help="The user the token acts as.")],
    name: Annotated[str, typer.Option(help="What the token is for, e.g. 'nightly export'.")] = "script",
    store: StoreOption = None,
) -> None:
    """Create an API token for scripts. It is shown once; only its hash is stored."""
    from patron.service.users import existing_user, issue_token

    with open_store(store) as s:
        token = issue_token(s, existing_user(s, username), name)
    console.print("Use it as [bold]Authorization: Bearer <token>[/]. It will not be shown again:")
    print(token)


@user_app.command("revoke")
def user_revoke(
    username: Annotated[str, typer.Argument(help="The user whose API tokens stop working.")],
    name: Annotated[Optional[str], typer.Option(help="Only the tokens with this name (as given to 'patron user "
                                                      "token --name'); all of them when left out.")] = None,
    store: StoreOption = None,
) -> None:
    """Revoke a user's API tokens; scripts using them are refused from their next request."""
    from patron.service.users import revoke_tokens

    with open_store(store) as s:
        count = revoke_tokens(s, username, name)
    console.print(f"Revoked {count} token{'s' * (count != 1)} of {username}.")


@user_app.command("disable")
def user_disable(
    username: Annotated[str, typer.Argument(help="The user to disable.")],
    enable: Annotated[bool, typer.Option("--enable", help="Enable the user again instead.")] = False,
    store: StoreOption = None,
) -> None:
    """Disable a user: they cannot sign in and their API tokens are refused (--enable undoes it)."""
    from patron.service.users import set_disabled

    with open_store(store) as s:
        user = set_disabled(s, username, not enable)
    console.print(f"{user.username} is now {'enabled' if enable else 'disabled'}.")


@user_app.command("list")
def user_list(store: StoreOption = None) -> None:
    """List users and their roles."""
    with open_store(store) as s:
        rows = s.query("SELECT username, full_name, role, disabled, created_at FROM users ORDER BY username")
    table = Table(title="users")
    for col in ("user", "name", "role", "active", "since"):
        table.add_column(col)
    for u, n, r, d, c in rows:
        table.add_row(u, n or "", r, "no" if d else "yes", f"{c:%Y-%m-%d}")
    console.print(table)
