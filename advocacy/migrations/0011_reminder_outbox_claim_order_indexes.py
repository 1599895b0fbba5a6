# The sweep claims due reminders, and the relay leases queued e-mail, in (time, id) order; the
# partial indexes now hold both columns, so a batch is read off the index instead of sorting
# every due row (many share one due time). Built and dropped without locking the tables against
# writes (CONCURRENTLY cannot run inside a transaction).

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):

    atomic = False

    dependencies = [
        ('advocacy', '0010_meeting_search_vector'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='reminder',
            index=models.Index(condition=models.Q(('state', 'pending')), fields=['due_at', 'id'], name='reminder_pending_claim'),
        ),
        RemoveIndexConcurrently(
            model_name='reminder',
            name='reminder_pending_due',
        ),
        AddIndexConcurrently(
            model_name='outboxemail',
            index=models.Index(condition=models.Q(('state', 'queued')), fields=['next_attempt_at', 'id'], name='outbox_queued_claim'),
        ),
        RemoveIndexConcurrently(
            model_name='outboxemail',
            name='outbox_queued_next',
        ),
    ]
