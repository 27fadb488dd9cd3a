"""`python -m tests.support.migrate_worker URL`: migrate the database as an app process does at
start-up and print what `db.migrate` returned (`None 23` made it, `23 23` found it done). The
step that creates the schema is slowed by a second, so that two workers started together both
reach it while the first is still at work (without the lock, the second then fails)."""

from __future__ import annotations

import sys
import time
from typing import Any

from services.core import db
from services.core.models import Base

create_all = Base.metadata.create_all


def _slow_create_all(*args: Any, **kwargs: Any) -> None:
    time.sleep(1)
    create_all(*args, **kwargs)


if __name__ == "__main__":
    Base.metadata.create_all = _slow_create_all  # type: ignore[method-assign]
    engine = db.make_engine(sys.argv[1])
    before, after = db.migrate(engine)
    print(before, after)
