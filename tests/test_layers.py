"""The import order of DESIGN.md (convention 2), enforced on the source so that it cannot regress.

core <- accounts <- catalog <- standards <- measures <- analytics <- improvement <- reviews <- people <-
reporting: an app imports only itself and the apps before it, plus the API kit (`csi.api`), which sits
just above `core` and imports `core` alone. The project wiring (settings, URL map, API root, CLI, demo)
sits on top and may import anything. Every import counts, also one inside a function: a lazy import
still makes the lower app depend on the higher one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import csi

PACKAGE = Path(csi.__file__).parent
ORDER = (
    "core",
    "accounts",
    "catalog",
    "standards",
    "measures",
    "analytics",
    "improvement",
    "reviews",
    "people",
    "reporting",
)
KIT = "api"
# Project wiring: may import every app; no app imports it (tests may: they drive the CLI and the URLs).
WIRING = {"settings", "urls", "api_root", "wsgi", "views", "cli", "demo", "__init__"}
# core's own endpoints use the API kit like every other app's; the kit must then not import them back.
CORE_INTERFACES = {"csi.core.api", "csi.core.schemas"}
# pytest loads this plugin for every app's tests (`-p csi.core.pytest_plugin`): it is the test wiring of
# the whole project, and its shared fixtures make users with roles (accounts).
TEST_WIRING = {"csi/core/pytest_plugin.py"}


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, members: bool = False) -> Iterator[tuple[int, str]]:
    """(line, module) for every absolute import of a csi module in the file, at any depth; with `members`,
    also `module.name` for each name of a `from module import name` (it may be a submodule)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names if members]
        else:
            continue
        for name in names:
            if name.startswith("csi."):
                yield node.lineno, name


def refusal(path: Path, imported: str, root: Path = PACKAGE) -> str | None:
    """Why `path` (a file under `root`, the csi package) may not import `imported`, or None when it may."""
    relative = path.relative_to(root.parent).as_posix()
    layer, target = relative.split("/")[1].removesuffix(".py"), imported.split(".")[1]
    is_test = "/tests/" in relative or relative in TEST_WIRING
    if layer in WIRING or target == layer:
        return None
    if target in WIRING:
        return None if is_test else f"'{target}' is project wiring, above every app"
    if layer == KIT:
        if target != "core":
            return "the API kit depends on core alone"
        if any(imported == m or imported.startswith(f"{m}.") for m in CORE_INTERFACES):
            return "the API kit may not import core's endpoints (they import the kit)"
        return None
    if layer not in ORDER:
        return f"'{layer}' has no place in DESIGN.md's order: add it there and to ORDER here"
    if target == KIT:
        if layer == "core" and module_name(path, root) not in CORE_INTERFACES:
            return "only core's endpoints (api.py, schemas.py) use the API kit"
        return None
    if target not in ORDER:
        return f"'{target}' has no place in DESIGN.md's order"
    if ORDER.index(target) > ORDER.index(layer) and relative not in TEST_WIRING:
        return f"'{target}' comes after '{layer}' in DESIGN.md's order"
    return None


def layer_violations(root: Path = PACKAGE) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        for line, imported in imports(path):
            reason = refusal(path, imported, root)
            if reason:
                found.append(f"{path.relative_to(root.parent)}:{line} imports {imported}: {reason}")
    return found


def test_every_app_imports_only_the_apps_before_it_and_the_kit_only_core() -> None:
    assert layer_violations() == []


def service_cycles(root: Path = PACKAGE) -> list[list[str]]:
    """Strongly connected groups of more than one module among the apps' service modules
    (`<app>/services.py` and `<app>/services/*.py`), counting lazy imports too."""
    modules = {
        module_name(p, root): p
        for p in root.rglob("*.py")
        if ("services" in p.parts or p.name == "services.py")
        and p.name != "__init__.py"
        and "tests" not in p.parts
    }
    graph = {
        name: {
            m
            for _, imported in imports(path)
            for m in modules
            if imported == m or imported.startswith(f"{m}.")
        }
        - {name}
        for name, path in modules.items()
    }
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm
        order[node] = low[node] = len(order)
        stack.append(node)
        for other in graph[node]:
            if other not in order:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], order[other])
        if low[node] == order[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for name in sorted(graph):
        if name not in order:
            visit(name)
    return groups


def test_no_two_service_modules_import_each_other() -> None:
    assert service_cycles() == []


@pytest.mark.parametrize(
    ("where", "source", "expected"),
    [
        ("api/auth.py", "from csi.accounts import services\n", "the API kit depends on core alone"),
        ("api/errors.py", "from csi.core.api import router\n", "may not import core's endpoints"),
        ("measures/services.py", "def f():\n    from csi.analytics.rules import check\n", "comes after"),
        ("core/models.py", "from csi.api.errors import ErrorOut\n", "only core's endpoints"),
        ("catalog/views.py", "import csi.urls\n", "project wiring"),
        ("reviews/services.py", "from csi.improvement import selectors\n", None),
        ("catalog/tests/test_x.py", "from csi.cli import main\n", None),
        ("api_root.py", "from csi.improvement.api import router\n", None),
    ],
)
def test_the_checks_see_what_they_guard(
    tmp_path: Path, where: str, source: str, expected: str | None
) -> None:
    """The checks themselves, on a made-up tree: each kind of wrong import is found, lazy ones too."""
    root = tmp_path / "csi"
    path = root / where
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")
    found = layer_violations(root)
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1 and expected in found[0], found


def test_a_cycle_between_service_modules_is_found(tmp_path: Path) -> None:
    services = tmp_path / "csi" / "improvement" / "services"
    services.mkdir(parents=True)
    (services / "register.py").write_text(
        "def f():\n    from csi.improvement.services.initiatives import g\n"
    )
    (services / "initiatives.py").write_text("from csi.improvement.services.register import f\n")
    (services / "drafts.py").write_text("import csi.improvement.services.common\n")
    assert service_cycles(tmp_path / "csi") == [
        ["csi.improvement.services.initiatives", "csi.improvement.services.register"]
    ]
