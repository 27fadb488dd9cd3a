"""The benchmarks' command line refuses what cannot be measured, in one line and before any work."""

from __future__ import annotations

import pytest

from benchmarks.__main__ import main


def test_several_app_processes_without_postgresql_are_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["load", "--processes", "2"])
    assert stopped.value.code == 2
    assert "--processes above 1 needs --database-url" in capsys.readouterr().err
