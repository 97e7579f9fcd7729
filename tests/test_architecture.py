"""The layers of ``src/patron`` and the rules between them, checked on the code's own imports.

Every ``import`` counts, at module level or inside a function: an import that is deferred for start-up
speed still ties the two modules together. Rules:

- no module imports one of a higher layer (data flows one way: store → analytics → models → service → interfaces);
- no two modules import each other, directly or round a circle;
- the interfaces (CLI, API, pages) call the service layer: no SQL in them, and no import of the layers below
  it but the store's face (:class:`~patron.store.Store`, the vocabularies) and the errors.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "patron"

#: Layers from the bottom up. A module may import modules of its own layer or lower ones.
LAYERS = ("kernel", "models", "store", "data", "engines", "act", "service", "interfaces", "shell")
#: By module name (the longest prefix that matches wins).
LAYER_OF = {
    "patron": "kernel",
    "patron.errors": "kernel",
    "patron.models": "models",
    "patron.store": "store",
    "patron.ingest": "data",
    "patron.analytics": "data",
    "patron.resolve": "data",
    "patron.engines": "engines",
    "patron.demo": "engines",
    "patron.act": "act",
    "patron.service": "service",
    "patron.areas": "service",
    "patron.api": "interfaces",
    "patron.web": "interfaces",
    "patron.cli": "interfaces",
    "patron.cli.app": "shell",
    "patron.app": "shell",
    "patron.__main__": "shell",
}
#: Modules of a feature package (``patron.areas.<area>.<module>``) that are interfaces; the rest are its service.
AREA_INTERFACES = {"routes", "pages", "cli", "schemas"}
#: What an interface module may import from below the service layer: the package (its version), the errors,
#: the store's face (to open one, or name its type) and the vocabularies.
INTERFACE_MAY_IMPORT = {"patron", "patron.errors", "patron.store", "patron.store.vocabulary"}
SQL = re.compile(r"\b(SELECT\s+.+\s+FROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TEMP\s+)?TABLE)\b",
                 re.S)


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) >= 4 and parts[1] == "areas":
        return "interfaces" if parts[3] in AREA_INTERFACES else "service"
    for n in range(len(parts), 0, -1):
        found = LAYER_OF.get(".".join(parts[:n]))
        if found:
            return found
    raise AssertionError(f"{module} is in no layer: add it to LAYER_OF")


def _resolve(importer: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = importer.split(".")
    if not MODULES[importer].name == "__init__.py":
        package = package[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(module: str) -> list[tuple[str, int]]:
    """The patron modules ``module`` imports (the module itself for ``from pkg import submodule``), with lines."""
    tree = ast.parse(MODULES[module].read_text(), str(MODULES[module]))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, node)
            names = [(f"{target}.{a.name}" if f"{target}.{a.name}" in MODULES else target, node.lineno)
                     for a in node.names]
        else:
            continue
        for name, line in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name.startswith("patron") and name != module:
                found.append((name, line))
    return found


GRAPH = {m: imports_of(m) for m in MODULES}


def test_every_module_has_a_layer():
    for module in MODULES:
        layer(module)


def test_no_import_climbs_to_a_higher_layer():
    climbs = sorted({f"{m}:{line} ({layer(m)}) imports {target} ({layer(target)})"
                     for m, targets in GRAPH.items() for target, line in targets
                     if LAYERS.index(layer(target)) > LAYERS.index(layer(m))})
    assert not climbs, "imports that climb:\n  " + "\n  ".join(climbs)


def _circles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, circles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w, _ in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in GRAPH:
        if v not in index:
            visit(v)
    return circles


def test_no_import_cycles():
    circles = _circles()
    assert not circles, "modules that import each other round a circle:\n  " + "\n  ".join(
        " <-> ".join(c) for c in circles)


INTERFACE_MODULES = [m for m in MODULES if layer(m) in ("interfaces", "shell")]


@pytest.mark.parametrize("module", INTERFACE_MODULES)
def test_interfaces_call_the_service_layer_only(module):
    below = [f"line {line}: {target}" for target, line in GRAPH[module]
             if LAYERS.index(layer(target)) < LAYERS.index("service") and target not in INTERFACE_MAY_IMPORT]
    assert not below, f"{module} reaches below the service layer:\n  " + "\n  ".join(below)
    tree = ast.parse(MODULES[module].read_text())
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body
                  and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    sql = [f"line {n.lineno}: {n.value[:60]!r}" for n in ast.walk(tree)
           if isinstance(n, ast.Constant) and isinstance(n.value, str) and SQL.search(n.value)
           and id(n) not in docstrings]
    assert not sql, f"{module} holds SQL; it belongs in a service module:\n  " + "\n  ".join(sql)
