"""Optimistic concurrency for rows people edit: a version number compared under a row lock.

Models with a `version` field (Contact, Meeting, Goal, FollowUp) are changed only by services
that lock the row (`select_for_update`), compare the version the client last read with the
stored one, and increment it. A write based on an older version is refused with
`VersionConflict` and changes nothing: two people editing the same record cannot silently
overwrite each other (a "lost update").
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext as _


class VersionConflict(Exception):
    """The row changed since the client read it; nothing was written."""

    def __init__(self, *, expected: int, current: int):
        self.expected = expected
        self.current = current
        super().__init__(
            _("This record was changed by someone else (version %(current)s, not %(expected)s).")
            % {"current": current, "expected": expected}
        )


def check_version(locked: models.Model, expected: int | None) -> None:
    """Refuse the write if the client's version is not the locked row's current one.

    `expected=None` means the caller (a task, the admin, a test) does not take part in the
    check; the API always passes the client's version.
    """
    if expected is not None and expected != locked.version:
        raise VersionConflict(expected=expected, current=locked.version)


def bump_version(locked: models.Model) -> None:
    """Mark a locked row as changed; call before its save()."""
    locked.version += 1
