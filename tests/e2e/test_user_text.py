"""Text people typed is shown as text on every page that shows it (docs/rules/security.md 16): a
Markdown and HTML payload in every user-writable field (share recipient, document title, a device
file's person, an email address, a release comment, a hold note, a message's subject, text and
attachment name, a staff reply and internal note, a refill note, another provider's file's
person and conditions) is drawn as typed. No image or link
is made of it, and the browser never fetches the beacon URL inside it."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from pages.components.format import when
from services.care import inbox, messages, refills
from services.core import access, clock, db
from services.core.uploads import Upload
from services.identity import account
from services.records import results, sharing
from services.records.tables import LabResult
from tests.conftest import DEXCOM_EXPORT
from tests.e2e.conftest import choose, idle, open_tab, prepared, sign_in
from tests.services.records.test_documents import uploaded
from tests.services.records.test_outside import TEMIKA
from tests.services.records.test_results import _new_result
from tests.support import world
from tests.support.beacon import Beacon
from tests.support.served import streamlit_server

pytestmark = pytest.mark.e2e


def _payload(beacon: Beacon, field: str) -> str:
    """Markdown and HTML that would fetch the beacon and make bold text, if drawn as markup."""
    return f'![{field}]({beacon.url}/{field}.png) **bold-{field}** <img src="{beacon.url}/{field}">'


def _doctor() -> access.Actor:
    return world.actor_of("clinician.demo")


def _held_new_result(note: str) -> uuid.UUID:
    """A new result of Alex's, held by the demo clinician with this note, then final."""
    rid = _new_result(
        world.patient_id("Alex", "Rivera"), collected_at=clock.now() - timedelta(minutes=30)
    )
    results.result_hold(
        actor=_doctor(),
        result_id=rid,
        reason=results.PREVENTING_HARM,
        note=note,
        until=clock.now() + timedelta(days=3),
    )
    results.result_finalize(actor=_doctor(), result_id=rid)
    return rid


@pytest.fixture(scope="module")
def beacon() -> Iterator[Beacon]:
    found = Beacon()
    yield found
    found.close()


@pytest.fixture(scope="module")
def world_with_payloads(
    e2e_template: Path, tmp_path_factory: pytest.TempPathFactory, beacon: Beacon
) -> Iterator[tuple[str, dict[str, str]]]:
    """The e2e world with a payload typed into every field, served; yields (URL, facts)."""
    folder = tmp_path_factory.mktemp("user-text")
    with prepared(e2e_template, folder) as path:
        me = world.actor_of("patient.demo")
        alex = world.patient_id("Alex", "Rivera")
        sharing.share_create(
            actor=me,
            patient_id=alex,
            recipient_name=_payload(beacon, "share"),
            recipient_email="records@northside.example",
            what="summary_pdf",
            days=7,
        )
        uploaded(_payload(beacon, "document"))
        email = f"![mail]({beacon.url}/mail.png)**bold-mail**@example.org"
        account.contact_update(actor=me, password=world.DEMO_PASSWORD, email=email, phone=None)
        released = _held_new_result("Released below.")
        results.results_release(
            actor=_doctor(), result_ids=[released], comment=_payload(beacon, "comment")
        )
        held = _held_new_result(_payload(beacon, "hold"))
        thread = messages.message_send(
            actor=me,
            patient_id=alex,
            recipient="care",
            category="medical",
            subject=_payload(beacon, "subject"),
            body=_payload(beacon, "body"),
            attachments=[Upload(_payload(beacon, "file") + ".pdf", b"%PDF-1.4\n%%EOF\n")],
        )
        inbox.inbox_note(actor=_doctor(), thread_id=thread, body=_payload(beacon, "note"))
        inbox.inbox_reply(actor=_doctor(), thread_id=thread, body=_payload(beacon, "reply"))
        medicines, stores, _ = refills.refill_choices(actor=me, patient_id=alex)
        refills.refill_request(
            actor=me,
            patient_id=alex,
            medication_id=next(m.medication_id for m in medicines if m.refusal is None),
            pharmacy_id=stores[0].pharmacy_id,
            note=_payload(beacon, "refill"),
        )
        [item] = [h for h in results.held_results(actor=_doctor()) if h.result_id == held]
        with db.read_only() as s:
            collected = s.scalar(select(LabResult.collected_at).where(LabResult.id == released))
        facts = {
            "email": email,
            "result": f"Hemoglobin A1c, collected {when(collected)}",
            "held": f"{item.patient_name} (MRN {item.mrn}) · {item.panel_name} · held since "
            f"{when(item.held_at)}",
        }
    with streamlit_server(f"duckdb:///{path}", folder) as base:
        yield base, facts


