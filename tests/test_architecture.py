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


def test_no_page_script_sits_directly_in_pages() -> None:
    """Streamlit's legacy discovery would serve pages/x.py without running app.py."""
    assert sorted(p.name for p in (ROOT / "pages").glob("*.py")) == []


def test_every_page_script_guards_its_role_first() -> None:
    for page in _python("pages"):
        if page.parent.name in ("components", "public"):
            continue
        source = page.read_text()
        guarded = "state.guard(" in source or "state.patient_page(" in source  # which guards
        assert guarded, f"{page.relative_to(ROOT)} does not check its role"


def test_the_architecture_check_sees_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from sqlalchemy import select\nimport streamlit as st\n")
    assert _imports(bad) == {"sqlalchemy", "streamlit"}
