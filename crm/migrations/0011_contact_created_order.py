# The contacts' cursor order by creation time, built without locking the contact table against
# writes (CREATE INDEX CONCURRENTLY cannot run inside a transaction).

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):

    atomic = False

    dependencies = [
        ('crm', '0010_foreign_keys_served_by_composite_indexes'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='contact',
            index=models.Index(fields=['created_at', 'id'], name='contact_created_order'),
        ),
    ]
