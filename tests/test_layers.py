"""The package's layers, proved from the source: every module's imports are read (all of them,
function-level ones included) and checked against what its layer may use.

* ``mnistcore.engine`` imports nothing else of ``mnistcore``: a notebook or the CLI needs
  only NumPy (and the engine's small helpers: tqdm for the CLI, platformdirs for the cache).
* ``analysis`` builds on the engine; ``charts`` on both; ``server`` on the engine.
* Nothing in ``mnistcore`` imports streamlit; the network's maths is NumPy, no torch & co.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "mnistcore"
MAY_USE = {  # layer -> the mnistcore layers its modules may import
    "engine": {"engine"},
    "analysis": {"engine", "analysis"},
    "charts": {"engine", "analysis", "charts"},
    "server": {"engine", "server"},
}
NEVER = {"streamlit", "torch", "tensorflow", "jax", "sklearn"}
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if ".venv" not in p.parts)


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, as a dotted name (``from a import b`` gives a and a.b)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def layer_of(path: Path) -> str | None:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else None  # None: the package's own __init__/__main__


def test_every_module_belongs_to_a_layer():
    assert {layer_of(p) for p in MODULES} == {None, *MAY_USE}
    assert len(MODULES) > 20  # the walk found the package


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_respect_the_layers(path):
    imports = imported_modules(path)
    assert not {name.split(".")[0] for name in imports} & NEVER, f"{path.name} imports {imports & NEVER}"
    layer = layer_of(path)
    if layer is None:
        return
    used = {name.split(".")[1] for name in imports if name.startswith("mnistcore.") and name.count(".") >= 1}
    used &= set(MAY_USE)
    assert used <= MAY_USE[layer], f"{path.relative_to(PACKAGE)} ({layer}) imports {sorted(used - MAY_USE[layer])}"
    assert "mnistcore" not in imports or layer != "engine"  # not the package's top, which imports the others


def test_the_walk_sees_function_level_imports(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from mnistcore.server import jobs\n    import streamlit as st\n")
    assert {"mnistcore.server", "mnistcore.server.jobs", "streamlit"} <= imported_modules(sample)
