"""The demo company as the ``patron demo`` command runs it: simulated, exported, imported (:mod:`patron.demo`)."""

from __future__ import annotations

from patron.demo import generate_demo, import_demo
from patron.demo.company import EXPORTS, generate_steps

__all__ = ["demo_steps", "generate_demo", "generate_steps", "import_demo"]


def demo_steps(customers: int) -> int:
    """How many steps a demo of ``customers`` customers reports: the simulation's, then one per export imported."""
    return generate_steps(customers) + len(EXPORTS)
