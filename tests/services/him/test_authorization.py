"""Every element a valid authorization (164.508) needs is refused by name when it is missing."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from services.core.errors import ValidationError
from services.him.authorization import Authorization, checked

TODAY = date(2026, 6, 1)
GOOD = Authorization(
    recipient_name="Northside Orthopedics",
    recipient_address="records@northside.example",
    purpose="Continuity of care",
    parts=frozenset({"visits", "imaging"}),
    ends_on=TODAY + timedelta(days=90),
    end_event="",
    signature="  alex   rivera ",
    signed_on=TODAY,
)


def test_a_complete_authorization_is_accepted_trimmed() -> None:
    ok = checked(GOOD, "Alex Rivera", TODAY)
    assert ok.signature == "alex rivera" and ok.recipient_name == "Northside Orthopedics"
    by_event = checked(
        replace(GOOD, ends_on=None, end_event="When my claim is settled"), "Alex Rivera", TODAY
    )
    assert by_event.end_event == "When my claim is settled"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"recipient_name": " "}, "recipient_name"),
        ({"recipient_address": ""}, "recipient_address"),
        ({"recipient_address": "records@"}, "recipient_address"),
        ({"purpose": ""}, "purpose"),
        ({"parts": frozenset()}, "parts"),
        ({"parts": frozenset({"dreams"})}, "parts"),
        ({"ends_on": None, "end_event": ""}, "ends_on"),
        ({"ends_on": TODAY}, "ends_on"),
        ({"signature": ""}, "signature"),
        ({"signature": "Someone Else"}, "signature"),
        ({"signed_on": None}, "signed_on"),
        ({"signed_on": TODAY - timedelta(days=3)}, "signed_on"),
        ({"recipient_name": "x\x00y"}, "recipient_name"),
    ],
)
def test_each_missing_or_bad_element_is_refused_by_name(
    change: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        checked(replace(GOOD, **change), "Alex Rivera", TODAY)  # type: ignore[arg-type]
    assert field in refused.value.fields


# Every element a valid authorization needs, by its field name.
ELEMENTS = {
    "recipient_name",
    "recipient_address",
    "purpose",
    "parts",
    "ends_on",
    "signature",
    "signed_on",
}


def test_every_problem_is_named_at_once() -> None:
    empty = Authorization("", "", "", frozenset(), None, "", "", None)
    with pytest.raises(ValidationError) as refused:
        checked(empty, "Alex Rivera", TODAY)
    assert set(refused.value.fields) == ELEMENTS
