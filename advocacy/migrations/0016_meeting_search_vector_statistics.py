"""Finer planner statistics for the meetings' full-text document (`search_vector`).

With the default statistics target PostgreSQL kept too few of its words to estimate a rare
word's matches: at tier L it took 'ympäristö:*' for 3,578 meetings (there are 374) and answered
"the newest 51 such meetings" by walking the time index through a million meetings (590 ms)
instead of the 374 from the full-text index (0.5 ms). With 1,000 the estimate was 359. The
column is analysed here at once (10 s at tier L for the whole table), not when autovacuum next
gets round to 5 million rows.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('advocacy', '0015_follow_up_open_index_covers_row_keys'),
    ]

    operations = [
        migrations.RunSQL(
            [
                "ALTER TABLE advocacy_meeting ALTER COLUMN search_vector SET STATISTICS 1000",
                "ANALYZE advocacy_meeting (search_vector)",
            ],
            "ALTER TABLE advocacy_meeting ALTER COLUMN search_vector SET STATISTICS -1",
        ),
    ]
