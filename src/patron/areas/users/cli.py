"""``patron user``: users of the web app and the API, their roles and API tokens."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Annotated, Optional

import typer
from rich.table import Table

from patron.cli.common import StoreOption, console, open_store, plain
from patron.errors import StoreInUse
from patron.store.vocabulary import ROLES


@contextmanager
def admin_store(store: str | None):
    """The store, or a clear way round when a running service holds its DuckDB file."""
    try:
        s = open_store(store)
    except StoreInUse as exc:
        raise StoreInUse(
            f"{exc}\nA running patron service holds this store, and only it may change it. Manage users and "
            "tokens there, in effect at once: the Users page (/users, for admins) or the API "
            "(/api/v1/users, /api/v1/tokens). Or stop the service and run this again.") from None
    with s:
        yield s

user_app = typer.Typer(help="Users of the web app and API: add them, give them API tokens.", no_args_is_help=True)
commands = typer.Typer()
commands.add_typer(user_app, name="user")


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
    from patron.areas.users.service import add_user

    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with admin_store(store) as s:
        user = add_user(s, username, password, role, full_name)
    sees = "sees" if user.sees_personal_data else "does not see"
    console.print(f"Added {user.username} ({user.role}); this role {sees} personal data.")


@user_app.command("token")
def user_token(
    username: Annotated[str, typer.Argument(help="The user the token acts as.")],
    name: Annotated[str, typer.Option(help="What the token is for, e.g. 'nightly export'.")] = "script",
    days: Annotated[int, typer.Option(help="How many days it works (then it is refused).",
                                      envvar="PATRON_TOKEN_DAYS")] = 90,
    store: StoreOption = None,
) -> None:
    """Create an API token for scripts. It is shown once; only its hash is stored."""
    from patron.areas.users.service import existing_user, issue_token

    with admin_store(store) as s:
        token = issue_token(s, existing_user(s, username), name, days=days)
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
    from patron.areas.users.service import revoke_tokens

    with admin_store(store) as s:
        count = revoke_tokens(s, username, name)
    console.print(f"Revoked {count} token{'s' * (count != 1)} of {username}.")


@user_app.command("disable")
def user_disable(
    username: Annotated[str, typer.Argument(help="The user to disable.")],
    enable: Annotated[bool, typer.Option("--enable", help="Enable the user again instead.")] = False,
    store: StoreOption = None,
) -> None:
    """Disable a user: they cannot sign in and their API tokens are refused (--enable undoes it)."""
    from patron.areas.users.service import set_disabled

    with admin_store(store) as s:
        user = set_disabled(s, username, not enable)
    console.print(f"{user.username} is now {'enabled' if enable else 'disabled'}.")


@user_app.command("list")
def user_list(store: StoreOption = None) -> None:
    """List users and their roles."""
    from patron.areas.users.service import list_users

    with admin_store(store) as s:
        rows = list_users(s)
    table = Table(title="users")
    for col in ("user", "name", "role", "active", "since"):
        table.add_column(col)
    for u in rows:
        table.add_row(u["username"], plain(u["full_name"]), u["role"], "no" if u["disabled"] else "yes",
                      f"{u['created_at']:%Y-%m-%d}")
    console.print(table)
