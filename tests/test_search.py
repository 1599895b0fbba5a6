"""Search that finds Finnish names and words and stays on its indexes (issue 8).

Speed itself is measured by `make bench`, never here; these tests check what is found and that
the planner can use the trigram and full-text indexes.
"""

import importlib

import pytest
from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from advocacy import tasks
from advocacy.models import WORD_PIECE, Meeting, MeetingSearchWord, Visibility
from crm.models import Contact, Organisation
from crm.search import SEARCH_TOP_N
from tests.factories import ContactFactory, MeetingFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def found(queryset):
    return set(queryset.values_list("pk", flat=True))


def words() -> set[str]:
    return set(MeetingSearchWord.objects.values_list("word", flat=True))


def test_a_name_without_accents_finds_the_accented_name():
    makela = ContactFactory(first_name="Aino", last_name="Mäkelä")
    ContactFactory(first_name="Aino", last_name="Makkonen")

    assert found(Contact.objects.search("Makela")) == {makela.pk}
    assert found(Contact.objects.search("mäkelä")) == {makela.pk}
    assert found(Contact.objects.search("MAKELA aino")) == {makela.pk}


def test_case_and_accents_do_not_matter_either_way():
    poyhonen = ContactFactory(first_name="Åsa", last_name="Pöyhönen")

    assert found(Contact.objects.search("pöyhönen")) == {poyhonen.pk}
    assert found(Contact.objects.search("POYHONEN")) == {poyhonen.pk}
    assert found(Contact.objects.search("asa")) == {poyhonen.pk}


def test_contacts_are_found_by_part_of_a_name_title_or_organisation():
    agency = OrganisationFactory(name="Väylävirasto")
    person = ContactFactory(
        first_name="Matti", last_name="Väisänen", title="Ylijohtaja", organisation=agency
    )
    ContactFactory(first_name="Maija", last_name="Virtanen")

    assert found(Contact.objects.search("vaisa")) == {person.pk}
    assert found(Contact.objects.search("ylijohtaja")) == {person.pk}
    assert found(Contact.objects.search("vaylavirasto matti")) == {person.pk}
    assert found(Contact.objects.search("vaylavirasto maija")) == set()


def test_a_like_wildcard_in_the_query_is_a_plain_character():
    ContactFactory(last_name="Korhonen")

    assert found(Contact.objects.search("%")) == set()
    assert found(Contact.objects.search("K_rhonen")) == set()


def test_organisations_are_found_without_accents():
    council = OrganisationFactory(name="Pohjois-Savon liitto")
    OrganisationFactory(name="Etelä-Savon liitto")

    assert found(Organisation.objects.search("pohjois-savon")) == {council.pk}
    assert found(Organisation.objects.search("liitto")) == {
        council.pk,
        *Organisation.objects.filter(name="Etelä-Savon liitto").values_list("pk", flat=True),
    }


def test_a_word_finds_the_finnish_compounds_it_begins():
    author = UserFactory()
    board = MeetingFactory(author=author, title="Lausunto", notes="Ympäristölautakunnan kokous")
    MeetingFactory(author=author, title="Muu asia", notes="Sivistyslautakunta")

    assert found(Meeting.objects.search("ympäristö")) == {board.pk}
    assert found(Meeting.objects.search("ymparisto")) == {board.pk}


def test_an_inflected_form_the_stemmer_misses_is_found_by_similarity():
    author = UserFactory()
    meeting = MeetingFactory(
        author=author, title="Hankkeen esittely", notes="Sovimme asiasta kokouksessa."
    )
    MeetingFactory(author=author, title="Puhelu", notes="Rahoituksesta keskusteltiin.")

    assert found(Meeting.objects.search("kokous")) == {meeting.pk}


def test_meetings_are_found_by_participant_and_organisation_names():
    author = UserFactory()
    agency = OrganisationFactory(name="Väylävirasto")
    person = ContactFactory(first_name="Ähtäri", last_name="Öljynen")
    with_person = MeetingFactory(author=author, title="Puhelu", contacts=[person])
    with_agency = MeetingFactory(author=author, title="Tapaaminen")
    with_agency.organisations.add(agency)
    MeetingFactory(author=author, title="Muu asia")

    assert found(Meeting.objects.search("oljynen")) == {with_person.pk}
    assert found(Meeting.objects.search("vaylavirasto")) == {with_agency.pk}
    assert found(Meeting.objects.search("vaylavirasto puhelu")) == set()


