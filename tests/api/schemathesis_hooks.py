"""Hooks for the schemathesis run of ``test_schemathesis.py`` (loaded through ``SCHEMATHESIS_HOOKS``).

The fuzzer signs in as an admin with a token, and the API lets an admin revoke tokens and disable users, so it
would sooner or later revoke its own token or disable, demote or re-password its own account (the run of
stop 20 did: ``DELETE /api/v1/tokens/1``), after which every request is a 401 and tests nothing. Such requests
are sent to another user and token instead: every operation is still tested, only never on the fuzzer itself.
"""

from __future__ import annotations

import os

import schemathesis

OWN_USER = os.environ.get("PATRON_FUZZ_USER", "").lower()
OWN_TOKEN_ID = os.environ.get("PATRON_FUZZ_TOKEN_ID", "")


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    parameters = case.path_parameters
    if not parameters or case.method.upper() == "GET":
        return
    if "username" in parameters and str(parameters["username"]).strip().lower() == OWN_USER:
        parameters["username"] = "someone-else"
    if "token_id" in parameters and str(parameters["token_id"]).strip() == OWN_TOKEN_ID:
        parameters["token_id"] = 987654321
