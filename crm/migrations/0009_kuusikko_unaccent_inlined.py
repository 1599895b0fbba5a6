# kuusikko_unaccent(text) without the cost of a SQL function call per row (issue 8).
#
# The wrapper of 0006 is never inlined by the planner: its body calls unaccent(), which is
# STABLE, inside a function declared IMMUTABLE, so PostgreSQL runs it as a SQL function call
# for every value: 0.9 µs against 0.06 µs for unaccent() itself (tier L, 200,000 last names;
# a name search computes it a few thousand times). Where the migrating role may create a
# C-language function (a superuser: the default in docker-compose, `make run` and CI), the
# wrapper's body calls `kuusikko_unaccent_dict` instead: the unaccent module's own C function,
# declared IMMUTABLE, with the dictionary named as before. The wrapper is then inlined into
# every query and index expression. Its result is the same, so the indexes over it stay valid.
# The C function is declared with the SQL wrapper's planner cost (100, the default of a SQL
# function): the plans stay those the searches were tuned with, only their execution is faster.
# A role that may not (a managed database) keeps the wrapper of 0006, which gives the same
# results, only slower; the migration says so.
#
# A connection keeps the expressions of the indexes it has used, as they were when it read
# them: one open before the change would match its queries, inlined now, against the
# expressions of before, and find no index for them (tests/test_search.py caught it, on the
# connection that had run the migrations). So each index over the function is touched in the
# same transaction (the statistics target of an expression column set to what it is: nothing
# changes but the index's catalog row), which makes every connection read its expressions
# afresh.

from django.db import migrations

C_FUNCTION = """
    CREATE OR REPLACE FUNCTION public.kuusikko_unaccent_dict(regdictionary, text) RETURNS text
    LANGUAGE c IMMUTABLE PARALLEL SAFE STRICT COST 100
    AS '$libdir/unaccent', 'unaccent_dict'
"""

WRAPPER = """
    CREATE OR REPLACE FUNCTION public.kuusikko_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT public.{function}('public.unaccent'::regdictionary, $1) $$
"""


def may_create_c_functions(cursor) -> bool:
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    row = cursor.fetchone()
    return bool(row and row[0])


# The indexes whose expressions call kuusikko_unaccent, with an expression column's number and
# statistics target.
INDEXES_OVER_THE_FUNCTION = """
    SELECT i.indexrelid::regclass::text, a.attnum, a.attstattarget
    FROM pg_depend AS d
    JOIN pg_index AS i ON i.indexrelid = d.objid
    JOIN pg_attribute AS a
      ON a.attrelid = i.indexrelid
     AND a.attnum = array_position(i.indkey::int2[], 0::int2) + 1
    WHERE d.classid = 'pg_class'::regclass
      AND d.refclassid = 'pg_proc'::regclass
      AND d.refobjid = 'public.kuusikko_unaccent(text)'::regprocedure
      AND 0 = ANY (i.indkey::int2[])
"""


def reread_index_expressions(cursor) -> None:
    cursor.execute(INDEXES_OVER_THE_FUNCTION)
    for index, column, target in cursor.fetchall():
        # PostgreSQL 17 keeps the default target as NULL, earlier versions as -1.
        target = -1 if target is None else int(target)
        cursor.execute(f"ALTER INDEX {index} ALTER COLUMN {int(column)} SET STATISTICS {target}")


def inline(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if not may_create_c_functions(cursor):
            print(
                "\n  kuusikko_unaccent stays a SQL function call (creating its C function "
                "needs a superuser): search gives the same results, a little slower."
            )
            return
        cursor.execute(C_FUNCTION)
        cursor.execute(WRAPPER.format(function="kuusikko_unaccent_dict"))
        reread_index_expressions(cursor)


def restore(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(WRAPPER.format(function="unaccent"))
        cursor.execute("DROP FUNCTION IF EXISTS public.kuusikko_unaccent_dict(regdictionary, text)")
        reread_index_expressions(cursor)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0008_organisation_name_key"),
    ]

    operations = [migrations.RunPython(inline, restore, elidable=False)]
