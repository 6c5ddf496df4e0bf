"""The examples in the docstrings of the pure modules are run as tests (doctest), so
the documentation of the arithmetic cannot drift from what the code does."""

import doctest
import importlib

import pytest

PURE_MODULES = [
    "coordination.clock",
    "coordination.personnummer",
    "coordination.population",
    "coordination.urls",
    "workflows.deadlines",
    "workflows.hooks",
    "workflows.phrasing",
    "notifications.links",
]


@pytest.mark.parametrize("name", PURE_MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(
        module, optionflags=doctest.ELLIPSIS | doctest.IGNORE_EXCEPTION_DETAIL, verbose=False
    )
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
