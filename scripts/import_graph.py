"""The import graph of ``koin_media``, read from the source with ``ast`` (nothing is imported).

    python scripts/import_graph.py           # figures: cycles, upward imports, local imports
    python scripts/import_graph.py --edges   # every package-to-package import, with its line

A *package* is a first-level part of ``koin_media`` (``koin_media.booking``,
``koin_media.jobs``, …). Imports inside functions count as much as those at the top: a cycle
hidden in a function is still a cycle. ``tests/test_import_layers.py`` holds the rules.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "koin_media"


@dataclass(frozen=True)
class Import:
    source: str  # the importing module, dotted
    target: str  # the imported module (or the package the name comes from), dotted
    line: int
    local: bool  # inside a function or method
    reason: str  # the comment on the import's line or the line above it, if any


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _comment(lines: list[str], lineno: int) -> str:
    """The reason given for an import: a comment on its line, or the comment line that opens
    the block of imports it belongs to."""
    here = lines[lineno - 1]
    if "#" in here:
        return here.split("#", 1)[1].strip()
    number = lineno - 1
    while number >= 1:
        above = lines[number - 1].strip()
        if above.startswith("#"):
            return above[1:].strip()
        if not above.startswith(("from ", "import ", ")")) and not above.endswith((",", "(")):
            return ""
        number -= 1
    return ""


def imports_of(path: Path, modules: set[str]) -> list[Import]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    module = module_name(path)
    is_package = path.name == "__init__.py"
    found: list[Import] = []

    def visit(node: ast.AST, local: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and ast.unparse(child.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
                continue  # names for the type checker only: nothing is imported when the code runs
            nested = local or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            if isinstance(child, ast.Import):
                targets = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = _resolve(module, is_package, child)
                # ``from . import routes`` imports the module ``routes``; ``from .x import y``
                # imports ``x`` (and ``y`` when that is a module of its own).
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in child.names]
            else:
                visit(child, nested)
                continue
            for target in dict.fromkeys(targets):
                if target == PACKAGE or target.startswith(PACKAGE + "."):
                    found.append(Import(module, target, child.lineno, local, _comment(lines, child.lineno)))

    visit(ast.parse(source, str(path)), False)
    return found


def all_imports() -> list[Import]:
    paths = sorted((ROOT / PACKAGE).rglob("*.py"))
    modules = {module_name(p) for p in paths}
    return [imp for p in paths for imp in imports_of(p, modules)]


def package_of(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else module


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for node in sorted(edges):
        if node not in index:
            connect(node)
    return sorted(found)


def package_edges(imports: list[Import]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for imp in imports:
        a, b = package_of(imp.source), package_of(imp.target)
        if a != b and a != PACKAGE:  # the app factory at the top imports everything
            edges.setdefault(a, set()).add(b)
    return edges


def module_edges(imports: list[Import]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for imp in imports:
        if imp.source != imp.target and imp.source != PACKAGE:
            edges.setdefault(imp.source, set()).add(imp.target)
    return edges


def main(argv: list[str]) -> int:
    imports = all_imports()
    local = [i for i in imports if i.local]
    print(f"imports inside koin_media: {len(imports)}")
    print(f"function-local imports: {len(local)} ({sum(1 for i in local if not i.reason)} without a reason comment)")
    pkg_cycles = cycles(package_edges(imports))
    print(f"package cycles: {len(pkg_cycles)}")
    for c in pkg_cycles:
        print("  " + " <-> ".join(p.removeprefix(PACKAGE + ".") for p in c))
    mod_cycles = cycles(module_edges(imports))
    print(f"module cycles: {len(mod_cycles)}")
    for c in mod_cycles:
        print("  " + " <-> ".join(m.removeprefix(PACKAGE + ".") for m in c))
    if "--edges" in argv:
        for imp in imports:
            a, b = package_of(imp.source), package_of(imp.target)
            if a != b:
                where = "local" if imp.local else "top"
                print(f"{imp.source}:{imp.line} -> {imp.target} ({where})")
    if "--local" in argv:
        for imp in local:
            print(f"{imp.source}:{imp.line} -> {imp.target}  # {imp.reason or '(no reason)'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
