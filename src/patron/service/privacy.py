"""Personal data as each role may see it.

Roles that work with customers one to one see email, phone, address and
birth date (``personal_data.read`` in :mod:`patron.service.permissions`);
the others see enough to recognise a customer, not to contact them.
"""

from __future__ import annotations

from typing import Any

from patron.service.permissions import User

PERSONAL_FIELDS = ("email", "phone", "address", "postcode", "birth_date")


def mask(field: str, value: Any) -> Any:
    """Personal data as a role without access sees it: enough to recognise, not to contact."""
    if value is None:
        return None
    text = str(value)
    if field == "email" and "@" in text:
        local, domain = text.split("@", 1)
        return f"{local[:1]}***@{domain}"
    if field == "phone":
        return "***" + text[-2:]
    return "***"


def visible(row: dict, user: User) -> dict:
    """``row`` with its personal fields masked, unless ``user`` may see them."""
    if user.sees_personal_data:
        return row
    return {k: (mask(k, v) if k in PERSONAL_FIELDS else v) for k, v in row.items()}
