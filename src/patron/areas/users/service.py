"""Users and API tokens: accounts, sign-in, tokens for scripts, disabling and revoking.

Passwords are hashed with Argon2id (argon2-cffi, the reference
implementation's bindings). API tokens are 256 random bits shown once; the
store keeps only their SHA-256, which is enough for a secret that cannot be
guessed (a slow hash protects low-entropy passwords, not random tokens).

Roles are departments; what each may do is the matrix of
:mod:`patron.service.permissions`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from patron.errors import Conflict, InvalidInput, NotFound
from patron.service.audit import record
from patron.service.permissions import User
from patron.store import Store
from patron.store.vocabulary import ROLES

TOKEN_PREFIX = "patron_"
#: How long a token works when made without an expiry, and for tokens from before expiry existed
#: (counted from their ``created_at``); the service takes it from ``PATRON_TOKEN_DAYS``.
TOKEN_DAYS = 90
#: A token's ``last_used_at`` is written at most this often (per process): not a write on every request.
LAST_USED_EVERY = dt.timedelta(seconds=60)
_hasher = PasswordHasher()
_USER_FIELDS = "user_id, username, role, full_name"


def _admin(by: User | None) -> None:
    """Administration is for admins (``users.manage``); ``by`` None is the local operator at the command line."""
    if by is not None:
        by.require("users.manage")


def _check_password(password: str) -> None:
    if len(password) < 10:
        raise InvalidInput("A password needs at least 10 characters.")


def add_user(store: Store, username: str, password: str, role: str, full_name: str | None = None,
             *, by: User | None = None) -> User:
    """Create a user; the password is stored as an Argon2id hash."""
    _admin(by)
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
            "INSERT INTO users (user_id, username, full_name, role, password_hash, disabled, created_at) "
            "VALUES (?, ?, ?, ?, ?, FALSE, now()::TIMESTAMP)",
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


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def issue_token(store: Store, user: User, name: str, *, days: int | None = TOKEN_DAYS, by: User | None = None) -> str:
    """A new API token for ``user``, working for ``days`` (``None``: until revoked), returned once in clear.

    Only its hash is kept. ``by`` is who made it, when not the user themself (an admin).
    """
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput("Give the token a name of 1 to 100 characters, saying what it is for.")
    if by is not None and by.user_id != user.user_id:
        _admin(by)
    if days is not None and not 1 <= days <= 3650:
        raise InvalidInput(f"A token works for 1 to 3650 days, not {days}.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = None if days is None else _utcnow() + dt.timedelta(days=days)
    with store.transaction():
        token_id = store.next_id("api_tokens", "token_id")
        store.raw.execute("INSERT INTO api_tokens (token_id, user_id, name, token_hash, created_at, last_used_at, "
                          "revoked, expires_at) VALUES (?, ?, ?, ?, now()::TIMESTAMP, NULL, FALSE, ?)",
                          [token_id, user.user_id, name, _token_hash(token), expires])
        record(store, by or user, "token.create", "api_token", token_id,
               {"name": name, "for": user.username, "expires_at": expires and f"{expires:%Y-%m-%d %H:%M}"})
    return token


def revoke_token(store: Store, token_id: int, *, by: User | None = None) -> dict:
    """Revoke one token by its id; refused from its next request on."""
    _admin(by)
    rows = store.records("SELECT t.token_id, t.name, t.revoked, u.username FROM api_tokens t "
                         "JOIN users u USING (user_id) WHERE t.token_id = ?", [token_id])
    if not rows:
        raise NotFound(f"There is no API token {token_id}.")
    with store.transaction():
        store.raw.execute("UPDATE api_tokens SET revoked = TRUE WHERE token_id = ?", [token_id])
        record(store, by, "token.revoke", "api_token", token_id, {"name": rows[0]["name"],
                                                                 "for": rows[0]["username"]})
    return rows[0]


def list_tokens(store: Store, username: str, *, days: int = TOKEN_DAYS, by: User | None = None) -> list[dict]:
    """A user's tokens, newest first, with when each expires (the default lifetime for old ones) and its state."""
    _admin(by)
    user = existing_user(store, username)
    rows = store.records("SELECT token_id, name, created_at, last_used_at, expires_at, revoked FROM api_tokens "
                         "WHERE user_id = ? ORDER BY created_at DESC, token_id DESC", [user.user_id])
    now = _utcnow()
    for r in rows:
        r["expires_at"] = r["expires_at"] or r["created_at"] + dt.timedelta(days=days)
        r["state"] = "revoked" if r["revoked"] else "expired" if r["expires_at"] <= now else "active"
    return rows


def revoke_tokens(store: Store, username: str, name: str | None = None, *, by: User | None = None) -> int:
    """Revoke a user's API tokens (only those called ``name`` if given); how many were revoked.

    A PostgreSQL service refuses them from its next request. A DuckDB file is held by the service
    that serves it, so there this runs when the service is stopped (or through the service's store).
    """
    _admin(by)
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
    """Disable a user (no sign-in, no API token works, their page sessions end) or enable them again."""
    _admin(by)
    user = existing_user(store, username)
    if disabled and by is not None and by.user_id == user.user_id:
        raise Conflict("You cannot disable yourself: ask another admin.")
    with store.transaction():
        store.raw.execute("UPDATE users SET disabled = ? WHERE user_id = ?", [disabled, user.user_id])
        if disabled:
            _end_sessions(store, "user_id = ?", [user.user_id])
        record(store, by, "user.disable" if disabled else "user.enable", "user", user.user_id,
               {"username": user.username})
    return user


