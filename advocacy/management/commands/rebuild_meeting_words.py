"""Rebuild the meetings' search vocabulary (advocacy.models.MeetingSearchWord) from the meetings."""

import time

from django.core.management.base import BaseCommand
from django.db import transaction

from advocacy.models import MeetingSearchWord


class Command(BaseCommand):
    help = (
        "Rebuild the meetings' search vocabulary from their texts as they are now: lets go of "
        "the words of deleted, changed or anonymised texts (the trigger only adds words). "
        "Searches and new meetings go on meanwhile; minutes at 5 million meetings."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        with transaction.atomic():
            MeetingSearchWord.objects.rebuild()
        count = MeetingSearchWord.objects.count()
        self.stdout.write(f"{count} words in {time.monotonic() - started:.1f} s")
