"""The product never imports the tooling package (demo, benchmarks, Stripe's stand-in)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("ams", "config", "spapi", "spapi_sim")
DYNAMIC_IMPORTS = {"import_module", "__import__", "import_string"}


def _is_devtools(module: str) -> bool:
    return module == "devtools" or module.startswith("devtools.")


def _imported(node: ast.AST) -> list[str]:
    """The module names ``node`` imports: an import statement, or a dotted name given to an importer."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        return [node.module or ""] if node.level == 0 else []
    if isinstance(node, ast.Call) and node.args:
        name = (
            node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        )
        first = node.args[0]
        if (
            name in DYNAMIC_IMPORTS
            and isinstance(first, ast.Constant)
            and isinstance(first.value, str)
        ):
            return [first.value]
    return []


def devtools_imports(source: str) -> list[int]:
    """Lines of ``source`` that import devtools."""
    return sorted(
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.stmt | ast.expr) and any(map(_is_devtools, _imported(node)))
    )


def test_the_scan_finds_every_way_of_importing_devtools():
    source = (
        "import devtools\n"
        "import os, devtools.demo as demo\n"
        "from devtools.fake_stripe import default_fake\n"
        "from devtools import bench\n"
        "importlib.import_module('devtools.bench.sync')\n"
        "import_string('devtools.fake_stripe.FakeStripe')\n"
        "import devtoolsmith\n"
        "INSTALLED_APPS = ['devtools']\n"
    )
    assert devtools_imports(source) == [1, 2, 3, 4, 5, 6]


def test_nothing_in_the_product_imports_devtools():
    files = [path for package in PRODUCT for path in sorted((ROOT / package).rglob("*.py"))]
    assert len(files) > 100
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in files
        for line in devtools_imports(path.read_text(encoding="utf-8"))
    ]
    assert found == []
