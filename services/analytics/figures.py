"""A dashboard figure: a table (the chart is drawn from it and the CSV download is the same
table), what it counts, and how the page draws it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Figure:
    title: str
    about: str  # what it counts, in a sentence
    kind: str  # line, bar, heatmap or funnel: how the page draws it
    table: pd.DataFrame  # the first column labels the rows; hidden numbers are None
    plot: tuple[str, ...] = ()  # the columns the chart draws (none named: the counts)


def table(first: str, labels: Sequence[object], **columns: Any) -> pd.DataFrame:
    """Numbers stay numbers and a hidden one stays None (not NaN in a float column)."""
    data = {first: list(labels), **{k: list(v) for k, v in columns.items()}}
    return pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in data.items()})


def percent(ratio: float | None) -> float | None:
    return None if ratio is None else round(100 * ratio, 1)
