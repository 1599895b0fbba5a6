"""Plan the reminders before the transparency register's disclosure windows (idempotent)."""

from django.core.management.base import BaseCommand

from advocacy.reminders import plan_transparency_reminders


class Command(BaseCommand):
    help = "Plan reminders to coordinators before the transparency register disclosure windows."

    def handle(self, *args, **options):
        planned = plan_transparency_reminders()
        self.stdout.write(f"{planned} reminder(s) planned or changed.")
