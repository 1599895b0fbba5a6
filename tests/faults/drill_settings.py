"""The project's settings with the hardening tests' URLconf, which adds a small DRF read endpoint
(tests/security_urls.py) that the fault drills use as "an API read" next to the admin pages.
Static files are not collected for the drills (no manifest needed): pages render the same."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "tests.security_urls"
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
