"""Where the web UI shows each thing: the paths reminders and notifications link to.

Kept in one place so that they follow the web UI's URLs when those change. Notifications store
the path; e-mail needs an absolute URL, built from `settings.SITE_URL`.
"""

from __future__ import annotations

from django.conf import settings

FOLLOW_UP_PATH = "/follow-ups/{pk}/"
FOLLOW_UPS_PATH = "/follow-ups/"
CONTACT_PATH = "/contacts/{pk}/"
CONTACTS_PATH = "/contacts/"
MEETING_PATH = "/meetings/{pk}/"
NOTIFICATION_SETTINGS_PATH = "/notifications/settings/"


def follow_up_path(pk: int) -> str:
    return FOLLOW_UP_PATH.format(pk=pk)


def contact_path(pk: int) -> str:
    return CONTACT_PATH.format(pk=pk)


def meeting_path(pk: int) -> str:
    return MEETING_PATH.format(pk=pk)


def absolute_url(path: str) -> str:
    """`path` on the site, e.g. http://127.0.0.1:8000/follow-ups/7/."""
    return settings.SITE_URL.rstrip("/") + path
