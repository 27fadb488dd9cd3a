"""The billing tests' shared parts: the demo processor over the seeded database, and more
billing users (two approve what one may not alone)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from demo_processor.server import DemoProcessor
from services.core.access import Actor
from services.identity import admin
from tests.support import world
from tests.support.payments import demo_processor


@pytest.fixture
def processor(seeded_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoProcessor]:
    """The demo processor as the payment API (plans' minimum lowered to fit the small world)."""
    monkeypatch.setenv("PORTAL_PLAN_MIN_MONTHLY", "10.00")
    with demo_processor(monkeypatch) as found:
        yield found


def another_biller(username: str) -> Actor:
    """A billing user besides billing.demo, made by the admin."""
    admin.staff_create(
        actor=world.actor_of("admin.demo"),
        username=username,
        display_name=username.replace(".", " ").title(),
        email=f"{username}@lakeside.example",
        role="billing",
    )
    return world.actor_of(username)
