# Notes search that stays fast (issue 8): the meetings' Finnish full-text document as a stored
# generated column with a GIN index, replacing the expression index meeting_finnish_fts, so that
# ranking and rechecks read the stored vector instead of running the stemmer over the notes
# again. Adding a stored generated column rewrites the table under an exclusive lock (about a
# minute per million meetings); the history trigger now names the columns it compares, leaving
# the derived vector out.

import crm.search
import django.contrib.postgres.indexes
import django.contrib.postgres.search
import pgtrigger.compiler
import pgtrigger.migrations
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('advocacy', '0009_search_indexes'),
        ('crm', '0006_search_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(
            model_name='meeting',
            name='update_update',
        ),
        migrations.RemoveIndex(
            model_name='meeting',
            name='meeting_finnish_fts',
        ),
        migrations.AddField(
            model_name='meeting',
            name='search_vector',
            field=models.GeneratedField(db_persist=True, expression=crm.search.FinnishDocument(models.F('title'), models.F('notes'), models.F('outcomes')), output_field=django.contrib.postgres.search.SearchVectorField(), verbose_name='search document'),
        ),
        migrations.AddIndex(
            model_name='meeting',
            index=django.contrib.postgres.indexes.GinIndex(fields=['search_vector'], name='meeting_search_vector'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='meeting',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD."author_id" IS DISTINCT FROM (NEW."author_id") OR OLD."created_at" IS DISTINCT FROM (NEW."created_at") OR OLD."id" IS DISTINCT FROM (NEW."id") OR OLD."kind" IS DISTINCT FROM (NEW."kind") OR OLD."municipality_id" IS DISTINCT FROM (NEW."municipality_id") OR OLD."notes" IS DISTINCT FROM (NEW."notes") OR OLD."occurred_at" IS DISTINCT FROM (NEW."occurred_at") OR OLD."outcomes" IS DISTINCT FROM (NEW."outcomes") OR OLD."place" IS DISTINCT FROM (NEW."place") OR OLD."title" IS DISTINCT FROM (NEW."title") OR OLD."updated_at" IS DISTINCT FROM (NEW."updated_at") OR OLD."version" IS DISTINCT FROM (NEW."version") OR OLD."visibility" IS DISTINCT FROM (NEW."visibility"))', func='INSERT INTO "advocacy_meetingevent" ("author_id", "created_at", "id", "kind", "municipality_id", "notes", "occurred_at", "outcomes", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "place", "title", "updated_at", "version", "visibility") VALUES (NEW."author_id", NEW."created_at", NEW."id", NEW."kind", NEW."municipality_id", NEW."notes", NEW."occurred_at", NEW."outcomes", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."place", NEW."title", NEW."updated_at", NEW."version", NEW."visibility"); RETURN NULL;', hash='11e5d11d8d1212f7a6bc188f92b5cad9ac2113b6', operation='UPDATE', pgid='pgtrigger_update_update_0b625', table='advocacy_meeting', when='AFTER')),
        ),
    ]
