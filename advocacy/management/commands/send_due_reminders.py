"""Run one reminder sweep by hand: deliver what is due now, then relay the outbox."""

from django.core.management.base import BaseCommand

from advocacy import delivery, mail, reminders


class Command(BaseCommand):
    help = "Send the reminders that are due now (one sweep) and the e-mail waiting in the outbox."

    def add_arguments(self, parser):
        parser.add_argument(
            "--plan",
            action="store_true",
            help="Plan weekly digests and stale-contact alerts first.",
        )
        parser.add_argument(
            "--no-relay", action="store_true", help="Leave queued e-mail in the outbox."
        )

    def handle(self, *args, plan: bool, no_relay: bool, **options):
        if plan:
            changed = reminders.plan_periodic_reminders()
            self.stdout.write(f"Planned: {changed} reminders created or changed")
        report = delivery.sweep()
        self.stdout.write(f"Reminders: {report}")
        if not no_relay:
            self.stdout.write(f"Outbox: {mail.relay_outbox()}")
