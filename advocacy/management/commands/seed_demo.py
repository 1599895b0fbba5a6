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

    def handle(self, *args, **options):
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
            log=lambda message: self.stdout.write(message) if options["verbosity"] > 1 else None,
        ).run()
        self.stdout.write(
            self.style.SUCCESS(f"Demo data seeded in {time.monotonic() - started:.1f} s:")
        )
        for label, count in counts.items():
            self.stdout.write(f"  {label}: {count}")
        logins = ", ".join(login[0] for login in DEMO_LOGINS)
        self.stdout.write(f"Sign in as {logins} with the password {DEMO_PASSWORD}.")