def test_ranked_returns_only_the_top_matches_best_first():
    author = UserFactory()
    strong = MeetingFactory(
        author=author,
        title="Ympäristöasiat",
        notes="Ympäristö, ympäristölupa ja ympäristöohjelma.",
    )
    weak = MeetingFactory(author=author, title="Kokous", notes="Lopuksi ympäristöstä.")
    MeetingFactory(author=author, title="Muu", notes="Ei mitään.")

    assert [m.pk for m in Meeting.objects.ranked("ympäristö", limit=5)] == [strong.pk, weak.pk]
    assert len(Meeting.objects.ranked("ympäristö", limit=1)) == 1


def explain(queryset) -> str:
    return explain_sql(*queryset.query.sql_with_params())


def explain_sql(sql: str, params=None) -> str:
    """The plan of `sql` (with its values bound, when `params` is None)."""
    with connection.cursor() as cursor:
        # On a handful of rows a scan of the whole table is cheapest: take it (and plain index
        # scans, which a GIN index does not offer) off the table so the plan shows whether the
        # search expressions can use their indexes at all.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_name_search_uses_the_trigram_indexes():
    ContactFactory.create_batch(3)

    # The search's own queries (crm.ranked_search.top_matches): the names, then the rest.
    with CaptureQueriesContext(connection) as queries:
        Contact.objects.search("makela")
    plan = "\n".join(explain_sql(query["sql"]) for query in queries.captured_queries)

    assert "contact_name_trgm" in plan, plan
    assert "contact_detail_trgm" in plan
    assert "organisation_name_trgm" in plan


def meeting_search_plans(text: str) -> str:
    """The plans of the queries a meeting search runs: its own (the vocabulary, the matching
    ids) and the list of the meetings found."""
    with CaptureQueriesContext(connection) as queries:
        meetings = Meeting.objects.search(text)
    plans = [explain_sql(query["sql"]) for query in queries.captured_queries]
    try:
        plans.append(explain(meetings))
    except EmptyResultSet:  # nothing found: listing them runs no query
        pass
    return "\n".join(plans)


def test_meeting_search_uses_the_trigram_and_full_text_indexes():
    MeetingFactory.create_batch(3)
    # 'elinympäristön' holds the word inside it: the whole text is looked through.
    MeetingFactory(notes="Ympäristölautakunnan kokous elinympäristön asioista.")

    plan = meeting_search_plans("ympäristö")

    assert "meeting_search_trgm" in plan, plan
    assert "meeting_search_vector" in plan


def test_a_word_no_meeting_contains_is_not_looked_for_in_the_meetings_text():
    MeetingFactory.create_batch(3)

    # The vocabulary says no meeting contains it: the trigram index (whose candidates at tier
    # L are a hundred thousand meetings for a word of common trigrams) is left alone.
    plan = meeting_search_plans("ympäristö")

    assert "meeting_search_trgm" not in plan, plan
    assert "meeting_search_vector" in plan


def test_a_word_the_full_text_index_finds_everywhere_is_looked_for_in_the_place_alone():
    author = UserFactory()
    in_notes = MeetingFactory(author=author, title="Tapaaminen", notes="Alapää kertoi asiasta.")
    in_place = MeetingFactory(author=author, title="Tapaaminen", place="Alapään koulu")
    MeetingFactory(author=author, title="Muu", notes="Ei mitään.")

    plan = meeting_search_plans("alapää")

    # Every word holding it begins with it ('alapää', 'alapään'): the full-text index finds
    # them in the texts, and the place's own trigram index in the place.
    assert "meeting_place_trgm" in plan, plan
    assert "meeting_search_trgm" not in plan
    assert found(Meeting.objects.search("alapää")) == {in_notes.pk, in_place.pk}


def test_a_word_also_found_inside_another_is_looked_for_in_the_whole_text():
    author = UserFactory()
    inside = MeetingFactory(author=author, title="Tapaaminen", notes="Talapää ei ole sama.")
    begins = MeetingFactory(author=author, title="Tapaaminen", notes="Alapää kertoi asiasta.")

    plan = meeting_search_plans("alapää")

    # 'talapää' holds the word but does not begin with it: the full-text index misses it.
    assert "meeting_search_trgm" in plan, plan
    assert found(Meeting.objects.search("alapää")) == {inside.pk, begins.pk}


