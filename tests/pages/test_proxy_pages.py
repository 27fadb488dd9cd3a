"""The proxy pages render for their roles and act through the services (AppTest)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from services.proxy import review
from tests.pages.test_app import signed_in
from tests.support import world


def _press(at: AppTest, label: str) -> AppTest:
    return next(b for b in at.button if b.label == label).click().run()


def _open(at: AppTest, path: str) -> AppTest:
    at.switch_page(path).run()
    assert not at.exception, at.exception
    return at


def test_a_patient_invites_from_the_proxy_page(seeded_url: str) -> None:
    at = _open(signed_in("patient.demo"), "pages/patient/proxies.py")
    assert at.title[0].value == "Proxy access"
    at.text_input(key="invite_name").input("Sam Delegate")
    at.text_input(key="invite_email").input("sam@example.org")
    at.multiselect(key="invite_scopes").select("results")
    _press(at, "Send invitation")
    assert not at.error, [e.value for e in at.error]
    assert [s.value.startswith("Invitation sent to") for s in at.success] == [True]


def test_a_teen_below_the_policys_age_is_told_they_cannot_invite(seeded_url: str) -> None:
    at = signed_in("teen.demo")  # 15: may not invite (the policy's age)
    at = _open(at, "pages/patient/proxies.py")
    at.text_input(key="invite_name").input("A friend")
    at.text_input(key="invite_email").input("friend@example.org")
    at.multiselect(key="invite_scopes").select("results")
    _press(at, "Send invitation")
    assert any("cannot invite" in e.value for e in at.error)


def test_the_parent_sees_the_teens_record_as_limited(seeded_url: str) -> None:
    at = signed_in("proxy.demo")
    at.sidebar.selectbox(key="sidebar_acting_for").select(world.patient_id("Emma", "Larson")).run()
    captions = " ".join(c.value for c in at.sidebar.caption)
    assert "You may see:" in captions and "Confidential teen information" in captions
    assert [i.value for i in at.info] == ["You are viewing Emma Larson's record."]


def test_request_access_and_him_review_pages(seeded_url: str) -> None:
    at = _open(signed_in("proxy.demo"), "pages/proxy/request_access.py")
    assert at.title[0].value == "Request access to someone's record"
    him = signed_in("him.demo")
    him = _open(him, "pages/him/proxy_review.py")
    queue = review.review_queue(actor=world.actor_of("him.demo"))
    him.selectbox(key="review_pick").select(queue[0].request_id).run()
    assert not him.exception and not him.error, [e.value for e in him.error]
    assert any("Request from" in h.value for h in him.subheader)
