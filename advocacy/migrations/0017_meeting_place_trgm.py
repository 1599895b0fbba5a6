"""A trigram index over the meetings' place alone (unaccented).

A search word that the full-text index finds wherever it begins a word of a meeting's title,
notes or outcomes is looked for in the place by this index instead of over the whole text
(`_meeting_ids_matching`). Built without locking the meetings against writes (CONCURRENTLY
cannot run inside a transaction).
"""

import django.contrib.postgres.indexes
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models

import crm.search


class Migration(migrations.Migration):

    atomic = False

    dependencies = [
        ('advocacy', '0016_meeting_search_vector_statistics'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='meeting',
            index=django.contrib.postgres.indexes.GinIndex(django.contrib.postgres.indexes.OpClass(crm.search.Document(models.F('place')), name='gin_trgm_ops'), name='meeting_place_trgm'),
        ),
    ]
