"""Sign-in attempts take turns, and a refused one is answered slowly: a login flood cannot crowd out the service.

The throttle (:mod:`patron.areas.users.signin`) refuses an account or address in back-off without checking the
password, so a refusal is cheap; a flooding client then simply asks again at once. Eight such clients on the
2-core machine made about 75 refused sign-ins a second and pushed the customer 360's p95 from 130 to 400-550 ms
and a write's to 510-590 ms (stop 23, ``benchmarks/abuse.py``). So, in front of the two sign-in routes:

- at most :data:`AT_ONCE` attempts are handled at a time; the others wait their turn without using the CPU,
  which also bounds how many Argon2 checks (64 MiB each) run together;
- a refused attempt (429) is answered after :data:`REFUSAL_DELAY` seconds, outside the turn, so each flooding
  connection makes at most a few attempts a second. A person who is refused waits half a second more.
"""

from __future__ import annotations

import asyncio

#: The routes that check a password.
PATHS = frozenset({("POST", "/login"), ("POST", "/api/v1/tokens")})
AT_ONCE = 2
REFUSAL_DELAY = 0.5


class SignInGate:
    """ASGI middleware: :data:`AT_ONCE` sign-ins at a time, refusals answered after :data:`REFUSAL_DELAY`."""

    def __init__(self, app, at_once: int = AT_ONCE, refusal_delay: float = REFUSAL_DELAY) -> None:
        self.app = app
        self.at_once = at_once
        self.refusal_delay = refusal_delay
        self._turns: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None  # of the running loop

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or (scope.get("method"), scope.get("path")) not in PATHS:
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        if self._turns is None or self._turns[0] is not loop:  # a test's client runs its own loop
            self._turns = (loop, asyncio.Semaphore(self.at_once))
        answer: list[dict] = []  # a sign-in's answer is small: kept until the turn is over

        async def keep(message):
            answer.append(message)

        async with self._turns[1]:
            await self.app(scope, receive, keep)
        if answer and answer[0].get("type") == "http.response.start" and answer[0].get("status") == 429:
            await asyncio.sleep(self.refusal_delay)
        for message in answer:
            await send(message)
