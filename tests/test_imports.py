"""How the package hangs together: no import cycle, and a light prediction path."""

import ast
import subprocess
import sys

from tests.conftest import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "model"


def imports_of(path) -> set[str]:
    """The ``model.*`` modules a file imports, at any depth of its code."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("model"):
            if node.module == "model":
                found |= {f"model.{alias.name}" for alias in node.names}
            else:
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("model.")}
    return found


def module_name(path) -> str:
    """The dotted name of a file: ``model/gate/__init__.py`` is ``model.gate``."""
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def graph() -> dict[str, set[str]]:
    """Each module of the package, its subpackages included, and the package modules it imports."""
    modules = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    return {name: imports_of(path) & set(modules) for name, path in modules.items()}


def test_the_walk_sees_the_modules_of_subpackages():
    assert {"model.gate", "model.gate.__main__", "model.refit"} <= set(graph())
    assert "model.refit" in graph()["model.gate.__main__"]


def test_no_import_cycle_in_the_package():
    edges = graph()
    state: dict[str, str] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = "open"
        for target in sorted(edges[name]):
            assert state.get(target) != "open", " -> ".join([*trail, name, target])
            if target not in state:
                visit(target, [*trail, name])
        state[name] = "done"

    for name in sorted(edges):
        if name not in state:
            visit(name, [])


def test_the_prediction_path_loads_no_training_or_dedup_code():
    code = (
        "import sys, model.inference, model.inputs, model.overlay, model.ood\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith(('model', 'imagehash')))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT
    ).stdout.split()
    for heavy in ("model.train", "model.splits", "model.dedup", "model.data", "model.evaluate",
                  "model.calibrate", "imagehash"):  # fmt: skip
        assert heavy not in loaded, heavy
