"""The cube refuses what it cannot place: a row whose date, bucket, site or age band is not on
its axes; DuckDB's columns come as arrays, each apart even when two share a name."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from services.analytics.cube import Axes, Cube, fetch_columns
from services.core import db

AXES = Axes(("NORTH", "SOUTH"), ("18-39", "40-64"))
DAYS = [date(2026, 5, 1), date(2026, 5, 2)]


def _dates(*days: str) -> np.ndarray:
    return np.array(days, dtype="datetime64[D]")


def test_rows_on_the_axes_are_counted_by_position() -> None:
    columns = [_dates("2026-05-02", "2026-05-02"), ["SOUTH", "NORTH"], ["40-64", "40-64"], [11, 12]]
    cube = Cube(columns, DAYS, AXES, adds_up=True)
    assert cube.counts[1, :, 1].tolist() == [12, 11, 23]  # north, south, all sites


@pytest.mark.parametrize(
    ("columns", "buckets", "refusal"),
    [
        ([_dates("2026-05-03"), ["NORTH"], ["18-39"], [11]], DAYS, "bucket outside the cube"),
        ([_dates("2026-04-30"), ["NORTH"], ["18-39"], [11]], DAYS, "bucket outside the cube"),
        ([_dates("2026-05-01"), ["NORTH"], ["18-39"], [11]], [], "bucket outside the cube"),
        ([["mon"], ["NORTH"], ["18-39"], [11]], ["sun"], "bucket outside the cube: 'mon'"),
        ([_dates("2026-05-01"), ["EAST"], ["18-39"], [11]], DAYS, "site outside the cube: 'EAST'"),
        ([_dates("2026-05-01"), ["NORTH"], ["90+"], [11]], DAYS, "age band outside the cube"),
    ],
)
def test_a_row_off_the_axes_is_refused(
    columns: list[Any], buckets: list[Any], refusal: str
) -> None:
    with pytest.raises(ValueError, match=refusal):
        Cube(columns, buckets, AXES)


@pytest.fixture
def duckdb_session(tmp_path: Path) -> Iterator[Session]:
    engine = db.make_engine(f"duckdb:///{tmp_path / 'cube.duckdb'}")
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def test_duckdb_columns_come_as_arrays_even_when_named_alike(duckdb_session: Session) -> None:
    found = fetch_columns(duckdb_session, text("SELECT * FROM (VALUES (1, 'a'), (2, 'b')) v(n, s)"))
    assert [c.tolist() for c in found] == [[1, 2], ["a", "b"]]
    assert [c.tolist() for c in fetch_columns(duckdb_session, text("SELECT 1 AS n, 2 AS n"))] == [
        [1],
        [2],
    ]
