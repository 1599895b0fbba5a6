"""`manage.py seed_demo`: the demo data set of the six municipalities, once."""

from __future__ import annotations

import datetime
import time

from django.core.management.base import BaseCommand, CommandError

from advocacy.demo import DemoSeeder, already_seeded, holds_other_data
from advocacy.demo_data import DEMO_LOGINS, DEMO_PASSWORD


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--today: expected YYYY-MM-DD, got {value!r}") from error


def _positive(value: str) -> int:
    number = int(value)
    if number < 0:
        raise CommandError("counts cannot be negative")
    return number


# The data tiers of the benchmark (issue 8): contacts, organisations, meetings (about three
# participant rows each), reminders in all (about; most of them sent or cancelled long ago) and
# reminders due at once. S runs anywhere in a minute; M in minutes; L (about 15M participant
# rows) wants a few GB of disk. A tier loads in bulk (see advocacy.demo.LoadWindow).
TIERS = {
    "S": {
        "contacts": 5_000,
        "organisations": 1_000,
        "meetings": 10_000,
        "reminders": 2_000,
        "due_reminders": 1_000,
    },
    "M": {
        "contacts": 100_000,
        "organisations": 20_000,
        "meetings": 500_000,
        "reminders": 100_000,
        "due_reminders": 10_000,
    },
    "L": {
        "contacts": 1_000_000,
        "organisations": 100_000,
        "meetings": 5_000_000,
        "reminders": 1_000_000,
        "due_reminders": 50_000,
    },
}


class Command(BaseCommand):
    help = (
        "Fill a fresh database with the fictional demo data of the six municipalities. "
        "Does nothing when the demo users already exist."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
        parser.add_argument(
            "--today",
            type=_date,
            default=None,
            help="the day the year of meetings ends on, YYYY-MM-DD (default: today)",
        )
        parser.add_argument("--contacts", type=_positive, default=300)
        parser.add_argument("--meetings", type=_positive, default=1500)
        parser.add_argument(
            "--organisations",
            type=_positive,
            default=None,
            help="default: the named public bodies plus one invented organisation per 20 contacts",
        )

        parser.add_argument(
            "--tier",
            choices=sorted(TIERS),
            default=None,
            help="benchmark data size (sets --contacts, --organisations, --meetings, "
            "--reminders, --due-reminders; implies --bulk): "
            + "; ".join(
                f"{name}: " + ", ".join(f"{count:,} {what}" for what, count in sizes.items())
                for name, sizes in TIERS.items()
            ),
        )
        parser.add_argument(
            "--reminders",
            type=_positive,
            default=None,
            help="about this many reminders in all (default: every follow-up's own)",
        )
        parser.add_argument(
            "--bulk",
            action="store_true",
            help="load with the secondary indexes, foreign keys and history triggers of the big "
            "tables off, and rebuild them after (implied by --tier)",
        )
        parser.add_argument(
            "--due-reminders",
            type=_positive,
            default=0,
            help="pending e-mail reminders due now, for the reminder benchmark (default 0)",
        )

    def handle(self, *args, **options):
        if options.get("tier"):
            options.update(TIERS[options["tier"]], bulk=True)
        if already_seeded():
            self.stdout.write("Demo data is already there (the demo users exist); nothing done.")
            return
        if holds_other_data():
            self.stdout.write(
                "The database already holds organisations, contacts or meetings; the demo data "
                "only goes into a fresh database. Nothing done."
            )
            return
        if options["meetings"] and not options["contacts"]:
            raise CommandError("Meetings need people to meet: give --contacts 1 or more.")
        if options["organisations"] == 0:
            raise CommandError("--organisations must be 1 or more.")
        today = options["today"]
        if isinstance(today, str):  # call_command() passes keyword options unparsed
            today = _date(today)
        started = time.monotonic()
        counts = DemoSeeder(
            seed=options["seed"],
            today=today,
            contacts=options["contacts"],
            meetings=options["meetings"],
            organisations=options["organisations"],
            reminders=options.get("reminders"),
            due_reminders=options["due_reminders"],
            bulk=options.get("bulk", False),
            log=lambda message: self.stdout.write(message) if options["verbosity"] > 1 else None,
        ).run()
        self.stdout.write(
            self.style.SUCCESS(f"Demo data seeded in {time.monotonic() - started:.1f} s:")
        )
        for label, count in counts.items():
            self.stdout.write(f"  {label}: {count}")
        logins = ", ".join(login[0] for login in DEMO_LOGINS)
        self.stdout.write(f"Sign in as {logins} with the password {DEMO_PASSWORD}.")
