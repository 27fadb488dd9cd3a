"""Crash durability on both databases: the app's writes (readings typed and imported, results
released, messages sent, payments made) killed with SIGKILL at random moments, 20 times; after
each restart every write the user was told succeeded is there, no unit of work is there in part,
and the audit chain verifies. PORTAL_CRASH_TRIALS runs more."""

from __future__ import annotations

import os
import random

from tests.support.crash import drill

TRIALS = int(os.environ.get("PORTAL_CRASH_TRIALS", "20"))


def test_writes_killed_at_random_moments_lose_nothing_confirmed(seeded_url: str) -> None:
    found = drill(TRIALS, random.Random(TRIALS))
    backend = seeded_url.split(":")[0]
    print(
        f"\ncrash drill ({backend}): {found.trials} trials, "
        f"{sum(found.confirmed.values())} writes confirmed {dict(found.confirmed)}, "
        f"{len(found.lost)} lost, {len(found.partial)} partial, "
        f"killed after {min(found.killed_after):.2f}-{max(found.killed_after):.2f} s of writing"
    )
    assert found.trials == TRIALS
    assert found.lost == [] and found.partial == [] and found.broken_chains == []
    assert set(found.confirmed) == {"reading", "import", "release", "message", "payment"}