#: When this process last wrote each token's ``last_used_at``, by token hash (unique in every store).
_last_used: dict[str, dt.datetime] = {}
_last_used_lock = threading.Lock()


def set_role(store: Store, username: str, role: str, *, by: User | None = None) -> User:
    """Give a user another role; it applies from their next request."""
    _admin(by)
    user = existing_user(store, username)
    if by is not None and by.user_id == user.user_id and role != user.role:
        raise Conflict("You cannot change your own role: ask another admin.")
    if role not in ROLES:
        raise InvalidInput(f"Unknown role '{role}'. Roles: {', '.join(ROLES)}.")
    with store.transaction():
        store.raw.execute("UPDATE users SET role = ? WHERE user_id = ?", [role, user.user_id])
        record(store, by, "user.role", "user", user.user_id, {"username": user.username, "was": user.role,
                                                             "role": role})
    return User(user.user_id, user.username, role, user.full_name)


def set_password(store: Store, username: str, password: str, *, by: User | None = None) -> User:
    """A new password for a user; their page sessions end (they sign in again with it)."""
    _admin(by)
    user = existing_user(store, username)
    _check_password(password)
    with store.transaction():
        store.raw.execute("UPDATE users SET password_hash = ? WHERE user_id = ?",
                          [_hasher.hash(password), user.user_id])
        _end_sessions(store, "user_id = ?", [user.user_id])
        record(store, by, "user.password", "user", user.user_id, {"username": user.username})
    return user


def user_for_token(store: Store, token: str, *, days: int = TOKEN_DAYS, address: str | None = None) -> User | None:
    """The active user of a token that is not revoked nor expired; ``None`` otherwise.

    Tokens without an expiry of their own (made before expiry existed) work ``days`` from when they were
    made. The lookup is cached until a write changes tokens or users (:meth:`Store.stable`); the expiry is
    checked on every request, and ``last_used_at`` written at most once a minute per token.
    """
    if not token.startswith(TOKEN_PREFIX):
        return None
    digest = _token_hash(token)
    rows = store.stable(("api token", digest), lambda: store.query(
        "SELECT u.user_id, u.username, u.role, u.full_name, t.token_id, coalesce(t.expires_at, t.created_at + ?) "
        "FROM api_tokens t JOIN users u USING (user_id) WHERE t.token_hash = ? AND NOT t.revoked "
        "AND NOT u.disabled", [dt.timedelta(days=days), digest]))
    if not rows:
        return None
    user_id, username, role, full_name, token_id, expires = rows[0]
    now = _utcnow()
    if expires <= now:
        return None
    _mark_used(store, digest, token_id, now)
    return User(user_id, username, role, full_name, address)


def _mark_used(store: Store, digest: str, token_id: int, now: dt.datetime) -> None:
    with _last_used_lock:
        last = _last_used.get(digest)
        if last is not None and now - last < LAST_USED_EVERY:
            return
        if len(_last_used) > 100_000:
            _last_used.clear()
        _last_used[digest] = now
    with store.transaction(keeps_stable=True):  # the cached lookup does not read last_used_at
        store.raw.execute("UPDATE api_tokens SET last_used_at = ? WHERE token_id = ?", [now, token_id])


# -- page sessions ---------------------------------------------------------------
# The cookie holds a random key; the store holds its SHA-256 and whether the session has ended
# (migration 8), so signing out or disabling a user ends every copy of the cookie at once.

def start_session(store: Store, user: User) -> str:
    """A new page session for ``user``: the key for the cookie (the store keeps only its hash)."""
    key = secrets.token_urlsafe(32)
    with store.transaction():
        store.raw.execute("INSERT INTO web_sessions (session_hash, user_id, started_at, ended_at) "
                          "VALUES (?, ?, now()::TIMESTAMP, NULL)",
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


def list_users(store: Store, *, by: User | None = None) -> list[dict]:
    """Every user with role, state, creation date, last sign-in and active tokens, by name."""
    _admin(by)
    return store.records(
        "SELECT u.username, u.full_name, u.role, u.disabled, u.created_at, "
        "(SELECT max(attempted_at) FROM sign_in_attempts a WHERE a.username = u.username AND a.succeeded) "
        "AS last_sign_in, (SELECT count(*) FROM api_tokens t WHERE t.user_id = u.user_id AND NOT t.revoked) "
        "AS tokens FROM users u ORDER BY u.username")


def count_users(store: Store) -> int:
    return store.scalar("SELECT count(*) FROM users")


def existing_user(store: Store, username: str) -> User:
    """The user called ``username``; a clear error when there is none."""
    user = get_user(store, username)
    if user is None:
        raise NotFound(f"There is no user '{username}'.")
    return user
