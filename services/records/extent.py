"""Which parts of the record, over which days: what a records request asks for and a release
package holds. The portal's own exports take the whole record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement

from services.core import clock
from services.core.language import N_

ALL = "all"
PARTS = {
    ALL: N_("The whole record"),
    "results": N_("Test results"),
    "notes": N_("Clinical notes"),
    "imaging": N_("Imaging reports"),
    "visits": N_("Visit summaries"),
    "billing": N_("Billing records"),
}


@dataclass(frozen=True)
class Extent:
    parts: frozenset[str] = frozenset({ALL})
    start: date | None = None  # first day, on the clinic's calendar
    end: date | None = None  # last day

    def has(self, part: str) -> bool:
        return ALL in self.parts or part in self.parts

    def within(self, column: Any) -> list[ColumnElement[bool]]:
        """Conditions keeping a stored UTC time inside the days asked for."""
        found: list[ColumnElement[bool]] = []
        if self.start is not None:
            found.append(column >= clock.day_start(self.start))
        if self.end is not None:
            found.append(column < clock.day_start(self.end + timedelta(days=1)))
        return found

    def words(self) -> str:
        """'Test results, Clinical notes from 2024-01-01 to 2024-12-31'."""
        what = ", ".join(PARTS[p] for p in PARTS if p in self.parts)
        if self.start and self.end:
            return f"{what}, from {self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}"
        if self.start:
            return f"{what}, from {self.start:%Y-%m-%d}"
        if self.end:
            return f"{what}, up to {self.end:%Y-%m-%d}"
        return f"{what}, all dates"


WHOLE = Extent()
