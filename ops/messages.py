"""The catalogs' upkeep: every string the code marks for translation (`t`, `tn`, `N_`), and each
language's catalog brought up to date with them (`python -m ops messages`): new strings are added
untranslated, strings no longer in the code are dropped, nothing is guessed ("fuzzy")."""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.pofile import read_po, write_po

from services.core import language

ROOT = language.LOCALES.parent
SOURCES = ("app.py", "portal.py", "pages", "services", "server")
TEMPLATE = language.LOCALES / f"{language.DOMAIN}.pot"
HEADER = "Lakeside Health portal"


def source_files() -> list[Path]:
    found: list[Path] = []
    for name in SOURCES:
        path = ROOT / name
        found += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return found


def template() -> Catalog:
    """Every marked string in the code, with where it is used and the comment beside it for
    translators (a `# Translators:` line just above)."""
    found = Catalog(domain=language.DOMAIN, project=HEADER, charset="utf-8", fuzzy=False)
    for path in source_files():
        with path.open("rb") as source:
            for line, message, comments, context in extract(
                "python", source, keywords=language.KEYWORDS, comment_tags=("Translators:",)
            ):
                found.add(
                    message,
                    locations=[(path.relative_to(ROOT).as_posix(), line)],
                    auto_comments=comments,
                    context=context,
                )
    return found


def _new(code: str) -> Catalog:
    return Catalog(
        locale=code,
        domain=language.DOMAIN,
        project=HEADER,
        copyright_holder="the portal's authors",
        language_team=f"{language.LANGUAGES[code]} translators",
    )


def read(code: str) -> Catalog:
    with language.catalog_path(code).open("rb") as po:
        return read_po(po, locale=code, domain=language.DOMAIN)


def update() -> dict[str, int]:
    """Write the template and bring every other language's catalog up to date with it; how many
    messages each language still lacks."""
    made = template()
    with TEMPLATE.open("wb") as pot:
        write_po(pot, made, width=100, omit_header=False)
    missing: dict[str, int] = {}
    for code in language.LANGUAGES:
        if code == language.ENGLISH:
            continue
        path = language.catalog_path(code)
        catalog = read(code) if path.exists() else _new(code)
        catalog.update(made, no_fuzzy_matching=True)
        catalog.fuzzy = False  # the header: every message's own flag is what counts
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as po:
            write_po(po, catalog, width=100, ignore_obsolete=True)
        missing[code] = sum(1 for m in catalog if m.id and not translated(m.string))
    return missing


def translated(text: object) -> bool:
    return all(text) if isinstance(text, tuple) else bool(text)
