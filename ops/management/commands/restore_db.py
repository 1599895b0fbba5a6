"""manage.py restore_db --input FILE: restore a backup_db file into the configured database."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from ops.postgres import find_client, run_client

USER_SCHEMAS_SQL = """
    SELECT nspname FROM pg_namespace
    WHERE nspname NOT IN ('pg_catalog', 'information_schema')
      AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp%'
"""
USER_RELATIONS_SQL = """
    SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
"""


class Command(BaseCommand):
    help = (
        "Restore a backup made by backup_db into the configured database, which must be empty "
        "(create it first). --force empties a non-empty one first: everything in it is lost. "
        "Stop the web app and workers while restoring."
    )

    def add_arguments(self, parser):
        parser.add_argument("--input", required=True, help="a file written by backup_db")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="Django database alias")
        parser.add_argument(
            "--force",
            action="store_true",
            help="drop everything in a non-empty database before restoring",
        )

    def handle(self, *args, input: str, database: str, force: bool, **options):
        source = Path(input)
        if not source.is_file():
            raise CommandError(f"No such file: {source}")
        connection = connections[database]
        name = connection.settings_dict["NAME"]
        with connection.cursor() as cursor:
            cursor.execute(USER_RELATIONS_SQL)
            relations = cursor.fetchone()[0]
        if relations and not force:
            raise CommandError(
                f"Database {name} is not empty ({relations} tables, views or sequences). "
                "Restore into a new empty database, or pass --force to replace its contents."
            )
        if relations:
            self._empty(connection)
        pg_restore = find_client("pg_restore", connection.pg_version)
        connection.close()
        run_client(
            [
                pg_restore,
                "--no-password",
                f"--dbname={name}",
                # Owners and grants of the source server's roles may not exist here.
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                str(source),
            ],
            connection.settings_dict,
        )
        self.stdout.write(f"Restored {source} into database {name}.")

    def _empty(self, connection) -> None:
        with connection.cursor() as cursor:
            cursor.execute(USER_SCHEMAS_SQL)
            schemas = [row[0] for row in cursor.fetchall()]
            for schema in schemas:
                cursor.execute(f"DROP SCHEMA {connection.ops.quote_name(schema)} CASCADE")
            cursor.execute("CREATE SCHEMA public")
        self.stdout.write(f"Emptied database {connection.settings_dict['NAME']}: {schemas}.")
