# Search that stays fast (issue 8): trigram index over the meetings' text and a Finnish
# full-text index over title, notes and outcomes (kuusikko_unaccent comes from crm 0005).

import crm.search
import django.contrib.postgres.indexes
from django.contrib.postgres.operations import AddIndexConcurrently
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    # Indexes are built CONCURRENTLY (no write lock on big tables), outside a transaction.
    atomic = False

    dependencies = [
        ('advocacy', '0008_topic_register_fields_calendar_feeds'),
        ('crm', '0006_search_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='meeting',
            index=django.contrib.postgres.indexes.GinIndex(django.contrib.postgres.indexes.OpClass(crm.search.Document(models.F('title'), models.F('place'), models.F('notes'), models.F('outcomes')), name='gin_trgm_ops'), name='meeting_search_trgm'),
        ),
        AddIndexConcurrently(
            model_name='meeting',
            index=django.contrib.postgres.indexes.GinIndex(crm.search.FinnishDocument(models.F('title'), models.F('notes'), models.F('outcomes')), name='meeting_finnish_fts'),
        ),
    ]
