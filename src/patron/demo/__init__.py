"""The demo company: a simulated coffee-and-tea firm whose customers follow a
known buy-till-you-die process, exported as four systems would export it,
with its ground truth beside the files.

Public API: :func:`generate_demo`, :func:`import_demo`, :class:`DemoParameters`.
"""

from patron.demo.company import DemoResult, generate_demo, import_demo
from patron.demo.params import DemoParameters

__all__ = ["DemoParameters", "DemoResult", "generate_demo", "import_demo"]
