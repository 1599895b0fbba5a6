# Notes search that stays fast (issue 8): the meetings' Finnish full-text document as a stored
# generated column with a GIN index, replacing the expression index meeting_finnish_fts, so that
# ranking and rechecks read the stored vector instead of running the stemmer over the notes
# again (advocacy.models.MeetingSearchVector). The column is no model field: no instance loads
# it, no history or COPY lists it. Adding a stored generated column rewrites the table under an
# exclusive lock (about a minute per million meetings on a small machine).

from django.db import migrations

ADD_COLUMN = """
    ALTER TABLE advocacy_meeting ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (
        to_tsvector('finnish'::regconfig, title::text || ' ' || notes || ' ' || outcomes)
    ) STORED
"""


class Migration(migrations.Migration):

    dependencies = [
        ('advocacy', '0009_search_indexes'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='meeting',
            name='meeting_finnish_fts',
        ),
        migrations.RunSQL(
            sql=[
                ADD_COLUMN,
                "CREATE INDEX meeting_search_vector ON advocacy_meeting USING gin (search_vector)",
            ],
            reverse_sql=[
                "DROP INDEX meeting_search_vector",
                "ALTER TABLE advocacy_meeting DROP COLUMN search_vector",
            ],
        ),
    ]
