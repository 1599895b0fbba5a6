# Foreign keys whose lookups an index of the model already serves, leading with the same column,
# lose their own single-column index (db_index=False): one index fewer to write on every insert
# and to keep on disk (tier L: about 410 MB). The indexes go CONCURRENTLY, without Django's
# AlterField, which would drop and re-add each foreign key constraint and check it again over
# every row (15 million participant rows at tier L) under a lock.
#   meeting's author and municipality: meeting_author_time, meeting_municipality_time;
#   participant's meeting and contact: meeting_contact_unique, meeting_contact_visible;
#   reminder's and notification's recipient: reminder_recipient_due, notification_recipient_time.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False  # DROP INDEX CONCURRENTLY runs outside a transaction

    dependencies = [
        ('advocacy', '0018_vocabulary_index_without_pending_list'),
        ('crm', '0010_foreign_keys_served_by_composite_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX CONCURRENTLY IF EXISTS "advocacy_meeting_author_id_632a13fa"',
                    'CREATE INDEX CONCURRENTLY IF NOT EXISTS "advocacy_meeting_author_id_632a13fa" ON "advocacy_meeting" ("author_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX CONCURRENTLY IF EXISTS "advocacy_meeting_municipality_id_aa55a4e6"',
                    'CREATE INDEX CONCURRENTLY IF NOT EXISTS "advocacy_meeting_municipality_id_aa55a4e6" ON "advocacy_meeting" ("municipality_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX CONCURRENTLY IF EXISTS "advocacy_meetingcontact_contact_id_a61695c8"',
                    'CREATE INDEX CONCURRENTLY IF NOT EXISTS "advocacy_meetingcontact_contact_id_a61695c8" ON "advocacy_meetingcontact" ("contact_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX CONCURRENTLY IF EXISTS "advocacy_meetingcontact_meeting_id_00ec4f52"',
                    'CREATE INDEX CONCURRENTLY IF NOT EXISTS "advocacy_meetingcontact_meeting_id_00ec4f52" ON "advocacy_meetingcontact" ("meeting_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX CONCURRENTLY IF EXISTS "advocacy_notification_recipient_id_dfbc43f8"',
                    'CREATE INDEX CONCURRENTLY IF NOT EXISTS "advocacy_notification_recipient_id_dfbc43f8" ON "advocacy_notification" ("recipient_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX CONCURRENTLY IF EXISTS "advocacy_reminder_recipient_id_f0f4814c"',
                    'CREATE INDEX CONCURRENTLY IF NOT EXISTS "advocacy_reminder_recipient_id_f0f4814c" ON "advocacy_reminder" ("recipient_id")',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='meeting',
                    name='author',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='authored_meetings', to=settings.AUTH_USER_MODEL, verbose_name='logged by'),
                ),
                migrations.AlterField(
                    model_name='meeting',
                    name='municipality',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='meetings', to='crm.municipality', verbose_name='municipality'),
                ),
                migrations.AlterField(
                    model_name='meetingcontact',
                    name='contact',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='meeting_links', to='crm.contact'),
                ),
                migrations.AlterField(
                    model_name='meetingcontact',
                    name='meeting',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='contact_links', to='advocacy.meeting'),
                ),
                migrations.AlterField(
                    model_name='notification',
                    name='recipient',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to=settings.AUTH_USER_MODEL, verbose_name='recipient'),
                ),
                migrations.AlterField(
                    model_name='reminder',
                    name='recipient',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='reminders', to=settings.AUTH_USER_MODEL, verbose_name='recipient'),
                ),
            ],
        ),
    ]
