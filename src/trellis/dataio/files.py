"""Reading and writing tables: CSV and XLSX files, one header row then one record a row.

Reading streams the file (CSV row by row, XLSX through openpyxl's read-only mode), so a
large file is never held in memory as a whole. tablib[xlsx] is the declared dependency
(our standards name it); its XLSX engine, openpyxl, is used directly here because
tablib loads a whole sheet into memory before it hands back the first row.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import IO, Any

from trellis.core.errors import InvalidInput

FORMATS = ("csv", "xlsx")
# Cells a spreadsheet would run as a formula (CSV/formula injection, OWASP): they are
# written with a leading apostrophe, which makes them text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SNIFF_BYTES = 16 * 1024


def file_error(message: str) -> InvalidInput:
    return InvalidInput.field("file", message)


def format_of(name: str) -> str:
    """ "csv" or "xlsx" from a file name; InvalidInput naming `file` otherwise."""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in FORMATS:
        raise file_error(f"{name or 'the file'}: give a .csv or .xlsx file")
    return suffix


def _text(value: Any) -> str:
    """A spreadsheet cell as the text a person would have typed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        # Phone numbers and ids typed into a spreadsheet come back as floats.
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ") if value.time() != dt.time() else value.date().isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


def _csv_rows(stream: IO[bytes]) -> Iterator[list[str]]:
    head = stream.read(SNIFF_BYTES)
    if isinstance(head, str):
        raise TypeError("open the file in binary mode")
    if head.startswith(b"PK\x03\x04"):
        raise file_error("this looks like an XLSX workbook, not CSV: name it .xlsx")
    first_line = head.decode("utf-8-sig", errors="ignore").split("\n", 1)[0]
    try:
        dialect: Any = csv.Sniffer().sniff(first_line or ",", delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        yield from csv.reader(text, dialect)
    except UnicodeDecodeError:
        raise file_error("the file is not UTF-8 text; save it as CSV UTF-8") from None
    except csv.Error as exc:
        raise file_error(f"the file is not readable as CSV ({exc})") from None
    finally:
        # Leave the caller's stream open (closing the wrapper would close it too).
        with contextlib.suppress(ValueError):
            text.detach()


def _xlsx_rows(stream: IO[bytes]) -> Iterator[list[str]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise file_error("the file is not an XLSX workbook") from None
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            return
        for values in sheet.iter_rows(values_only=True):
            yield [_text(value) for value in values]
    finally:
        book.close()


def read_table(stream: IO[bytes], fmt: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header row and an iterator of (row number, cells) for the rows below it.

    Row numbers are those a spreadsheet shows: the header is row 1, the first record 2."""
    rows = _csv_rows(stream) if fmt == "csv" else _xlsx_rows(stream)
    headers = next(rows, None)
    if headers is None or not any(cell.strip() for cell in headers):
        raise file_error("the file is empty: the first row must name the columns")
    headers = [cell.strip() for cell in headers]

    return headers, enumerate(rows, start=2)


# Writing.


def safe_cell(value: Any) -> str:
    """A value as export text; text a spreadsheet would run as a formula gets a leading '."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    text = str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


def unescape_cell(text: str) -> str:
    """The inverse of `safe_cell` for an imported cell, so exports can be imported back."""
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\r":
        return text[1:]
    return text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(headers: list[str], rows: Iterable[list[Any]]) -> Iterator[str]:
    """The CSV text of a table, one line at a time (for streaming responses)."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([safe_cell(h) for h in headers])
    for row in rows:
        yield writer.writerow([safe_cell(value) for value in row])


def write_xlsx(headers: list[str], rows: Iterable[list[Any]], target: IO[bytes]) -> None:
    """An XLSX workbook of one sheet; openpyxl's write-only mode keeps memory flat."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Export")
    sheet.append([safe_cell(h) for h in headers])
    for row in rows:
        sheet.append([safe_cell(value) for value in row])
    book.save(target)
