"""The sign-in gate: attempts take turns (at most two at once), a refused one (429) is answered only after its
delay and outside its turn, and every other route passes straight through."""

from __future__ import annotations

import asyncio
import time

from patron.web.sign_in_gate import SignInGate


def _app(status: int, seen: dict):
    async def app(scope, receive, send):
        seen["now"] += 1
        seen["most"] = max(seen["most"], seen["now"])
        await asyncio.sleep(0.05)  # the password check
        seen["now"] -= 1
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"x"})
    return app


def _call(gate, path: str, method: str = "POST"):
    sent: list[tuple[float, dict]] = []

    async def send(message):
        sent.append((time.perf_counter(), message))

    async def receive():
        return {"type": "http.request", "body": b""}

    return gate({"type": "http", "method": method, "path": path}, receive, send), sent


def _run(gate, n: int, path: str, method: str = "POST"):
    async def main():
        calls = [_call(gate, path, method) for _ in range(n)]
        start = time.perf_counter()
        await asyncio.gather(*(c for c, _ in calls))
        return start, [s for _, s in calls]
    return asyncio.run(main())


def test_refused_sign_ins_take_turns_and_are_answered_slowly():
    seen = {"now": 0, "most": 0}
    gate = SignInGate(_app(429, seen), at_once=2, refusal_delay=0.3)
    start, answers = _run(gate, 8, "/api/v1/tokens")
    assert seen["most"] == 2  # eight at once, two checked at a time
    for sent in answers:
        assert [m["type"] for _, m in sent] == ["http.response.start", "http.response.body"]
        assert sent[0][1]["status"] == 429 and sent[0][0] - start >= 0.3
    # the delay is served outside the turn: four turns of 0.05 s plus one delay, not eight delays in a row
    assert max(s[-1][0] for s in answers) - start < 0.3 + 4 * 0.05 + 0.4


def test_a_successful_sign_in_is_not_delayed_and_other_routes_pass_freely():
    seen = {"now": 0, "most": 0}
    gate = SignInGate(_app(303, seen), at_once=2, refusal_delay=5)
    start, answers = _run(gate, 2, "/login")
    assert all(s[0][1]["status"] == 303 and s[0][0] - start < 1 for s in answers)
    seen = {"now": 0, "most": 0}
    start, answers = _run(SignInGate(_app(429, seen), at_once=1, refusal_delay=5), 6, "/api/v1/parties/1", "GET")
    assert seen["most"] == 6 and all(s[0][0] - start < 1 for s in answers)
