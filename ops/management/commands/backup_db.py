"""manage.py backup_db --output FILE: a consistent pg_dump -Fc of the configured database."""

import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from ops.postgres import find_client, run_client


class Command(BaseCommand):
    help = (
        "Back up the database with pg_dump in its custom format (restore with restore_db). "
        "pg_dump reads one snapshot, so the backup is consistent while the app keeps running."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", required=True, help="file to write (replaced if present)")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="Django database alias")

    def handle(self, *args, output: str, database: str, **options):
        connection = connections[database]
        connection.ensure_connection()
        pg_dump = find_client("pg_dump", connection.pg_version)
        target = Path(output).resolve()
        if not target.parent.is_dir():
            raise CommandError(f"No such directory: {target.parent}")
        # The backup holds personal data: readable by its owner only, and it takes the final
        # name only once complete, so a failed run never leaves a truncated file behind.
        fd, partial = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        os.close(fd)
        try:
            run_client(
                [pg_dump, "--format=custom", "--no-password", f"--file={partial}"],
                connection.settings_dict,
            )
            os.replace(partial, target)
        finally:
            if os.path.exists(partial):
                os.unlink(partial)
        size = target.stat().st_size
        self.stdout.write(
            f"Backed up database {connection.settings_dict['NAME']} to {target} ({size} bytes)."
        )
