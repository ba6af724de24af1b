"""The layers hold: nothing in kb/ imports the web app, and the project's modules import one another without a circle.

Read from the source with ast, every import counted (at the top of a module or inside a function), so a
circle dodged by importing inside a function is still a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("kb", "search_app")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules a module imports (``from kb import exports`` counts as kb.exports)."""
    out: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:  # kb.store.build → kb.store
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_is_read_from_the_code():
    graph = import_graph()
    assert {"kb.store", "kb.reader.parser", "kb.sources.pdf", "search_app"} <= set(graph)
    assert "kb.sources.source_text" in graph["kb.sources.pdf"]  # a plain top-level import
    assert "kb.store" in graph["kb.cli_common"]  # an import inside a function counts too
    assert "kb.exports" in graph["search_app.routes"]


def test_cycle_finder_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle():
    assert cycles(import_graph()) == []


def test_library_modules_do_not_import_the_web_app():
    """Data flows one way: kb/ never imports search_app (``plankb serve`` excepted, see the next test)."""
    graph = import_graph()
    edges = sorted((m, t) for m, targets in graph.items() if m.startswith("kb") and m != "kb.cli"
                   for t in targets if t.split(".")[0] == "search_app")
    assert edges == []


def test_cli_does_not_import_the_web_app():
    """`plankb serve` reaches the web app without kb.cli importing search_app."""
    graph = import_graph()
    assert sorted(t for t in graph["kb.cli"] if t.split(".")[0] == "search_app") == []
