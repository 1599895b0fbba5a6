from celery import shared_task
from django.db import InterfaceError, OperationalError, connection


@shared_task(
    name="ops.check_database",
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=1,
    max_retries=5,
)
def check_database() -> bool:
    """A worker's probe: it reaches the database (`celery -A config call ops.check_database`).

    Retried with backoff while the database is away, as any task that touches it should be.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)
