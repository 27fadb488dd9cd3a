"""Every scope × every patient-side page: a proxy's navigation lists a page only when the grant
opens one of its scopes (the page's services refuse the rest: tests/services/proxy)."""

from __future__ import annotations

import pytest

from pages.components import navigation
from services.core import access

PROXY = frozenset({access.PROXY})
ALWAYS = {
    "pages/proxy/request_access.py",
    "pages/public/invitation.py",
    "pages/account/account.py",
    "pages/patient/home.py",
    "pages/public/help.py",
    "pages/public/undo_change.py",
    "pages/public/secure_account.py",
}
BY_SCOPE = {
    access.RESULTS: {"pages/patient/results.py"},
    access.RECORDS: {
        "pages/patient/records.py",
        "pages/patient/requests.py",
        "pages/patient/outside_records.py",
    },
    access.DOCUMENTS: {"pages/patient/records.py"},
    access.METRICS: {"pages/patient/metrics.py"},
    access.BILLING_SCOPE: {"pages/patient/billing.py"},
    access.APPOINTMENTS: {"pages/patient/visits.py"},
    access.MESSAGES: {"pages/patient/messages.py"},
    access.REFILLS: {"pages/patient/refills.py"},
}


@pytest.mark.parametrize("scope", access.SCOPES)
def test_a_proxy_sees_the_pages_of_the_granted_scope_only(scope: str) -> None:
    listed = {p.path for p in navigation.pages_for(PROXY, frozenset({scope, access.SUMMARY}))}
    assert listed == ALWAYS | BY_SCOPE.get(scope, set())


def test_only_ones_own_record_lists_proxy_access() -> None:
    patient = frozenset({access.PATIENT})
    everything = frozenset(access.SCOPES) | {access.SUMMARY}
    own = {p.path for p in navigation.pages_for(patient, everything | {navigation.OWN_RECORD})}
    other = {p.path for p in navigation.pages_for(patient, everything)}
    assert own - other == {"pages/patient/proxies.py"}
