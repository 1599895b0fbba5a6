# Search that stays fast (issue 8): an IMMUTABLE unaccent wrapper, trigram GIN indexes over
# names and details, and the contact lists' cursor-order index.
#
# unaccent() itself is STABLE (it looks its dictionary up through search_path), so it cannot be
# indexed; the wrapper names the dictionary schema-qualified, which makes it safe to declare
# IMMUTABLE (the documented approach, see pg_trgm/unaccent docs and crm/search.py).

import crm.search
import django.contrib.postgres.indexes
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):

    # Indexes are built CONCURRENTLY (no write lock on big tables), outside a transaction.
    atomic = False

    dependencies = [
        ('crm', '0005_contact_register_role_access_log_imports'),
    ]

    operations = [
        migrations.RunSQL(
            sql="""
                CREATE OR REPLACE FUNCTION kuusikko_unaccent(text) RETURNS text
                LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
                AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$
            """,
            reverse_sql="DROP FUNCTION IF EXISTS kuusikko_unaccent(text)",
        ),
        AddIndexConcurrently(
            model_name='contact',
            index=models.Index(fields=['last_name', 'id'], name='contact_list_order'),
        ),
        AddIndexConcurrently(
            model_name='contact',
            index=django.contrib.postgres.indexes.GinIndex(django.contrib.postgres.indexes.OpClass(crm.search.Document(models.F('first_name'), models.F('last_name')), name='gin_trgm_ops'), name='contact_name_trgm'),
        ),
        AddIndexConcurrently(
            model_name='contact',
            index=django.contrib.postgres.indexes.GinIndex(django.contrib.postgres.indexes.OpClass(crm.search.Document(models.F('title'), models.F('email'), models.F('notes')), name='gin_trgm_ops'), name='contact_detail_trgm'),
        ),
        AddIndexConcurrently(
            model_name='organisation',
            index=django.contrib.postgres.indexes.GinIndex(django.contrib.postgres.indexes.OpClass(crm.search.Document(models.F('name')), name='gin_trgm_ops'), name='organisation_name_trgm'),
        ),
        AddIndexConcurrently(
            model_name='organisation',
            index=django.contrib.postgres.indexes.GinIndex(django.contrib.postgres.indexes.OpClass(crm.search.Document(models.F('name'), models.F('business_id'), models.F('website'), models.F('notes')), name='gin_trgm_ops'), name='organisation_search_trgm'),
        ),
    ]
