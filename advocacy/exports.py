"""Writing tables as CSV and XLSX: the one place that knows the files' shape.

CSV is UTF-8 with a byte-order mark and semicolons, which is what Excel in Finnish opens
correctly with a double click; programs read it as any CSV. Cells that a spreadsheet would run
as a formula are defused with a leading apostrophe (CSV injection).
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Sheet:
    title: str
    header: Sequence[str]
    rows: Iterable[Sequence[Any]]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([_safe(str(h)) for h in header])
    for row in rows:
        writer.writerow([_safe(_text(v)) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_xlsx(sheets: Sequence[Sheet]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook(write_only=False)
    workbook.remove(workbook.active)
    for sheet in sheets:
        # Excel allows 31 characters and no []:*?/\ in a sheet name.
        title = "".join(ch for ch in str(sheet.title) if ch not in "[]:*?/\\")[:31] or "Sheet"
        ws = workbook.create_sheet(title=title)
        ws.append([str(h) for h in sheet.header])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in sheet.rows:
            values = []
            for v in row:
                if isinstance(v, datetime.datetime):
                    v = timezone.localtime(v).replace(tzinfo=None)
                elif v is not None and not isinstance(v, int | float | datetime.date):
                    v = _safe(str(v))
                values.append(v)
            ws.append(values)
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, datetime.datetime):
                    cell.number_format = "d.m.yyyy h:mm"
                elif isinstance(cell.value, datetime.date):
                    cell.number_format = "d.m.yyyy"
        for column in ws.columns:
            width = max((len(str(c.value or "")) for c in column), default=8)
            ws.column_dimensions[column[0].column_letter].width = min(max(width + 2, 8), 60)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
