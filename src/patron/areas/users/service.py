"""Users and API tokens: accounts, sign-in, tokens for scripts, disabling and revoking.

Passwords are hashed with Argon2id (argon2-cffi, the reference
implementation's bindings). API tokens are 256 random bits shown once; the
store keeps only their SHA-256, which is enough for a secret that cannot be
guessed (a slow hash protects low-entropy passwords, not random tokens).

Roles are departments; what each may do is the matrix of
:mod:`patron.service.permissions`.
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from patron.errors import Conflict, InvalidInput, NotFound
from patron.service.audit import record
from patron.service.permissions import User
from patron.store import Store
from patron.store.vocabulary import ROLES

TOKEN_PREFIX = "patron_"
_hasher = PasswordHasher()
_USER_FIELDS = "user_id, username, role, full_name"


def _check_password(password: str) -> None:
    if len(password) < 10:
        raise InvalidInput("A password needs at least 10 characters.")


def add_user(store: Store, username: str, password: str, role: str, full_name: str | None = None,
             *, by: User | None = None) -> User:
    """Create a user; the password is stored as an Argon2id hash."""
    username = username.strip().lower()
    if not username or not username.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise InvalidInput("A username is letters, digits, dots, dashes or underscores.")
    if role not in ROLES:
        raise InvalidInput(f"Unknown role '{role}'. Roles: {', '.join(ROLES)}.")
    _check_password(password)
    with store.transaction():
        user_id = store.next_id("users", "user_id")  # first: on a server, it makes the name check below exclusive
        if store.scalar("SELECT count(*) FROM users WHERE username = ?", [username]):
            raise Conflict(f"There is already a user called '{username}'.")
        store.raw.execute(
            "INSERT INTO users VALUES (?, ?, ?, ?, ?, FALSE, now()::TIMESTAMP)",
            [user_id, username, full_name, role, _hasher.hash(password)],
        )
        record(store, by, "user.create", "user", user_id, {"username": username, "role": role})
    return User(user_id, username, role, full_name)


def authenticate(store: Store, username: str, password: str) -> User | None:
    """The user, if the password is right and the user is active; ``None`` otherwise."""
    rows = store.query("SELECT user_id, username, role, full_name, password_hash FROM users "
                       "WHERE username = ? AND NOT disabled", [username.strip().lower()])
    if not rows:
        _hasher.hash(password)  # spend the same time as a real check: no user enumeration by timing
        return None
    user_id, name, role, full_name, stored = rows[0]
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    return User(user_id, name, role, full_name)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(store: Store, user: User, name: str) -> str:
    """A new API token for ``user``, returned once in clear; only its hash is kept."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with store.transaction():
        token_id = store.next_id("api_tokens", "token_id")
        store.raw.execute("INSERT INTO api_tokens (token_id, user_id, name, token_hash, created_at, last_used_at, revoked) "
                          "VALUES (?, ?, ?, ?, now()::TIMESTAMP, NULL, FALSE)",
                          [token_id, user.user_id, name, _token_hash(token)])
        record(store, user, "token.create", "api_token", token_id, {"name": name})
    return token


def revoke_tokens(store: Store, username: str, name: str | None = None, *, by: User | None = None) -> int:
    """Revoke a user's API tokens (only those called ``name`` if given); how many were revoked.

    A PostgreSQL service refuses them from its next request. A DuckDB file is held by the service
    that serves it, so there this runs when the service is stopped (or through the service's store).
    """
    user = existing_user(store, username)
    with store.transaction():
        where, params = "user_id = ? AND NOT revoked", [user.user_id]
        if name is not None:
            where, params = where + " AND name = ?", [*params, name]
        revoked = store.changed(f"UPDATE api_tokens SET revoked = TRUE WHERE {where}", params)
        if revoked:
            record(store, by, "token.revoke", "user", user.user_id, {"tokens": revoked, "name": name})
    return revoked


def set_disabled(store: Store, username: str, disabled: bool, *, by: User | None = None) -> User:
    """Disable a user (no sign-in, no API token works) or enable them again."""
    user = existing_user(store, username)
    with store.transaction():
        store.raw.execute("UPDATE users SET disabled = ? WHERE user_id = ?", [disabled, user.user_id])
        if disabled:
            _end_sessions(store, "user_id = ?", [user.user_id])
        record(store, by, "user.disable" if disabled else "user.enable", "user", user.user_id,
               {"username": user.username})
    return user


def user_for_token(store: Store, token: str) -> User | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    digest = _token_hash(token)
    rows = store.stable(("api token", digest), lambda: store.query(
        "SELECT u.user_id, u.username, u.role, u.full_name FROM api_tokens t JOIN users u USING (user_id) "
        "WHERE t.token_hash = ? AND NOT t.revoked AND NOT u.disabled", [digest]))
    return User(*rows[0]) if rows else None


# -- page sessions ---------------------------------------------------------------
# The cookie holds a random key; the store holds its SHA-256 and whether the session has ended
# (migration 8), so signing out or disabling a user ends every copy of the cookie at once.

def start_session(store: Store, user: User) -> str:
    """A new page session for ``user``: the key for the cookie (the store keeps only its hash)."""
    key = secrets.token_urlsafe(32)
    with store.transaction():
        store.raw.execute("INSERT INTO web_sessions VALUES (?, ?, now()::TIMESTAMP, NULL)",
                          [_token_hash(key), user.user_id])
    return key


def session_user(store: Store, key: str) -> User | None:
    """The active user of a page session that has not ended; ``None`` otherwise."""
    rows = store.query(
        "SELECT u.user_id, u.username, u.role, u.full_name FROM web_sessions s JOIN users u USING (user_id) "
        "WHERE s.session_hash = ? AND s.ended_at IS NULL AND NOT u.disabled", [_token_hash(key)])
    return User(*rows[0]) if rows else None


def end_session(store: Store, key: str) -> None:
    """Sign out: the session ends in the store, so a copy of its cookie no longer works."""
    with store.transaction():
        _end_sessions(store, "session_hash = ?", [_token_hash(key)])


def _end_sessions(store: Store, where: str, params: list) -> None:
    store.raw.execute(f"UPDATE web_sessions SET ended_at = now()::TIMESTAMP WHERE ended_at IS NULL AND {where}",
                      params)


def get_user(store: Store, username: str) -> User | None:
    rows = store.query(f"SELECT {_USER_FIELDS} FROM users WHERE username = ?", [username.strip().lower()])
    return User(*rows[0]) if rows else None


def active_user(store: Store, user_id: int) -> User | None:
    """The user behind a page session, unless disabled since."""
    rows = store.query(f"SELECT {_USER_FIELDS} FROM users WHERE user_id = ? AND NOT disabled", [user_id])
    return User(*rows[0]) if rows else None


def list_users(store: Store) -> list[dict]:
    """Every user with role, state and creation date, by name."""
    return store.records("SELECT username, full_name, role, disabled, created_at FROM users ORDER BY username")


def count_users(store: Store) -> int:
    return store.scalar("SELECT count(*) FROM users")


def existing_user(store: Store, username: str) -> User:
    """The user called ``username``; a clear error when there is none."""
    user = get_user(store, username)
    if user is None:
        raise NotFound(f"There is no user '{username}'.")
    return user
