# The vocabulary's trigram index without GIN's pending list (advocacy.models.MeetingSearchWord):
# every meeting search scans the index three times, and each scan read the whole pending list,
# which after a fill held every word until a vacuum came by (tier L: 7 ms a search, 0.9 after).
# The index is altered in place, not rebuilt, and its pending entries are moved into it.

import crm.search
import django.contrib.postgres.indexes
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('advocacy', '0017_meeting_place_trgm'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql=[
                        "ALTER INDEX meeting_search_word_trgm SET (fastupdate = off)",
                        "SELECT gin_clean_pending_list('meeting_search_word_trgm'::regclass)",
                    ],
                    reverse_sql="ALTER INDEX meeting_search_word_trgm RESET (fastupdate)",
                ),
            ],
            state_operations=[
                migrations.RemoveIndex(
                    model_name='meetingsearchword',
                    name='meeting_search_word_trgm',
                ),
                migrations.AddIndex(
                    model_name='meetingsearchword',
                    index=django.contrib.postgres.indexes.GinIndex(django.contrib.postgres.indexes.OpClass(crm.search.KuusikkoUnaccent(models.F('word')), name='gin_trgm_ops'), fastupdate=False, name='meeting_search_word_trgm'),
                ),
            ],
        ),
    ]
