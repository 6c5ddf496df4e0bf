"""The shape of the code (README, Architecture): imports sit at the top of a module, so
the layers import-linter checks are the real dependencies. A function-local import is
allowed only with a comment naming why, on its line or on the comment line(s) just
above it (a flow and its services import each other; ``AppConfig.ready``; WeasyPrint
loads pango at import time)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["config", "coordination", "workflows", "notifications", "oversight"]


def _local_imports(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    yield inner.lineno


def _has_reason(lines: list[str], lineno: int) -> bool:
    if "#" in lines[lineno - 1]:
        return True
    index = lineno - 2
    # A block of local imports (groups split by blank lines) shares one comment.
    while index >= 0 and (
        not lines[index].strip() or lines[index].strip().startswith(("from ", "import "))
    ):
        index -= 1
    return index >= 0 and lines[index].strip().startswith("#")


def test_function_local_imports_name_their_reason():
    unexplained = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            lines = path.read_text().splitlines()
            for lineno in _local_imports(path):
                if not _has_reason(lines, lineno):
                    relative = path.relative_to(ROOT)
                    unexplained.append(f"{relative}:{lineno}: {lines[lineno - 1].strip()}")
    assert unexplained == [], "\n".join(unexplained)


def test_the_checker_sees_a_local_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    import json\n\n    return json\n")
    lines = sample.read_text().splitlines()
    assert [n for n in _local_imports(sample) if not _has_reason(lines, n)] == [2]
    sample.write_text("def f():\n    # here: a reason\n    import json\n\n    return json\n")
    lines = sample.read_text().splitlines()
    assert [n for n in _local_imports(sample) if not _has_reason(lines, n)] == []
