"""The layering of docs/architecture.md, checked: import direction, no cycles, no loose reports."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "collectctl"


def _module(path: Path) -> str:
    parts = path.relative_to(PKG.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module(p): p for p in PKG.rglob("*.py")}


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """``(module, names)`` imported anywhere in the file except ``if TYPE_CHECKING:`` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for n in ast.walk(node)}
    out = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.module, [alias.name for alias in node.names]))
    return out


def _targets(module: str, names: list[str]) -> set[str]:
    """The collectctl modules an import statement loads."""
    found = {module} if module in MODULES else set()
    found |= {f"{module}.{n}" for n in names if f"{module}.{n}" in MODULES}
    return found


def test_collectctl_has_no_import_cycle():
    graph = {
        mod: {t for m, names in _imports(path) for t in _targets(m, names)} - {mod}
        for mod, path in MODULES.items()
    }
    # A package's __init__ importing its own submodules is not a cycle through the package.
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt.startswith(node + "."):
                continue
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt) :], nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for mod in sorted(graph):
        if mod not in state:
            visit(mod)


@pytest.mark.parametrize("mod", sorted(m for m in MODULES if m.startswith("collectctl.ledger")))
def test_the_ledger_imports_domain_value_types_only(mod):
    for module, names in _imports(MODULES[mod]):
        # domain.books holds value types (and the id formatting that goes with them).
        if module.startswith("collectctl.domain") and module != "collectctl.domain.books":
            imported = importlib.import_module(module)
            rules = [n for n in names if inspect.isfunction(getattr(imported, n, None))]
            assert not rules, f"{mod} imports domain rules {rules} from {module}"
        assert not module.startswith(("collectctl.reports", "collectctl.commands", "click"))


@pytest.mark.parametrize("mod", sorted(m for m in MODULES if m.startswith("collectctl.domain")))
def test_the_domain_touches_no_sql_click_files_or_clock(mod):
    source = MODULES[mod].read_text(encoding="utf-8")
    for module, _names in _imports(MODULES[mod]):
        assert module.split(".")[0] not in ("sqlite3", "click", "requests", "os", "pathlib")
        assert not module.startswith(("collectctl.ledger", "collectctl.reports", "collectctl.app"))
    assert "date.today(" not in source
    assert "datetime.now(" not in source


def test_reports_live_in_the_reports_package():
    loose = {p.stem for p in PKG.glob("*.py")}
    assert not loose & {"account_report", "plan_report", "aging_report", "timeline", "handover"}


@pytest.mark.parametrize("mod", sorted(m for m in MODULES if m.startswith("collectctl.reports")))
def test_reports_write_no_sql(mod):
    source = MODULES[mod].read_text(encoding="utf-8")
    assert ".execute(" not in source, f"{mod} runs SQL; put the query in collectctl/ledger"
