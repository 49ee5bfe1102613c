"""The layering of devicekit: lower layers never import higher ones, and there are no import
cycles (counting imports inside functions too, which close cycles at run time)."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "devicekit"

#: low to high; a module may import its own layer and the layers below
LAYERS = [
    [
        "devicekit.errors",
        "devicekit.units",
        "devicekit.text",
        "devicekit.io",
        "devicekit.arraytypes",
    ],
    ["devicekit.tomltext", "devicekit.analyses", "devicekit.crossings", "devicekit.expr"],
    ["devicekit.electrochem"],
    ["devicekit.models"],
    ["devicekit.spice", "devicekit.native", "devicekit.export"],
    [
        "devicekit.circuits",
        "devicekit.simulation",
        "devicekit.spikes",
        "devicekit.summaries",
        "devicekit.sweeps",
        "devicekit.measurements",
        "devicekit.datasets",
        "devicekit.fit",
        "devicekit.plotting",
    ],
    ["devicekit.demo", "devicekit.commands", "devicekit.cli", "devicekit.__main__"],
]


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _runtime_nodes(tree: ast.AST):
    """Every node that runs: ``if TYPE_CHECKING:`` blocks import for type checkers only."""
    skipped = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING")
        for statement in node.body
        for inner in ast.walk(statement)
    }
    return [node for node in ast.walk(tree) if id(node) not in skipped]


def _graph() -> dict[str, set[str]]:
    modules = _modules()

    def resolve(target: str) -> str:
        while target not in modules and "." in target:
            target = target.rsplit(".", 1)[0]
        return target

    graph = {}
    for name, path in modules.items():
        targets = set()
        for node in _runtime_nodes(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for n in names:
                if n.split(".")[0] != "devicekit":
                    continue
                target = resolve(n)
                targets.add(target)
                # importing a.b.c runs the package a.b first: that is an edge too (except to
                # the importer's own packages, which are initialised already)
                parts = target.split(".")
                targets |= {
                    package
                    for package in (".".join(parts[:k]) for k in range(2, len(parts)))
                    if not (name == package or name.startswith(package + "."))
                }
        # the package root holds __version__ and lazy (PEP 562) names only
        graph[name] = targets - {name, "devicekit"}
    return graph


def _layer(module: str) -> int:
    for index, group in enumerate(LAYERS):
        if any(module == g or module.startswith(g + ".") for g in group):
            return index
    raise AssertionError(f"{module} has no layer: add it to LAYERS")


def test_every_module_has_a_layer_and_imports_only_downwards():
    upward = [
        f"{a} (layer {_layer(a)}) imports {b} (layer {_layer(b)})"
        for a, targets in _graph().items()
        if a != "devicekit"
        for b in targets
        if _layer(b) > _layer(a)
    ]
    assert not upward, "\n".join(sorted(upward))


def _cycles(graph: dict[str, set[str]]) -> list[str]:
    state, cycles = {}, []

    def visit(node, stack):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join([*stack[stack.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    return cycles


def test_no_import_cycles():
    cycles = _cycles({a: b for a, b in _graph().items() if a != "devicekit"})
    assert not cycles, "\n".join(cycles)


def test_the_cycle_check_finds_the_cycle_this_issue_removed():
    # native -> spikes -> simulation -> native, as it was before spike_times moved down
    graph = {"native": {"spikes"}, "spikes": {"simulation"}, "simulation": {"native"}}
    assert _cycles(graph) == ["native -> spikes -> simulation -> native"]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_library_code_never_selects_a_matplotlib_backend():
    offenders = [
        str(path.relative_to(PACKAGE.parent))
        for path in PACKAGE.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "use"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id in ("matplotlib", "mpl")
    ]
    assert not offenders, offenders


def test_devicekits_own_imports_sit_at_module_top():
    # only heavy third-party imports stay lazy (pandas, scipy, PySpice, matplotlib); the
    # package root's TYPE_CHECKING block and lazy (PEP 562) names are its public index
    inside = []
    for name, path in _modules().items():
        if name == "devicekit":
            continue
        tree = ast.parse(path.read_text())
        top = {id(node) for node in tree.body}
        # a module-level ``if TYPE_CHECKING:`` block is the top, for type checkers
        top |= {
            id(inner)
            for node in tree.body
            if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING")
            for inner in node.body
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.ImportFrom)
                and id(node) not in top
                and (node.module or "").split(".")[0] == "devicekit"
            ):
                inside.append(f"{name}:{node.lineno} from {node.module}")
    assert not inside, "\n".join(inside)


def test_no_module_is_over_500_lines():
    sizes = {
        str(path.relative_to(PACKAGE.parent)): len(path.read_text().splitlines())
        for path in PACKAGE.rglob("*.py")
    }
    long = {name: n for name, n in sizes.items() if n > 500}
    assert not long, long
