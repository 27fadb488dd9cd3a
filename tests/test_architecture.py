"""Pages render, services decide: the import rules that keep the layers apart."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATABASE_MODULES = {"sqlalchemy", "duckdb", "duckdb_engine", "psycopg", "psycopg2"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def _python(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def test_pages_and_app_never_touch_the_database() -> None:
    offenders = {
        str(p.relative_to(ROOT)): sorted(_imports(p) & DATABASE_MODULES)
        for p in [ROOT / "app.py", *_python("pages")]
        if _imports(p) & DATABASE_MODULES
    }
    assert offenders == {}


def test_services_never_import_streamlit() -> None:
    offenders = [
        str(p.relative_to(ROOT)) for p in _python("services") if "streamlit" in _imports(p)
    ]
    assert offenders == []


def test_the_server_uses_services_but_never_pages_and_services_never_use_the_server() -> None:
    """server/ (st.App's routes and middleware) sits beside pages/: both call services."""
    server = [ROOT / "portal.py", *_python("server")]
    assert [str(p.relative_to(ROOT)) for p in server if "pages" in _imports(p)] == []
    assert [str(p.relative_to(ROOT)) for p in _python("services") if "server" in _imports(p)] == []
    assert [str(p.relative_to(ROOT)) for p in server if _imports(p) & DATABASE_MODULES] == []


def _service_packages(path: Path) -> set[str]:
    """The packages of services a module imports (services.core.x -> core)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        found |= {n.split(".")[1] for n in names if n.startswith("services.")}
    return found


def package_graph() -> dict[str, set[str]]:
    """Each package of services and the other packages it imports."""
    graph: dict[str, set[str]] = {}
    for package in sorted(p for p in (ROOT / "services").iterdir() if (p / "__init__.py").exists()):
        uses: set[str] = set()
        for module in package.rglob("*.py"):
            uses |= _service_packages(module)
        graph[package.name] = uses - {package.name}
    return graph


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle among the packages, if there is one."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return path[path.index(node) :] + [node]
        if node in done:
            return None
        for nxt in sorted(graph.get(node, ())):
            found = visit(nxt, [*path, node])
            if found:
                return found
        done.add(node)
        return None

    for start in sorted(graph):
        found = visit(start, [])
        if found:
            return found
    return None


def test_services_live_in_domain_packages_that_say_what_they_hold() -> None:
    assert sorted(p.name for p in (ROOT / "services").glob("*.py")) == ["__init__.py"]
    for package in package_graph():
        doc = ast.get_docstring(
            ast.parse((ROOT / "services" / package / "__init__.py").read_text())
        )
        assert doc, f"services/{package}/__init__.py says nothing of what lives there"


def test_core_uses_no_domain_and_the_domains_have_no_cycle() -> None:
    graph = package_graph()
    assert graph["core"] == set()
    assert cycle(graph) is None, cycle(graph)


def test_the_package_check_sees_a_cycle() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


def test_tests_mirror_the_packages() -> None:
    """Every package with services has its tests folder (one holding only tables waits for
    the issue that gives it services)."""
    for package in package_graph():
        modules = {p.name for p in (ROOT / "services" / package).glob("*.py")}
        if modules - {"__init__.py", "tables.py"}:
            assert (ROOT / "tests" / "services" / package).is_dir(), package


def test_no_page_script_sits_directly_in_pages() -> None:
    """Streamlit's legacy discovery would serve pages/x.py without running app.py (the package
    marker, a docstring only, is no page)."""
    scripts = [p for p in (ROOT / "pages").glob("*.py") if p.name != "__init__.py"]
    assert (ROOT / "pages" / "__init__.py").read_text().count("\n") == 1
    assert sorted(p.name for p in scripts) == []


def test_every_page_script_guards_its_role_first() -> None:
    for page in _python("pages"):
        if page.parent.name in ("components", "public") or page.name == "__init__.py":
            continue
        source = page.read_text()
        guarded = "state.guard(" in source or "state.patient_page(" in source  # which guards
        assert guarded, f"{page.relative_to(ROOT)} does not check its role"


def test_the_architecture_check_sees_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from sqlalchemy import select\nimport streamlit as st\n")
    assert _imports(bad) == {"sqlalchemy", "streamlit"}


def test_the_portal_reaches_the_demo_processor_only_over_http() -> None:
    """The demo processor stands in for an outside service: no portal code imports it."""
    portal = [ROOT / "app.py", ROOT / "portal.py", *_python("services"), *_python("pages")]
    portal += _python("server")
    assert [str(p.relative_to(ROOT)) for p in portal if "demo_processor" in _imports(p)] == []
