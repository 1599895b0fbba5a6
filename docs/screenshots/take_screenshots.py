"""Take the README's screenshots of the main screens, phone and desktop, from the demo data.

Run against a server with the seeded demo data (`make run`, or `manage.py seed_demo` and
`manage.py runserver`), with Debian's chromium:

    .venv/bin/python docs/screenshots/take_screenshots.py [http://127.0.0.1:8000]
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
PASSWORD = "kuusikko-demo-2026"  # noqa: S105 - the public password of the demo users
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
VIEWPORTS = {"phone": {"width": 360, "height": 800}, "desktop": {"width": 1280, "height": 900}}


def sign_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/")


def first_link(page, selector: str) -> str:
    return page.locator(selector).first.get_attribute("href")


def main(base_url: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        for device, viewport in VIEWPORTS.items():
            context = browser.new_context(viewport=viewport, locale="fi-FI", base_url=base_url)
            page = context.new_page()
            page.goto("/accounts/login/")
            page.screenshot(path=HERE / f"{device}-sign-in.png")

            sign_in(page, "luottamushenkilo")
            page.screenshot(path=HERE / f"{device}-dashboard.png", full_page=device == "desktop")

            page.goto("/meetings/new/")
            page.fill("#id_title", "Maakuntajohtajan tapaaminen")
            page.locator('[data-formset="follow_ups"] [data-formset-add]').click()
            page.fill("#id_follow_ups-0-description", "Lähetä muistio rahoituksesta")
            page.screenshot(path=HERE / f"{device}-log-meeting.png", full_page=True)

            # A contact with meetings: the first participant of my latest meeting.
            page.goto("/")
            page.goto(first_link(page, "#mine-heading + ul .meeting-title"))
            page.goto(first_link(page, '.details a[href^="/contacts/"]'))
            if device == "phone":
                page.locator("#timeline-heading").scroll_into_view_if_needed()
            page.screenshot(path=HERE / f"{device}-contact.png", full_page=device == "desktop")

            page.goto("/topics/")
            page.goto(first_link(page, ".cards h2 a"))
            goal = page.locator(".goal-item a").first.get_attribute("href")
            page.goto(goal)
            page.screenshot(path=HERE / f"{device}-goal.png", full_page=device == "desktop")
            context.close()

        context = browser.new_context(
            viewport=VIEWPORTS["desktop"], locale="fi-FI", base_url=base_url
        )
        page = context.new_page()
        sign_in(page, "koordinaattori")
        page.locator("#all-goals-heading").scroll_into_view_if_needed()
        page.screenshot(path=HERE / "desktop-coordinator-dashboard.png")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
