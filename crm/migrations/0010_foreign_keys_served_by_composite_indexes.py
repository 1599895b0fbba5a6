# Foreign keys whose lookups an index of the model already serves, leading with the same column,
# lose their own single-column index (db_index=False): one index fewer to write on every insert
# and to keep on disk (tier L: about 30 MB). The indexes go CONCURRENTLY, without Django's
# AlterField, which would drop and re-add each foreign key constraint and check it again over
# every row (15 million participant rows at tier L) under a lock.
#   access log's user: access_log_user_time; contact's municipality: contact_municipality_name;
#   contact's organisation: contact_organisation (the same index twice until now).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False  # DROP INDEX CONCURRENTLY runs outside a transaction

    dependencies = [
        ('crm', '0009_kuusikko_unaccent_inlined'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX CONCURRENTLY IF EXISTS "crm_accesslog_user_id_79f9eaa0"',
                    'CREATE INDEX CONCURRENTLY IF NOT EXISTS "crm_accesslog_user_id_79f9eaa0" ON "crm_accesslog" ("user_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX CONCURRENTLY IF EXISTS "crm_contact_municipality_id_f81fd95c"',
                    'CREATE INDEX CONCURRENTLY IF NOT EXISTS "crm_contact_municipality_id_f81fd95c" ON "crm_contact" ("municipality_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX CONCURRENTLY IF EXISTS "crm_contact_organisation_id_fc417ef4"',
                    'CREATE INDEX CONCURRENTLY IF NOT EXISTS "crm_contact_organisation_id_fc417ef4" ON "crm_contact" ("organisation_id")',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='accesslog',
                    name='user',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='access_log', to=settings.AUTH_USER_MODEL, verbose_name='user'),
                ),
                migrations.AlterField(
                    model_name='contact',
                    name='municipality',
                    field=models.ForeignKey(blank=True, db_index=False, help_text='The municipality the person lives in or mainly works for, if any.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='contacts', to='crm.municipality', verbose_name='municipality'),
                ),
                migrations.AlterField(
                    model_name='contact',
                    name='organisation',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='contacts', to='crm.organisation', verbose_name='organisation'),
                ),
            ],
        ),
    ]
