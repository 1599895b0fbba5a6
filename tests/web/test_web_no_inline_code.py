"""Pages carry no inline script, event handler or style: a Content-Security-Policy without
'unsafe-inline' must not break them."""

from __future__ import annotations

from html.parser import HTMLParser

from tests.web.test_web_pages import page_urls, world  # noqa: F401 - world is a fixture


class InlineCode(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.found += [f"<{tag} {name}=...>" for name in attributes if name.startswith("on")]
        if "style" in attributes:
            self.found.append(f'<{tag} style="{attributes["style"]}">')
        if tag == "style":
            self.found.append("<style> block")
        if tag == "script" and not attributes.get("src"):
            self.found.append("inline <script>")


def test_pages_have_no_inline_script_or_style(world, trustee, signed_in):  # noqa: F811
    client = signed_in(trustee)
    for url in page_urls(world):
        parser = InlineCode()
        parser.feed(client.get(url).content.decode())
        assert parser.found == [], url
