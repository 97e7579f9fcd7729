"""Every ``INSERT`` in ``src/`` names its columns.

An insert that gives its values by position breaks the day a migration adds a column to its table (migration 17
broke five of them at once). The check reads every string literal of the code, f-strings and implicit
concatenations included, and refuses ``INSERT INTO t VALUES …`` and ``INSERT INTO t SELECT …``; DuckDB's
``INSERT INTO t BY NAME SELECT …`` names its columns through the select and is allowed. Released migrations are
frozen and are read too: they hold none.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
#: ``INSERT [OR …] INTO <table>`` not followed by a column list or ``BY NAME``.
POSITIONAL = re.compile(r"\bINSERT\s+(?:OR\s+\w+\s+)?INTO\s+([\w.{}\"]+)(?![\w.{}\"])\s*(?!\(|BY\s+NAME\b)(\S+)",
                        re.IGNORECASE)


def _literals(tree: ast.AST):
    """(line, text) of every string literal; an f-string's holes read ``{x}``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value
        elif isinstance(node, ast.JoinedStr):
            yield node.lineno, "".join(v.value if isinstance(v, ast.Constant) else "{x}" for v in node.values)


def positional_inserts(path: Path, root: Path = SRC) -> set[str]:
    found = set()
    for line, text in _literals(ast.parse(path.read_text(encoding="utf-8"))):
        for match in POSITIONAL.finditer(text):
            found.add(f"{path.relative_to(root)}:{line}: {' '.join(match.group(0).split())}")
    return found


def test_the_check_sees_positional_inserts(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        'a = "INSERT INTO interactions VALUES (?, ?)"\n'
        'b = ("INSERT INTO party_changes " "SELECT * FROM x")\n'
        'c = f"INSERT INTO {table} SELECT 1"\n'
        'd = "INSERT OR REPLACE INTO t\\n VALUES (1)"\n'
        'e = "INSERT INTO tasks (task_id, title) VALUES (?, ?)"\n'
        'f = "INSERT INTO scores BY NAME SELECT 1 AS run_id"\n'
        'g = f"INSERT INTO {table} ({cols}) SELECT 1"\n', encoding="utf-8")
    found = sorted(positional_inserts(sample, root=tmp_path))
    assert [f.split(":")[1] for f in found] == ["1", "2", "3", "4"]


def test_every_insert_names_its_columns():
    found = sorted(f for path in sorted(SRC.rglob("*.py")) for f in positional_inserts(path))
    assert not found, "Name the columns of these inserts (INSERT INTO t (a, b) VALUES …):\n" + "\n".join(found)
