"""Every page of every role, with markup in every text people wrote (tests/support/user_text.py):
nothing a person wrote reaches a place Streamlit reads as Markdown or HTML unescaped, or a chart
label unescaped, and every written field the world holds is shown somewhere in the walk (so the
walk reaches it). The browser test (tests/e2e/test_user_text.py) proves how it is drawn."""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import streamlit
from google.protobuf.json_format import MessageToDict
from pypdf import PdfReader
from streamlit.delta_generator import DeltaGenerator
from streamlit.runtime.state.common import TESTING_KEY
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Selectbox

from pages.components import languages, sidebar, state
from services.care import booking, inbox, messages, refills
from services.core import access, clock, db
from services.core.language import t
from services.core.models import User
from services.core.uploads import Upload
from services.identity import account, browsers, passkeys
from services.proxy import invitations
from services.records import outside, sharing
from tests.conftest import NOW
from tests.pages.test_app import _pages, signed_in
from tests.services.records.test_documents import uploaded
from tests.services.records.test_outside import TEMIKA
from tests.services.records.test_results import held_result
from tests.support import user_text, world
from tests.support.soft_authenticator import SoftAuthenticator

# Proto fields the browser shows as they are: plain text, code, the options of a select box,
# what a text box holds, a chart's data (its labels are checked below), a file's name.
AS_IS = re.compile(
    r"^(text\.body|code\.code_text|(selectbox|multiselect)\.(options|default|value|raw_values?)"
    r"|text_(input|area)\.(value|default)|plotly_chart\.spec|arrow_data_frame\.data"
    r"|download_button\.url)(\.|\[|$)"
)
RAW = re.compile(r"\*\*ut\d{3}\*\*|<i>")
TOKEN = re.compile(r"ut\d{3}")
ROLES = (
    "patient.demo",
    "proxy.demo",
    "clinician.demo",
    "him.demo",
    "billing.demo",
    "manager.demo",
    "admin.demo",
)
# Select boxes that change a setting (the language) or whose record is open (walked apart).
# Written text that is in the walk's world but in views three options of each box do not open
# (another patient's chart, the fourth conversation, a queue item's detail). Each is shown by
# st.text, a table or plain(); the list may only shrink.
NOT_OPENED = {
    "allergies.reaction",
    "allergies.substance",
    "appointment_requests.note",
    "appointment_requests.preferred",
    "disclosures.description",
    "disclosures.purpose",
    "disclosures.recipient",
    "imaging_reports.report_text",
    "imaging_reports.study",
    "lab_components.value_text",
    "pharmacies.phone",
    "providers.specialty",
    "proxy_requests.patient_mrn",
    "proxy_requests.requester_note",
    "record_updates.first_name",
    "record_updates.last_name",
    "record_updates.reporter_name",
    "record_updates.reporter_phone",
    "records_requests.recipient",
    "refill_requests.decision_note",
    "release_authorizations.purpose",
    "release_authorizations.recipient_address",
    "release_authorizations.recipient_name",
    "release_authorizations.signature",
    "result_hold_decisions.note",
    "thread_notes.body",
}
OPTIONS = 3  # of each select box
SETTINGS = {languages.CHOICE, "account_language", sidebar.SWITCHER}


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from _strings(inner, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _strings(inner, f"{path}[{index}]")


def _shown(at: AppTest) -> Iterator[tuple[str, str]]:
    """Every string the page sends the browser, with its proto path (a table's cells too)."""
    for node in at._tree:
        proto = getattr(node, "proto", None)
        if proto is not None:
            yield from _strings(MessageToDict(proto, preserving_proto_field_name=True), node.type)
    for frame in at.dataframe:
        for cell in frame.value.astype(str).to_numpy().ravel():
            yield "arrow_data_frame.data", cell
        for name in frame.value.columns:
            yield "arrow_data_frame.data", str(name)


def _findings(at: AppTest, where: str, seen: set[str]) -> list[str]:
    found = []
    for path, value in _shown(at):
        seen.update(TOKEN.findall(value))
        if not RAW.search(value):
            continue
        if path.startswith("plotly_chart.spec"):
            if "<i>" in value:
                found.append(f"{where}: chart label {path}: {value[:120]!r}")
        elif not AS_IS.match(path):
            found.append(f"{where}: {path}: {value[:120]!r}")
    return found


def _one_of_each() -> None:
    """A row, made through the services, in the tables the seeded world leaves empty."""
    me, doctor = world.actor_of("patient.demo"), world.actor_of("clinician.demo")
    alex = world.patient_id("Alex", "Rivera")
    uploaded()
    sharing.share_create(
        actor=me,
        patient_id=alex,
        recipient_name="Northside",
        recipient_email="records@northside.example",
        what="summary_pdf",
        days=7,
    )
    thread = messages.message_send(
        actor=me,
        patient_id=alex,
        recipient="care",
        category="medical",
        subject="A question",
        body="About my dose",
        attachments=[Upload("letter.pdf", b"%PDF-1.4\n%%EOF\n")],
    )
    inbox.inbox_note(actor=doctor, thread_id=thread, body="Call her back")
    inbox.inbox_reply(actor=doctor, thread_id=thread, body="Take it with food")
    medicines, stores, _ = refills.refill_choices(actor=me, patient_id=alex)
    refills.refill_request(
        actor=me,
        patient_id=alex,
        medication_id=next(m.medication_id for m in medicines if m.refusal is None),
        pharmacy_id=stores[0].pharmacy_id,
        note="Running low",
    )
    held_result()
    outside.import_bundle(
        actor=me,
        patient_id=alex,
        data=TEMIKA.read_bytes(),
        file_name=TEMIKA.name,
        source="Riverside Family Medicine",
        confirmed=True,
    )
    booking.request_visit(
        actor=me, patient_id=alex, visit_type="procedure", preferred="Mornings", note="A mole"
    )
    invitations.invitation_create(
        actor=me,
        patient_id=alex,
        name="Sam Rivera",
        email="sam@example.org",
        relationship="spouse",
        scopes={access.MESSAGES},
    )
    account.contact_update(
        actor=me, password=world.DEMO_PASSWORD, email="alex.new@example.org", phone=None
    )
    # A key on a staff account: its sign-in asks for the authenticator code as before (a
    # patient's would ask for the key, which the walk's sign-in does not hold).
    key = SoftAuthenticator()
    adding = passkeys.add_begin(actor=doctor, password=world.DEMO_PASSWORD, kind=passkeys.PASSKEY)
    passkeys.add_finish(actor=doctor, response=key.create(adding), name="Badge key")
    with db.transaction() as s:
        user = s.get(User, me.user_id)
        assert user is not None
        browsers.seen(s, user, browsers.Browser("walk", "Mozilla/5.0 Firefox/140.0"), trust=True)


@pytest.fixture
def written(duckdb_template: Path, tmp_path: Path, configure) -> Iterator[dict[str, str]]:  # type: ignore[no-untyped-def]
    """The seeded world (DuckDB: how pages show text does not depend on the database) with a
    row of each kind and markup in every written text; yields token to "table.column"."""
    path = tmp_path / "portal.duckdb"
    shutil.copy(duckdb_template, path)
    configure(f"duckdb:///{path}")
    with clock.frozen(NOW):
        _one_of_each()
        with db.transaction() as s:
            tokens = user_text.fill(s)
        yield tokens


def test_every_text_column_is_written_or_a_code() -> None:
    both = {
        (t, c)
        for t, c in ((t.name, c) for t, c in user_text.text_columns())
        if c in user_text.WRITTEN.get(t, set()) and c in user_text.CODES.get(t, set())
    }
    neither = {
        (t.name, c)
        for t, c in user_text.text_columns()
        if c not in user_text.WRITTEN.get(t.name, set()) | user_text.CODES.get(t.name, set())
    }
    assert not both and not neither


def _lazy_tabs(at: AppTest) -> list[tuple[str, str]]:
    """(key, label) of each tab of the page's keyed tab sets (only the open one runs)."""
    found = []
    for node in at._tree:
        proto = getattr(node, "proto", None)
        if getattr(node, "type", None) == "tab_container" and proto and proto.tab_container.id:
            key = proto.tab_container.id.rsplit("-", 1)[-1]
            found += [(key, tab.proto.label) for tab in node.children.values()]
    return found


def _pick(box: Selectbox[Any], index: int) -> None:
    """Choose an option as the browser does, by its shown text (AppTest's select_index hands
    the shown text to the page's format_func, which a dict's get cannot read)."""
    box.root.session_state[TESTING_KEY][box.id] = str
    box.select_index(index).run()


def _views(at: AppTest, page: str) -> Iterator[str]:
    """Run the page in each of its views: as it opens, each lazy tab, and up to OPTIONS options
    of each select box outside a form (the page's "open this" choices)."""
    at.switch_page(page).run()
    yield "opened"
    for key, label in _lazy_tabs(at):
        at.session_state[key] = label
        at.run()
        yield f"{key}={label}"
    boxes = [
        (b.key, len(b.options))
        for b in at.selectbox
        if b.key and b.key not in SETTINGS and not b.proto.form_id
    ]
    for key, count in boxes:
        for index in range(min(count, OPTIONS)):
            at.switch_page(page).run()
            found = [b for b in at.selectbox if b.key == key]
            if found and index < len(found[0].options):
                _pick(found[0], index)
                yield f"{key}[{index}]"


def test_every_page_shows_what_people_wrote_as_text(written: dict[str, str]) -> None:
    seen: set[str] = set()
    findings: list[str] = []
    for username in ROLES:
        at = signed_in(username)
        people = [b for b in at.selectbox if b.key == sidebar.SWITCHER]
        for person in range(len(people[0].options) if people else 1):
            if people:
                at.switch_page("pages/patient/home.py").run()
                _pick(at.selectbox(key=sidebar.SWITCHER), person)
            for page in sorted(_pages(at)):
                for view in _views(at, page):
                    where = f"{username} (record {person}) {page} {view}"
                    assert not at.exception, (where, at.exception)
                    assert t(state.GENERIC_ERROR) not in [e.value for e in at.error], where
                    findings += _findings(at, where, seen)
    assert not findings, "\n".join(findings)
    missed = {written[t] for t in written} - {written[t] for t in seen if t in written}
    assert missed <= NOT_OPENED, sorted(missed - NOT_OPENED)


# What only Emma (15) may see of her confidential care: the visit, its note, the test, the
# follow-up, the care team's message and the statement (seed/records.py confidential_teen).
CONFIDENTIAL = (
    "adolescent",
    "reproductive health visit",
    "Chlamydia",
    "Confidential follow-up",
    "your test came back negative",
    "Office visit, confidential",
)


def _readable(data: bytes) -> str:
    """A download's text: a PDF's words, a zip's files, anything else as text."""
    if data.startswith(b"%PDF"):
        return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    if data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as bundle:
            return "\n".join(_readable(bundle.read(n)) for n in bundle.namelist())
    return data.decode("utf-8", errors="replace")


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The text of every download the pages offer, fetched as the page is drawn."""
    fetched: list[str] = []
    offer = DeltaGenerator.download_button

    def fetching(self: DeltaGenerator, label: str, data: Any, *args: Any, **kwargs: Any) -> Any:
        made = data() if callable(data) else data
        raw = made.encode() if isinstance(made, str) else bytes(made)
        fetched.append(f"{label}: {_readable(raw)}")
        return offer(self, label, raw, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", fetching)
    main = streamlit._main  # st.download_button is bound to it at import
    monkeypatch.setattr(streamlit, "download_button", lambda *a, **k: fetching(main, *a, **k))
    return fetched


def test_a_limited_parent_sees_none_of_the_teens_confidential_care_on_any_page(
    seeded_url: str, downloads: list[str]
) -> None:
    teen = signed_in("teen.demo")
    shown = " ".join(v for _, v in _shown(teen.switch_page("pages/patient/records.py").run()))
    assert "adolescent" in shown  # she sees her own visit: the words below are the right ones
    assert any("adolescent" in d for d in downloads)  # and in her visit's PDF
    downloads.clear()
    at = signed_in("proxy.demo")
    at.switch_page("pages/patient/home.py").run()
    people = at.selectbox(key=sidebar.SWITCHER)
    _pick(people, next(i for i, o in enumerate(people.options) if o.startswith("Emma Larson")))
    assert "Emma Larson's home" in [h.value for h in at.title]
    leaks = []
    walked = 0
    for page in sorted(_pages(at)):
        for view in _views(at, page):
            walked += 1
            assert not at.exception, (page, view, at.exception)
            text = " ".join(v for _, v in _shown(at)) + " ".join(downloads)
            downloads.clear()
            leaks += [f"{page} {view}: {w}" for w in CONFIDENTIAL if w.lower() in text.lower()]
    assert walked > 20 and not leaks, leaks
