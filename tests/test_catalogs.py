"""Every string a user reads goes through the catalogs, and every complete language's catalog
translates all of them (issue 18)."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from ops import messages
from services.core import language

ROOT = Path(__file__).resolve().parents[1]
# Every page script and component, and the frame.
PAGE_CODE = sorted(
    str(p.relative_to(ROOT)) for p in [ROOT / "app.py", *(ROOT / "pages").rglob("*.py")]
)
MARKERS = {"t", "tn", "N_"}
# Keyword arguments that are never shown as text.
NOT_TEXT = {"key", "icon", "type", "url_path", "format", "mime", "file_name", "width", "height"}
NOT_TEXT |= {"mode", "textposition", "hoverinfo", "barmode", "fill", "line_shape", "dash"}
NOT_TEXT |= {"color_continuous_scale", "template"}
# Calls whose strings are for developers or machines: logs, patterns, assertions, SQL, the audit
# log's entries (kept in one language, as written).
NOT_SHOWN_OWNERS = {"log", "logging", "audit", "re"}
NOT_SHOWN_CALLS = {"text", "AssertionError", "getLogger", "compile", "strftime", "strptime"}
NOT_SHOWN_CALLS |= {"sub", "fullmatch", "match", "search", "split"}
# Strings that are names, not text.
MACHINE = re.compile(
    "|".join(
        (
            r"^[a-z0-9_./:%*#{}\-\[\]=@]*$",  # keys, paths, formats
            r"^:material/[a-z_]+:$",  # icons
            r"^[^a-z ]+$",  # samples of a code's shape, symbols
            r"^<",  # the page's own HTML or CSS
            r"^[xy] (domain|unified)$|^rgba\(",  # Plotly's names
            r"^(mmHg|mg/dL|mmol/L)$",  # units, the same in every language
        )
    )
)
# A line may say its strings are never shown (a library's own names for things, a fixed tag).
NOT_SHOWN_LINE = "# i18n: not shown"


def _call_name(node: ast.Call) -> str | None:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


def untranslated(source: str) -> list[tuple[int, str]]:
    """The strings in page code that would reach a person without passing the catalogs."""
    tree = ast.parse(source)
    skip: set[int] = set()

    def skip_all(node: ast.AST) -> None:
        skip.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            docstring = node.body[0] if node.body else None
            if isinstance(docstring, ast.Expr) and isinstance(docstring.value, ast.Constant):
                skip_all(docstring)
        if isinstance(node, ast.Call):
            owner = node.func.value if isinstance(node.func, ast.Attribute) else None
            owner_name = owner.id if isinstance(owner, ast.Name) else None
            shown_by_streamlit = owner_name == "st"  # st.text shows text
            if _call_name(node) in MARKERS or owner_name in NOT_SHOWN_OWNERS:
                skip_all(node)
            elif _call_name(node) in NOT_SHOWN_CALLS and not shown_by_streamlit:
                skip_all(node)
            for keyword in node.keywords:
                if keyword.arg in NOT_TEXT:
                    skip_all(keyword.value)
        if isinstance(node, ast.Subscript):
            skip_all(node.slice)
        if isinstance(node, ast.Assert) and node.msg is not None:
            skip_all(node.msg)
    lines = source.splitlines()
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skip
        and not lines[node.lineno - 1].rstrip().endswith(NOT_SHOWN_LINE)
        and re.search("[A-Za-z]", node.value)
        and not MACHINE.match(node.value)
    ]


@pytest.mark.parametrize("name", PAGE_CODE)
def test_page_code_shows_no_string_outside_the_catalogs(name: str) -> None:
    assert untranslated((ROOT / name).read_text()) == []


def test_the_check_finds_a_string_outside_the_catalogs() -> None:
    source = (
        '"""A page."""\n'
        "st.title('Your results')\n"
        "st.button(t('Save'), key='save_button', icon=':material/save:')\n"
        "st.info(f'Hello {name}')\n"
        "table({'Status': []}, empty=t('None yet.'))\n"
        "if ready:\n    st.write('Ready')\n"
        "st.session_state['Chosen Thing'] = 1\n"
        "log.info('A note for developers')\n"
        "st.text('On file: ' + x)\n"
        "fields = {'Form name': t('Sign in')}  # i18n: not shown\n"
    )
    found = [(2, "Your results"), (4, "Hello "), (5, "Status"), (7, "Ready"), (10, "On file: ")]
    assert untranslated(source) == found


SERVICE_CODE = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "services").rglob("*.py"))
# The typed errors pages show as they are, and the helpers that collect a form's messages.
REFUSALS = {"NotFound", "PermissionDenied", "ValidationError", "Conflict", "RateLimited"}
REFUSALS |= {"AuthenticationFailed", "Unavailable", "PortalError", "raise_if"}
MESSAGE_HOLDERS = {"fields", "problems"}  # dicts of field -> message


def unmarked_refusals(source: str) -> list[tuple[int, str]]:
    """Words a service says to a person when it refuses (its typed errors and a form's field
    messages) that are not catalog messages."""
    roots: list[ast.AST] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = _call_name(node)
            if name in REFUSALS:
                roots += [*node.args, *(k.value for k in node.keywords)]
            elif name == "checked_note":  # its fourth argument: the message when left empty
                roots += [*node.args[3:4], *(k.value for k in node.keywords if k.arg == "required")]
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                holder = target.value if isinstance(target, ast.Subscript) else target
                if isinstance(holder, ast.Name) and holder.id in MESSAGE_HOLDERS:
                    roots.append(node.value)
    found: set[tuple[int, str]] = set()

    def walk(node: ast.AST) -> None:
        if isinstance(node, ast.Call) and _call_name(node) in MARKERS:
            return
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if re.search("[A-Za-z] ", node.value):
                found.add((node.lineno, node.value))
            return
        for child in ast.iter_child_nodes(node):
            walk(child)

    for root in roots:
        walk(root)
    return sorted(found)


@pytest.mark.parametrize("name", SERVICE_CODE)
def test_what_services_refuse_with_is_in_the_catalogs(name: str) -> None:
    assert unmarked_refusals((ROOT / name).read_text()) == []


def test_the_check_finds_a_refusal_outside_the_catalogs() -> None:
    source = (
        "raise NotFound('We could not find that.')\n"
        "raise Conflict(t('Already done.'))\n"
        "fields['note'] = f'Keep it under {n} characters.'\n"
        "raise ValidationError({'day': 'Choose a day.', 'x': t('Fine.')})\n"
        "forms.checked_note(fields, 'note', note, 'Write the note.')\n"
        "log.info('A note for developers')\n"
    )
    found = [
        (1, "We could not find that."),
        (3, "Keep it under "),
        (4, "Choose a day."),
        (5, "Write the note."),
    ]
    assert unmarked_refusals(source) == found


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("code", [c for c in language.COMPLETE if c != language.ENGLISH])
def test_every_marked_string_is_translated_in_each_complete_language(code: str) -> None:
    """The catalog holds every string the code marks, each translated and reviewed (not fuzzy),
    with the same {places} as the English."""
    written = {m.id: m for m in messages.read(code) if m.id}
    problems = []
    for message in messages.template():
        if not message.id:
            continue
        found = written.get(message.id)
        if found is None or found.fuzzy or not messages.translated(found.string):
            problems.append(f"not translated: {message.id!r}")
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        texts = found.string if isinstance(found.string, tuple) else (found.string,)
        wanted = set().union(*(_fields(i) for i in ids)) - {"count"}
        for text in texts:
            if _fields(text) - {"count"} != wanted:
                problems.append(f"places differ: {message.id!r} -> {text!r}")
    assert problems == []


def _built_messages(source: str) -> list[int]:
    """Lines where a message is built rather than written: an f-string, a join, a choice
    (`t("a" if x else "b")` reaches the extractor as the one message "ab")."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and _call_name(node) in MARKERS
        and any(_built(a) for a in node.args[:2])
    ]


