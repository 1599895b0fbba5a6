"""The Finnish catalog is complete and compiled: Finnish is the default language of the UI."""

from __future__ import annotations

from pathlib import Path

import polib
from django.conf import settings
from django.utils import translation

LOCALE = Path(settings.BASE_DIR) / "locale"
FINNISH_PO = LOCALE / "fi" / "LC_MESSAGES" / "django.po"
FINNISH_MO = LOCALE / "fi" / "LC_MESSAGES" / "django.mo"


def entries():
    return [e for e in polib.pofile(str(FINNISH_PO)) if not e.obsolete]


def test_every_finnish_entry_is_translated_and_not_fuzzy():
    problems = []
    for entry in entries():
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.msgid!r}")
        if entry.msgid_plural:
            if not entry.msgstr_plural or not all(entry.msgstr_plural.values()):
                problems.append(f"untranslated plural: {entry.msgid!r}")
        elif not entry.msgstr.strip():
            problems.append(f"untranslated: {entry.msgid!r}")
    assert not problems, "\n".join(problems)


def test_catalog_header_is_not_fuzzy():
    # msgfmt skips a fuzzy header, and with it the plural rule.
    assert not polib.pofile(str(FINNISH_PO)).metadata_is_fuzzy


def test_compiled_catalog_matches_the_po_file():
    """The committed .mo is compiled from the current .po (run `manage.py compilemessages`)."""
    compiled = {
        (e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural) for e in polib.mofile(str(FINNISH_MO))
    }
    for entry in entries():
        key = (entry.msgctxt, entry.msgid)
        assert key in compiled, f"not compiled: {entry.msgid!r}"
        msgstr, plural = compiled[key]
        if entry.msgid_plural:
            assert {int(k): v for k, v in plural.items()} == {
                int(k): v for k, v in entry.msgstr_plural.items()
            }, entry.msgid
        else:
            assert msgstr == entry.msgstr, entry.msgid


def test_ui_speaks_finnish():
    with translation.override("fi"):
        assert translation.gettext("Log a meeting") == "Kirjaa tapaaminen"
        assert translation.ngettext("%(counter)s goal", "%(counter)s goals", 2) == (
            "%(counter)s tavoitetta"
        )