@pytest.mark.parametrize(
    ("notes", "query"),
    [
        # Typed without its accents: the Finnish prefix query 'makela:*' finds no 'mäkelä'.
        ("Mäkelä kertoi asiasta.", "makela"),
        # A stop word has no place in the full-text document.
        ("Todettiin, että asia etenee.", "että"),
        # Hyphenated: the prefix query of 'sote-alue' is 'sotealue:*'.
        ("Sote-alueen rahoitus.", "sote-alue"),
    ],
)
def test_a_word_the_full_text_index_may_miss_is_looked_for_in_the_whole_text(notes, query):
    meeting = MeetingFactory(title="Tapaaminen", notes=notes)
    MeetingFactory(title="Muu", notes="Ei mitään.")

    assert "meeting_search_trgm" in meeting_search_plans(query)
    assert found(Meeting.objects.search(query)) == {meeting.pk}


def test_the_vocabulary_keeps_the_words_of_new_and_changed_meetings():
    meeting = MeetingFactory(title="Tapaaminen", place="Tervo", notes="Ympäristö-asiat\nesillä")
    assert {"tapaaminen", "tervo", "ympäristö-asiat", "esillä"} <= words()

    Meeting.objects.filter(pk=meeting.pk).update(outcomes="Sovittiin  JATKOSTA")
    assert {"sovittiin", "jatkosta"} <= words()
    assert found(Meeting.objects.search("jatkosta")) == {meeting.pk}

    # The words of a deleted text stay until the vocabulary is rebuilt.
    meeting.delete()
    assert "jatkosta" in words()
    MeetingSearchWord.objects.rebuild()
    assert "jatkosta" not in words()


def test_a_long_token_is_kept_in_pieces_that_hold_any_word_of_up_to_100_characters():
    token = "".join(f"{n:03d}" for n in range(150))  # 450 characters, no space
    meeting = MeetingFactory(notes=f"Linkki: https://example.fi/{token}")
    assert all(len(word) <= WORD_PIECE for word in words())

    for start in (0, 99, 250, 349):
        word = token[start : start + 101 - 1]
        assert found(Meeting.objects.search(word)) == {meeting.pk}, start


def test_similar_words_are_a_fallback_for_a_word_found_nowhere_as_typed():
    author = UserFactory()
    inflected = MeetingFactory(author=author, title="Esittely", notes="Sovimme kokouksessa.")
    literal = MeetingFactory(author=author, title="Hallituksen kokous")

    # The word itself is found: its similar inflected forms are not looked up.
    assert found(Meeting.objects.search("kokous")) == {literal.pk}
    assert found(Meeting.objects.search("kokouksessa")) == {inflected.pk}


def test_a_meeting_the_user_may_not_see_does_not_decide_the_fallback(trustee, other_trustee):
    inflected = MeetingFactory(author=trustee, title="Esittely", notes="Sovimme kokouksessa.")
    MeetingFactory(author=other_trustee, title="Salainen kokous", visibility=Visibility.RESTRICTED)

    # The restricted meeting holds the word as typed, but the trustee searches only what she
    # may see, where the word is found nowhere: the fallback finds the inflected form.
    assert found(Meeting.objects.visible_to(trustee).search("kokous")) == {inflected.pk}


def test_a_word_found_only_inside_a_compound_still_counts_as_found_as_typed():
    author = UserFactory()
    inside = MeetingFactory(author=author, title="Esittely", notes="Hallituskokous pidettiin.")
    MeetingFactory(author=author, title="Muu", notes="Sovimme kokouksessa.")

    # Not a word beginning (the full-text index misses it) but in the text (the trigram index):
    # found as typed, so the similar inflected form is not looked up.
    assert found(Meeting.objects.search("kokous")) == {inside.pk}


def test_a_participant_name_counts_for_the_best_matching_contacts_only():
    namesakes = Contact.objects.bulk_create(
        Contact(first_name=f"Etu{n:03}", last_name="Hänninen") for n in range(SEARCH_TOP_N + 1)
    )
    author = UserFactory()
    first = MeetingFactory(author=author, title="Esittely", notes="")
    first.contact_links.create(contact=namesakes[0])
    beyond = MeetingFactory(author=author, title="Esittely", notes="")
    beyond.contact_links.create(contact=namesakes[-1])

    # At most SEARCH_TOP_N contacts, in name order: the 201st namesake's meeting is not listed
    # (a common surname would otherwise gather every meeting of thousands of people).
    assert found(Meeting.objects.search("hänninen")) == {first.pk}
    assert found(Meeting.objects.search("etu200")) == {beyond.pk}