def _built(node: ast.expr) -> bool:
    if isinstance(node, ast.JoinedStr):
        return True
    return isinstance(node, ast.IfExp | ast.BinOp) and any(
        isinstance(n, ast.Constant) and isinstance(n.value, str) for n in ast.walk(node)
    )


def test_every_message_is_written_whole() -> None:
    built = {
        str(path.relative_to(ROOT)): lines
        for path in messages.source_files()
        if (lines := _built_messages(path.read_text()))
    }
    assert built == {}
    source = 't("a" if x else "b")\nt(f"{a}")\nt("a" + b)\nt("a b")\nt(A if x else B)'
    assert _built_messages(source) == [1, 2, 3]


def _shadowed_t(source: str) -> list[int]:
    """Lines that bind the name `t` in a module that translates with it (a loop's `for t in`
    would make `t("...")` call the loop's item)."""
    tree = ast.parse(source)
    translates = any(
        isinstance(n, ast.ImportFrom)
        and n.module == "services.core.language"
        and any(a.name == "t" for a in n.names)
        for n in ast.walk(tree)
    )
    return [
        n.lineno
        for n in ast.walk(tree)
        if translates
        and (
            (isinstance(n, ast.Name) and n.id == "t" and isinstance(n.ctx, ast.Store))
            or (isinstance(n, ast.arg) and n.arg == "t")
        )
    ]


def test_no_module_that_translates_binds_t_to_anything_else() -> None:
    shadowed = {
        str(path.relative_to(ROOT)): lines
        for path in messages.source_files()
        if (lines := _shadowed_t(path.read_text()))
    }
    assert shadowed == {}
    source = "from services.core.language import t\nx = [t(a) for t in b]\nf = lambda t: 1\n"
    assert _shadowed_t(source) == [2, 3]


def test_the_extractor_finds_every_marked_literal() -> None:
    """Babel's extractor skips a marked string nested in another marked call's arguments
    (`t("{x}", x=t("card"))`): every literal the code marks must reach the template."""
    extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in messages.template()}
    marked = {
        node.args[0].value
        for path in messages.source_files()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and _call_name(node) in MARKERS
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
        and node.args[0].value
    }
    assert marked - extracted == set()


def test_no_catalog_keeps_strings_the_code_no_longer_has() -> None:
    marked = {m.id for m in messages.template() if m.id}
    for code in language.LANGUAGES:
        if code != language.ENGLISH:
            assert {m.id for m in messages.read(code) if m.id} <= marked, code
