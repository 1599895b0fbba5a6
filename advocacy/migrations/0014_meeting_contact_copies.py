"""Copies of the meeting's time and visibility fields on its participant rows (MeetingContact),
kept by triggers, and the index that counts a contact's visible meetings off them.

At tier L (15M participant rows) the backfill rewrites every row of the table."""

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('advocacy', '0013_topic_goal_removed'),
        ('crm', '0008_organisation_name_key'),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(
            model_name='meetingcontact',
            name='update_update',
        ),
        migrations.RemoveIndex(
            model_name='meetingcontact',
            name='meeting_contact_by_contact',
        ),
        migrations.AddField(
            model_name='meetingcontact',
            name='meeting_author_id',
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name='meetingcontact',
            name='meeting_municipality_id',
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name='meetingcontact',
            name='meeting_occurred_at',
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name='meetingcontact',
            name='meeting_visibility',
            field=models.CharField(blank=True, editable=False, max_length=20),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='meeting',
            trigger=pgtrigger.compiler.Trigger(name='meeting_copies_to_links', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD."author_id" IS DISTINCT FROM (NEW."author_id") OR OLD."municipality_id" IS DISTINCT FROM (NEW."municipality_id") OR OLD."occurred_at" IS DISTINCT FROM (NEW."occurred_at") OR OLD."visibility" IS DISTINCT FROM (NEW."visibility"))', func='UPDATE advocacy_meetingcontact SET meeting_occurred_at = NEW.occurred_at, meeting_visibility = NEW.visibility, meeting_municipality_id = NEW.municipality_id, meeting_author_id = NEW.author_id WHERE meeting_id = NEW.id; RETURN NULL;', hash='da853d18cf8dfb15fc42dc9d6ce2e09e22146743', operation='UPDATE OF "occurred_at", "visibility", "municipality_id", "author_id"', pgid='pgtrigger_meeting_copies_to_links_ddd0a', table='advocacy_meeting', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='meetingcontact',
            trigger=pgtrigger.compiler.Trigger(name='meeting_contact_copies', sql=pgtrigger.compiler.UpsertTriggerSql(func='SELECT occurred_at, visibility, municipality_id, author_id INTO NEW.meeting_occurred_at, NEW.meeting_visibility, NEW.meeting_municipality_id, NEW.meeting_author_id FROM advocacy_meeting WHERE id = NEW.meeting_id FOR SHARE; RETURN NEW;', hash='8e2aeb35bc25d72c33d5bd0286c3e08e06195f42', operation='INSERT OR UPDATE OF "meeting_id"', pgid='pgtrigger_meeting_contact_copies_e7073', table='advocacy_meetingcontact', when='BEFORE')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='meetingcontact',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD."contact_id" IS DISTINCT FROM (NEW."contact_id") OR OLD."id" IS DISTINCT FROM (NEW."id") OR OLD."meeting_id" IS DISTINCT FROM (NEW."meeting_id"))', func='INSERT INTO "advocacy_meetingcontactevent" ("contact_id", "id", "meeting_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id") VALUES (NEW."contact_id", NEW."id", NEW."meeting_id", _pgh_attach_context(), NOW(), \'update\', NEW."id"); RETURN NULL;', hash='cd72e854a78b66cf0810d8f9bec1ac60181b49ea', operation='UPDATE', pgid='pgtrigger_update_update_5a64a', table='advocacy_meetingcontact', when='AFTER')),
        ),
        # Existing rows get their meetings' values; the new condition of update_update
        # (above) keeps this out of the links' history.
        migrations.RunSQL(
            sql=(
                "UPDATE advocacy_meetingcontact mc SET "
                "meeting_occurred_at = m.occurred_at, meeting_visibility = m.visibility, "
                "meeting_municipality_id = m.municipality_id, meeting_author_id = m.author_id "
                "FROM advocacy_meeting m WHERE m.id = mc.meeting_id"
            ),
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AddIndex(
            model_name='meetingcontact',
            index=models.Index(fields=['contact', 'meeting'], include=('meeting_occurred_at', 'meeting_visibility', 'meeting_municipality_id', 'meeting_author_id'), name='meeting_contact_visible'),
        ),
    ]