def test_the_weekly_task_rebuilds_the_vocabulary():
    kept = MeetingFactory(notes="Pysyvä sana")
    MeetingFactory(notes="Poistuva sana").delete()
    MeetingSearchWord.objects.rebuild()  # twice in one transaction: the task's own follows
    MeetingFactory(notes="Toinen poistuva").delete()

    tasks.rebuild_meeting_words()

    assert {"pysyvä", "sana"} <= words()
    assert not {"poistuva", "toinen"} & words()
    assert found(Meeting.objects.search("pysyvä")) == {kept.pk}
    schedule = settings.CELERY_BEAT_SCHEDULE["rebuild-meeting-words"]
    assert schedule["task"] == tasks.rebuild_meeting_words.name


def test_forgetting_a_persons_words_keeps_the_words_other_meetings_still_hold():
    scrubbed = MeetingFactory(notes="Kärkkäinen, kari@example.fi, soitti")
    namesake = MeetingFactory(notes="Toinen Kärkkäinen tuli")
    Meeting.objects.filter(pk=scrubbed.pk).update(notes="[***], [***], soitti")

    MeetingSearchWord.objects.forget([r"k[aä]rkk[aä]i", r"kari@example\.fi"])

    assert "kärkkäinen" in words()  # the namesake's meeting still holds it
    assert not {"kärkkäinen,", "kari@example.fi,"} & words()
    assert found(Meeting.objects.search("kärkkäinen")) == {namesake.pk}


def test_the_planner_keeps_enough_of_the_meetings_words_to_estimate_a_rare_one():
    """advocacy 0016: with PostgreSQL's default statistics a rare word's newest meetings were
    looked for by walking the time index (tier L: 590 ms, for 0.5 ms by the full-text index)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstattarget FROM pg_attribute "
            "WHERE attrelid = 'advocacy_meeting'::regclass AND attname = 'search_vector'"
        )
        assert cursor.fetchone()[0] >= 1000


# --- kuusikko_unaccent (crm migrations 0006 and 0009) ----------------------------------------

UNACCENT_MIGRATION = importlib.import_module("crm.migrations.0009_kuusikko_unaccent_inlined")


def unaccented(function: str, texts: list[str | None]) -> list[str | None]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(t) FROM unnest(%s::text[]) AS t", [texts])  # noqa: S608
        return [row[0] for row in cursor.fetchall()]


def test_kuusikko_unaccent_gives_what_unaccent_gives():
    texts = ["Mäkelä", "PÖYHÖNEN", "Åström", "Sæther", "Straße", "Łukasz", "", None, "% _"]

    assert unaccented("kuusikko_unaccent", texts) == unaccented("public.unaccent", texts)
    assert unaccented("kuusikko_unaccent", ["Mäkelä", "Pöyhönen"]) == ["Makela", "Poyhonen"]


def test_kuusikko_unaccent_is_an_inlined_c_call_where_the_role_could_create_one():
    with connection.cursor() as cursor:
        # The role that ran the tests' migrations (a superuser here and in CI).
        superuser = UNACCENT_MIGRATION.may_create_c_functions(cursor)
        cursor.execute("EXPLAIN VERBOSE SELECT kuusikko_unaccent(name) FROM crm_municipality")
        plan = "\n".join(row[0] for row in cursor.fetchall())

    if superuser:
        # Inlined: the plan calls the C function itself, no SQL function per row.
        assert "kuusikko_unaccent_dict('unaccent'::regdictionary" in plan, plan
    else:
        assert "kuusikko_unaccent(" in plan and "kuusikko_unaccent_dict" not in plan, plan


class Editor:
    """What the migration's function reads of a schema editor."""

    def __init__(self, connection) -> None:
        self.connection = connection


def test_without_a_superuser_the_migration_keeps_the_plain_wrapper(capsys):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE ROLE kuusikko_test_plain NOLOGIN")
        cursor.execute("GRANT USAGE ON SCHEMA public TO kuusikko_test_plain")
        cursor.execute("SET LOCAL ROLE kuusikko_test_plain")
        assert not UNACCENT_MIGRATION.may_create_c_functions(cursor)

        UNACCENT_MIGRATION.inline(None, Editor(connection))  # no error: it changes nothing

        cursor.execute("RESET ROLE")
        cursor.execute("SELECT pg_get_functiondef('public.kuusikko_unaccent(text)'::regprocedure)")
        definition = cursor.fetchone()[0]
        transaction.set_rollback(True)
    assert "kuusikko_unaccent_dict" in definition  # as the superuser's migration left it
    assert "needs a superuser" in capsys.readouterr().out
