"""The package's layout: no import circles anywhere in mmgen (lazy imports inside functions
included), and the registry a leaf that any component can import."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "mmgen"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(module: str) -> set[str]:
    """The mmgen modules `module` imports, at the top or inside a function."""
    path = MODULES[module]
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
            # `from . import x` names a module when x is one, else something inside `base`
            found |= {f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names}
    return {name for name in found if name in MODULES and name != module}


def import_cycles() -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm)."""
    graph = {m: imports_of(m) for m in MODULES}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return cycles


def test_the_import_graph_holds_lazy_imports():
    # the check itself: imports inside functions are edges too, or a lazy loop would go unseen
    assert "mmgen.pipeline" in imports_of("mmgen")  # `generate` imports it inside the function
    assert "mmgen.registry" in imports_of("mmgen.components")


def test_no_import_circles():
    assert import_cycles() == []


def test_the_registry_is_a_leaf():
    assert imports_of("mmgen.registry") <= {"mmgen.errors"}
    assert imports_of("mmgen.errors") == set()


def _registers(path: Path) -> bool:
    """Whether the module imports the registry's `register` or calls `registry.register`."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.ImportFrom)
            and (node.module or "").endswith("registry")
            and any(alias.name == "register" for alias in node.names)
        ):
            return True
        if isinstance(node, ast.Attribute) and node.attr == "register" and getattr(node.value, "id", "") == "registry":
            return True
    return False


def test_only_components_registers_built_ins():
    assert sorted(m for m, p in MODULES.items() if _registers(p)) == ["mmgen.components"]


def test_components_are_registered_once_the_pipeline_is_imported():
    import mmgen.pipeline  # noqa: F401
    from mmgen import registry

    names = {kind: [e.name for e in registry.entries(kind)] for kind in ("encoder", "decoder", "singer", "codec")}
    assert names["encoder"] == ["text", "text-multilingual"]
    assert names["decoder"][:6] == [
        "composer",
        "symbolic-transformer",
        "symbolic-lstm",
        "symbolic-vae",
        "symbolic-gan",
        "symbolic-diffusion",
    ]
    assert "musicgen" in names["decoder"] and names["singer"] == ["bark-small", "bark", "ace-step"]
    assert {"ace-step", "ace-step-base", "stable-audio-3"} <= set(names["decoder"])
    assert names["codec"] == [
        "soundfont",
        "studio",
        "encodec",
        "encodec-24khz",
        "encodec-48khz",
        "oobleck",
        "same",
        "vocos",
    ]
