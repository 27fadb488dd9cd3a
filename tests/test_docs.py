"""The documentation holds together: the README stays short, every link between documents (and
its #anchor) leads somewhere, and every file of the project a document names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
# A path of the project written as code: `services/care/booking.py`, `tests/e2e/test_x.py`.
NAMED = re.compile(
    r"`((?:services|pages|server|seed|tests|benchmarks|ops|worker|deploy|docs|demo_processor)"
    r"/[\w./-]+\.(?:py|md|toml|json|txt))`"
)


def _pattern_or_output(name: str) -> bool:
    """A name that stands for many files (`vNN_what.py`) or a benchmark's output (not kept)."""
    return "*" in name or "NN" in name or name.startswith("benchmarks/results/")


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces made hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(document: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", document.read_text(encoding="utf-8"), flags=re.DOTALL)
    return {_anchor(h) for h in re.findall(r"^#+ (.+)$", text, flags=re.MULTILINE)}


def _links(document: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", document.read_text(encoding="utf-8"), flags=re.DOTALL)
    return [link for link in LINK.findall(text) if "://" not in link]


def test_the_readme_is_short() -> None:
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 250


def test_every_link_between_documents_leads_to_a_file_and_its_heading() -> None:
    broken = []
    for document in DOCUMENTS:
        for link in _links(document):
            target, _, anchor = link.partition("#")
            path = (document.parent / target).resolve() if target else document
            if not path.exists() or (anchor and anchor not in _anchors(path)):
                broken.append((str(document.relative_to(ROOT)), link))
    assert not broken


def test_every_project_file_a_document_names_exists() -> None:
    missing = [
        (str(document.relative_to(ROOT)), name)
        for document in DOCUMENTS
        for name in NAMED.findall(document.read_text(encoding="utf-8"))
        if not (ROOT / name).exists() and not _pattern_or_output(name)
    ]
    assert not missing


def test_every_feature_and_guide_is_reached_from_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    pages = sorted((ROOT / "docs").glob("guides/*.md")) + sorted(
        (ROOT / "docs").glob("developer/features/*.md")
    )
    assert len(pages) >= 16
    assert [p.name for p in pages if str(p.relative_to(ROOT)) not in readme] == []


def test_the_link_check_sees_a_broken_link(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# A heading\n\n[here](#a-heading) [gone](#nowhere) [file](other.md)\n")
    assert _links(page) == ["#a-heading", "#nowhere", "other.md"]
    assert _anchors(page) == {"a-heading"}
