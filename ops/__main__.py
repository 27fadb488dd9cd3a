"""`python -m ops backup [--to FOLDER]`: a consistent copy of the configured database now.
`python -m ops restore BACKUP [--database-url URL]`: load a backup into a new, empty database
(the configured one by default), check every table's rows and the audit chain, record it.
`python -m ops messages`: bring the translation catalogs (locale/) up to date with the code."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ops import messages
from services.core import backups, db, language
from services.core.config import settings
from services.core.errors import ConfigurationError

IN_USE = (
    "the database is in use by the running app: with DuckDB only that process may open it, and "
    "its database_backup job makes a backup once a day. Stop the app for a backup now (a brief "
    "pause), or use PostgreSQL to back up while it runs."
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    backup = commands.add_parser("backup", help="back up the configured database now")
    backup.add_argument("--to", type=Path, help="folder for the backup (backup_dir)")
    restore = commands.add_parser("restore", help="restore a backup into an empty database")
    restore.add_argument("backup", type=Path, help="a backup's folder (portal-…Z)")
    restore.add_argument("--database-url", help="the new database (default: the configured one)")
    commands.add_parser("messages", help="update locale/ from the strings the code marks")
    args = parser.parse_args(argv)
    if args.command == "messages":
        for code, missing in messages.update().items():
            print(f"{code}: {missing:,} messages to translate in {language.catalog_path(code)}")
        return 0
    try:
        if args.command == "backup":
            folder = backups.make(args.to)
            manifest = backups.read_manifest(folder)
            print(f"backed up {sum(manifest.rows.values()):,} rows to {folder}")
        else:
            url = args.database_url or settings().database_url
            manifest = backups.restore(args.backup, url)
            print(
                f"restored {sum(manifest.rows.values()):,} rows taken {manifest.created_at}; "
                f"every table's count and the audit chain checked"
            )
    except ConfigurationError as exc:
        message = IN_USE if "lock" in exc.message.lower() else exc.message
        print(f"python -m ops {args.command}: {message}", file=sys.stderr)
        return 2
    except backups.BackupError as exc:
        print(f"python -m ops {args.command}: {exc.message}", file=sys.stderr)
        return 1
    finally:
        db.reset()
    return 0


if __name__ == "__main__":
    sys.exit(main())
