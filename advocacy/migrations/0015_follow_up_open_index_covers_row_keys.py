"""The open follow-ups index also holds the keys the follow-ups list joins on and the visibility
rule reads: its exact count is read off the index alone."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('advocacy', '0014_meeting_contact_copies'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='followup',
            name='follow_up_open_by_assignee',
        ),
        migrations.AddIndex(
            model_name='followup',
            index=models.Index(condition=models.Q(('status', 'open')), fields=['assignee', 'due_date'], include=('created_by', 'meeting', 'goal', 'completed_by'), name='follow_up_open_by_assignee'),
        ),
    ]
