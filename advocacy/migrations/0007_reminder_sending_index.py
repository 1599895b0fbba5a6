# The partial index of rows being sent, built without locking the reminder table against
# writes (CREATE INDEX CONCURRENTLY cannot run inside a transaction).

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):

    atomic = False

    dependencies = [
        ('advocacy', '0006_reminder_delivery_and_preferences'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='reminder',
            index=models.Index(condition=models.Q(('state', 'sending')), fields=['claimed_at'], name='reminder_sending_claimed'),
        ),
    ]
