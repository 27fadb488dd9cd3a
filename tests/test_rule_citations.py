"""The rules the code cites are in the repository: every "docs/rules/<name>.md" a source file
names exists, every numbered security rule it cites is one of that file's rules, and no citation
of the old, outside documents (SECURITY.md, COMPLIANCE.md, CLINICAL.md) is left."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("app.py", "portal.py", "pages", "services", "server", "seed", "worker", "ops", "tests")
CITED = re.compile(r"docs/rules/(\w+)\.md(?: (\d+)(?:\s*(?:-|and|,)\s*(\d+))?)?")
OLD = re.compile(r"\b(SECURITY|COMPLIANCE|CLINICAL)\.md")


def _sources() -> list[Path]:
    found: list[Path] = []
    for name in FOLDERS:
        path = ROOT / name
        found += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return found


def _rule_numbers(name: str) -> set[int]:
    text = (ROOT / "docs" / "rules" / f"{name}.md").read_text(encoding="utf-8")
    return {int(n) for n in re.findall(r"^(\d+)\. ", text, flags=re.MULTILINE)}


def test_every_cited_rule_file_and_number_exists() -> None:
    cited: list[tuple[Path, str, int | None]] = []
    for source in _sources():
        text = source.read_text(encoding="utf-8")
        for match in CITED.finditer(text):
            name, first, last = match.groups()
            numbers = [int(n) for n in (first, last) if n]
            cited += [(source, name, n) for n in numbers] or [(source, name, None)]
    assert len(cited) > 30  # the services cite their rules
    for source, name, number in cited:
        assert (ROOT / "docs" / "rules" / f"{name}.md").is_file(), (source, name)
        if number is not None:
            assert number in _rule_numbers(name), (source, name, number)


def test_no_citation_of_a_document_outside_the_repository() -> None:
    stale = [
        str(s.relative_to(ROOT))
        for s in _sources()
        if s.name != Path(__file__).name and OLD.search(s.read_text(encoding="utf-8"))
    ]
    assert not stale
