"""The Examples in the model core's docstrings run and print what they say."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import patron.models

MODULES = [patron.models] + [
    importlib.import_module(f"patron.models.{info.name}")
    for info in pkgutil.iter_modules(patron.models.__path__)
]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
