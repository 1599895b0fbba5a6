"""Plan the reminders before the transparency register's disclosure windows (idempotent)."""

from django.core.management.base import BaseCommand

from advocacy.transparency import plan_transparency_reminders


class Command(BaseCommand):
    help = "Plan reminders to coordinators before the transparency register disclosure windows."

    def handle(self, *args, **options):
        planned = plan_transparency_reminders()
        self.stdout.write(f"{planned} new reminder(s) planned.")
