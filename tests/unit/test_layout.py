"""The layout DESIGN.md describes holds: no import cycles, and each layer imports only below it."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path for package in PACKAGES for path in (ROOT / package).rglob("*.py")
    }


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node but those under `if TYPE_CHECKING:` (annotations only, never imported)."""
    nodes: list[ast.AST] = []
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            pending.extend(node.orelse)
            continue
        nodes.append(node)
        pending.extend(ast.iter_child_nodes(node))
    return nodes


def _imports(path: Path, known: set[str]) -> set[str]:
    """The project modules `path` imports when it runs."""
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text())):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        found.update(name for name in names if name in known)
    return found


GRAPH = {name: _imports(path, set(_modules())) for name, path in _modules().items()}


def _cycle() -> list[str] | None:
    """One import cycle among the project's modules, or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(GRAPH[node]):
            if target == node or (node.startswith(target + ".")):
                continue  # a package's own submodules, reached through its __init__
            if state.get(target) == "open":
                return [*stack[stack.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(GRAPH):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle() -> None:
    assert _cycle() is None, " → ".join(_cycle() or [])


def test_the_cycle_check_sees_a_cycle() -> None:
    GRAPH["bot.domain.clock"].add("bot.domain.naming")
    GRAPH["bot.domain.naming"].add("bot.domain.clock")
    try:
        assert _cycle() is not None
    finally:
        GRAPH["bot.domain.clock"].discard("bot.domain.naming")
        GRAPH["bot.domain.naming"].discard("bot.domain.clock")


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("bot.demo", ()),
        ("bot.domain", ("bot.store", "bot.slack", "bot.actions", "bot.services", "bot.app")),
        ("bot.store", ("bot.slack", "bot.actions", "bot.services", "bot.app")),
        ("bot.integrations", ("bot.store", "bot.slack", "bot.services", "bot.app")),
        ("handlers", ("bot.store",)),
    ],
)
def test_layers_import_only_what_they_may(layer: str, forbidden: tuple[str, ...]) -> None:
    offenders = (
        {
            module: sorted(t for t in targets if t.startswith(forbidden))
            for module, targets in GRAPH.items()
            if module.startswith(layer) and any(t.startswith(forbidden) for t in targets)
        }
        if forbidden
        else {}
    )
    assert offenders == {}


def test_nothing_outside_the_demo_imports_it() -> None:
    importers = {
        module
        for module, targets in GRAPH.items()
        if not module.startswith("bot.demo")
        and any(t == "bot.demo" or t.startswith("bot.demo.") for t in targets)
    }
    # `incident-bot demo` is a contract: the CLI starts it, importing it only when asked.
    assert importers == {"bot.cli"}
