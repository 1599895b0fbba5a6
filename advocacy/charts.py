"""Charts drawn on the server as SVG: no script, no CDN, and they print as they look.

Only presentation attributes are used (no style attributes), which a strict Content Security
Policy allows. Every label is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

# Distinguishable in colour and in greyscale print, with enough contrast on white.
PALETTE = ("#0b4f8a", "#c05a00", "#1d6b2f", "#7a1f8a", "#a4001d", "#4a5560", "#00707a", "#8a6d00")


def _svg(width: int, height: int, title: str, body: list[str]) -> SafeString:
    # format_html_join escapes any piece that is not already safe (built by format_html).
    return format_html(
        '<svg class="chart" role="img" viewBox="0 0 {} {}" '
        'xmlns="http://www.w3.org/2000/svg" aria-label="{}"><title>{}</title>{}</svg>',
        width,
        height,
        title,
        title,
        format_html_join("", "{}", ((piece,) for piece in body)),
    )


def stacked_bars(
    *, title: str, labels: Sequence[str], series: dict[str, Sequence[int]]
) -> SafeString:
    """Vertical bars per label (months), stacked by series (municipalities), with a legend."""
    width, height, left, bottom, top = 640, 300, 36, 40, 12
    legend_rows = (len(series) + 2) // 3
    height += legend_rows * 20
    plot_h = 300 - bottom - top
    totals = [sum(values[i] for values in series.values()) for i in range(len(labels))]
    # Whole-number gridlines: 1, 2, 5 ... apart, at most five of them.
    tick = max(1, math.ceil(max(totals, default=0) / 4))
    peak = tick * max(1, math.ceil(max(totals, default=0) / tick))
    slot = (width - left - 8) / max(len(labels), 1)
    bar = round(max(min(slot * 0.6, 48), 4), 1)
    body = []
    for value in range(0, peak + 1, tick):
        y = round(top + plot_h - plot_h * value / peak, 1)
        body.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#d0d6dc"/>'
                '<text x="{}" y="{}" font-size="11" text-anchor="end" fill="#4a5560">{}</text>',
                left,
                width - 4,
                y,
                y,
                left - 4,
                y + 4,
                value,
            )
        )
    for i, label in enumerate(labels):
        x = round(left + slot * i + (slot - bar) / 2, 1)
        y = top + plot_h
        for n, (name, values) in enumerate(series.items()):
            if not values[i]:
                continue
            h = round(plot_h * values[i] / peak, 1)
            y = round(y - h, 1)
            body.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}">'
                    "<title>{}: {} {}</title></rect>",
                    x,
                    y,
                    bar,
                    h,
                    PALETTE[n % len(PALETTE)],
                    name,
                    label,
                    values[i],
                )
            )
        body.append(
            format_html(
                '<text x="{}" y="{}" font-size="11" text-anchor="middle" fill="#1b1f24">{}</text>',
                round(x + bar / 2, 1),
                top + plot_h + 16,
                label,
            )
        )
    for n, name in enumerate(series):
        lx, ly = left + (n % 3) * 200, 300 + (n // 3) * 20
        body.append(
            format_html(
                '<rect x="{}" y="{}" width="12" height="12" fill="{}"/>'
                '<text x="{}" y="{}" font-size="12" fill="#1b1f24">{}</text>',
                lx,
                ly - 10,
                PALETTE[n % len(PALETTE)],
                lx + 16,
                ly,
                name,
            )
        )
    if not labels or not any(totals):
        body.append(
            format_html(
                '<text x="{}" y="{}" font-size="13" text-anchor="middle" fill="#4a5560">{}</text>',
                width // 2,
                top + plot_h // 2,
                _("No meetings in the period."),
            )
        )
    return _svg(width, height, title, body)


def horizontal_bars(*, title: str, items: Sequence[tuple[str, int]]) -> SafeString:
    """One bar per item (goal statuses), value printed at the end of the bar."""
    row, label_w, width = 26, 150, 640
    height = max(len(items), 1) * row + 8
    peak = max((v for _label, v in items), default=0) or 1
    body = []
    for i, (label, value) in enumerate(items):
        y = 4 + i * row
        w = round((width - label_w - 48) * value / peak, 1)
        body.append(
            format_html(
                '<text x="{}" y="{}" font-size="12" text-anchor="end" fill="#1b1f24">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="18" fill="{}"/>'
                '<text x="{}" y="{}" font-size="12" fill="#1b1f24">{}</text>',
                label_w - 6,
                y + 13,
                label,
                label_w,
                y,
                w,
                PALETTE[i % len(PALETTE)],
                round(label_w + w + 4, 1),
                y + 13,
                value,
            )
        )
    return _svg(width, height, title, body)
