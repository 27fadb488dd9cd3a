"""The manager's portal-usage figures: counts of 1 to 10 people are never shown."""

from __future__ import annotations

from services.analytics import usage
from tests.support import world


def test_the_managers_figures_suppress_small_cells(seeded_url: str) -> None:
    manager = usage.manager_home(actor=world.sign_in("manager.demo"))
    assert manager.patients == 60
    for value in (manager.activated_accounts, manager.active_users_30d):
        assert value is None or value == 0 or value > usage.SUPPRESS_AT_OR_BELOW
    assert all(
        f.users is None or f.users > usage.SUPPRESS_AT_OR_BELOW or f.users == 0
        for f in manager.by_feature
    )