@pytest.fixture
def tab(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


# What a reader sees: the page's text without the invisible word joiners that stop autolinks.
SEEN_TEXT = "() => document.body.innerText.replaceAll('\\u2060', '')"


def _shown_as_text(page: Page, beacon: Beacon, text: str, field: str) -> None:
    expect(page.get_by_text(f"bold-{field}").first).to_be_visible()
    assert text in page.evaluate(SEEN_TEXT), field
    assert page.locator(f'img[src*="{beacon.url}"]').count() == 0, field
    made_bold = page.locator("strong", has_text=re.compile(f"^bold-{field}$"))
    assert made_bold.count() == 0, field
    assert page.locator(f'a[href*="{beacon.url}"]').count() == 0, field


def test_payloads_typed_by_patients_and_staff_show_as_typed(
    tab: Page, world_with_payloads: tuple[str, dict[str, str]], beacon: Beacon, tmp_path: Path
) -> None:
    base, facts = world_with_payloads
    page = tab
    sign_in(page, base, "patient.demo")
    page.get_by_role("link", name="Medical record").click()
    page.get_by_role("tab", name="Documents").click()
    _shown_as_text(page, beacon, _payload(beacon, "document"), "document")
    # The title is not set in the page's own bold either (the reported "bold appears").
    assert page.locator("strong", has_text="bold-document").count() == 0
    page.get_by_role("tab", name="Share with another clinic").click()
    _shown_as_text(page, beacon, _payload(beacon, "share"), "share")
    page.get_by_role("link", name="Test results").click()
    page.get_by_label("Open a result").click()
    page.get_by_role("option").filter(has_text=facts["result"]).first.click()
    _shown_as_text(
        page, beacon, f"Comment from your care team: {_payload(beacon, 'comment')}", "comment"
    )
    page.get_by_role("link", name="Messages").click()
    choose(page, "Open a conversation", "bold-subject")
    for field in ("subject", "body", "reply", "file"):
        _shown_as_text(page, beacon, _payload(beacon, field), field)
    page.get_by_role("link", name="Health metrics").click()
    page.get_by_role("tab", name="Import from a device").click()
    device_file = tmp_path / "named.csv"
    name = f"![device]({beacon.url}/device.png) **bold-device**"
    device_file.write_text(
        DEXCOM_EXPORT.read_text(encoding="utf-8-sig").replace(",Joe,", f",{name},", 1),
        encoding="utf-8",
    )
    page.locator("input[type=file]").set_input_files(str(device_file))
    _shown_as_text(page, beacon, f"The file names {name}", "device")
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()

    sign_in(page, base, "clinician.demo")
    page.get_by_role("link", name="Result release").click()
    page.get_by_text(facts["held"]).first.click()
    _shown_as_text(page, beacon, _payload(beacon, "hold"), "hold")
    page.get_by_role("link", name="Inbox").click()
    choose(page, "Open a conversation", "bold-subject")
    page.get_by_text("Staff notes and history").click()
    for field in ("subject", "body", "note", "file"):
        _shown_as_text(page, beacon, _payload(beacon, field), field)
    page.get_by_role("link", name="Refill requests").click()
    _shown_as_text(page, beacon, f"Patient's note: {_payload(beacon, 'refill')}", "refill")
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()

    sign_in(page, base, "admin.demo")
    page.get_by_role("link", name="Demo inbox").click()
    _shown_as_text(page, beacon, f"To {facts['email']}", "mail")
    page.wait_for_timeout(500)  # time for any image the page asked for to arrive
    assert beacon.hits == []


def _marked_bundle(beacon: Beacon, folder: Path) -> Path:
    """Another provider's FHIR file whose patient and conditions are named with markup."""
    bundle = json.loads(TEMIKA.read_bytes())
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Patient":
            resource["name"] = [{"given": [_payload(beacon, "person")], "family": "Markup"}]
        elif resource["resourceType"] == "Condition":
            resource["code"] = {"text": _payload(beacon, "condition")}
    path = folder / "marked.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return path


def test_outside_record_names_with_markup_show_as_text_in_the_preview_and_after_import(
    tab: Page, world_with_payloads: tuple[str, dict[str, str]], beacon: Beacon, tmp_path: Path
) -> None:
    base, _ = world_with_payloads
    page = tab
    sign_in(page, base, "patient.demo")
    page.get_by_role("link", name="Records from other providers").click()
    page.locator("input[type=file]").set_input_files(str(_marked_bundle(beacon, tmp_path)))
    _shown_as_text(
        page, beacon, f"This file is about {_payload(beacon, 'person')} Markup", "person"
    )
    page.get_by_text("These records belong to this patient").click()
    idle(page)
    page.get_by_role("button", name="Add these records").click()
    open_tab(page, "Conditions")
    # A table draws its cells on a canvas; its hidden grid holds each cell's text as it is.
    cell = page.locator("[role=gridcell]", has_text="bold-condition").first
    expect(cell).to_have_text(_payload(beacon, "condition"))
    assert page.locator(f'img[src*="{beacon.url}"], a[href*="{beacon.url}"]').count() == 0
    page.wait_for_timeout(500)  # time for any image the page asked for to arrive
    assert beacon.hits == []
