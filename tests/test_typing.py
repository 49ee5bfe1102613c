"""Type checking: mypy in strict mode is clean on the model core (``[tool.mypy]`` in
pyproject.toml: devicekit/electrochem, expr, models and spice), as ``make lint`` runs it, and
the package ships its ``py.typed`` marker (PEP 561)."""

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_strict_is_clean_on_the_model_core():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert config["strict"] is True
    assert sorted(config["files"]) == [
        "devicekit/electrochem", "devicekit/expr", "devicekit/models", "devicekit/spice",
    ]  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "Success: no issues found" in done.stdout


def test_the_check_fails_on_a_type_error(tmp_path):
    # the same configuration finds an error when there is one: strict mode is in force
    bad = tmp_path / "bad.py"
    bad.write_text("def f(x):\n    return x\n\n\ny: int = 'text'\n")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(bad)],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 1
    assert "no-untyped-def" in done.stdout and "assignment" in done.stdout


def test_the_package_is_marked_typed():
    assert (ROOT / "devicekit" / "py.typed").is_file()
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "py.typed" in config["tool"]["setuptools"]["package-data"]["devicekit"]


def _public_functions():
    """(where, name, function node) of every function and public method of a class that a
    module of devicekit lists in its ``__all__``."""
    import ast

    for path in sorted((ROOT / "devicekit").rglob("*.py")):
        tree = ast.parse(path.read_text())
        public: set[str] = set()
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(
                getattr(t, "id", None) == "__all__" for t in node.targets
            ):
                try:  # the package root computes its lazy index; it defines no functions
                    public = set(ast.literal_eval(node.value))
                except ValueError:
                    public = set()
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name in public:
                yield path, node.name, node
            if isinstance(node, ast.ClassDef) and node.name in public:
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and (
                        not item.name.startswith("_") or item.name in ("__init__", "__call__")
                    ):
                        yield path, f"{node.name}.{item.name}", item


def test_every_public_function_has_type_hints():
    # beyond the strictly checked packages: every name a module exports is annotated, its
    # parameters and its return (PEP 484), so that users' own type checkers can use them
    unannotated, count = [], 0
    for path, name, node in _public_functions():
        count += 1
        a = node.args
        params = [
            p for p in (*a.posonlyargs, *a.args, *a.kwonlyargs) if p.arg not in ("self", "cls")
        ]
        params += [p for p in (a.vararg, a.kwarg) if p is not None]
        if any(p.annotation is None for p in params) or (
            node.returns is None and node.name != "__init__"
        ):
            unannotated.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    assert count > 300  # measured 343: the scan sees the package
    assert not unannotated, unannotated
