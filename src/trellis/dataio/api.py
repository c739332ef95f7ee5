"""/api/v1/imports and /api/v1/exports/<entity>.<csv|xlsx>. Handlers stay thin: parse,
call one service or selector, return."""

from __future__ import annotations

import io
import json
import tempfile
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile

from trellis.api.common import ERRORS
from trellis.core.errors import InvalidInput
from trellis.customers.api import AccountFilters, ContactFilters
from trellis.dataio.files import csv_lines, write_xlsx
from trellis.dataio.selectors import export_rows
from trellis.dataio.services import import_file

router = Router(tags=["import and export"])

# The largest file an import through the API or the web accepts (the CLI has no limit).
MAX_IMPORT_BYTES = 20 * 1024 * 1024
# List parameters that are not filters of an export.
PAGING = {"limit", "cursor", "order", "count"}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class RowErrorOut(Schema):
    row: int
    field: str
    message: str


class ImportOut(Schema):
    entity: str
    created: int
    updated: int
    skipped: int
    rows: int
    errors: list[RowErrorOut]
    ignored_columns: list[str]
    dry_run: bool
    atomic: bool


def parse_mapping(raw: str | None) -> dict[str, str]:
    """The `mapping` form field: a JSON object {"column": "field"}."""
    if not raw:
        return {}
    try:
        mapping = json.loads(raw)
    except ValueError:
        mapping = None
    if not isinstance(mapping, dict) or not all(
        isinstance(k, str) and isinstance(v, str | None) for k, v in mapping.items()
    ):
        raise InvalidInput.field("mapping", 'must be a JSON object {"column": "field", ...}')
    return {key: value or "" for key, value in mapping.items()}


def check_upload(upload: Any) -> None:
    if upload is None:
        raise InvalidInput.field("file", "attach a .csv or .xlsx file")
    if upload.size is not None and upload.size > MAX_IMPORT_BYTES:
        limit = MAX_IMPORT_BYTES // (1024 * 1024)
        raise InvalidInput.field(
            "file", f"the file is larger than {limit} MB; split it or use `trellis import`"
        )


@router.post("/imports", response={200: ImportOut, **ERRORS})
def create_import(
    request: HttpRequest,
    entity: Form[str],
    file: UploadedFile | None = File(None),  # noqa: B008 - ninja's parameter marker
    dry_run: Form[bool] = False,
    atomic: Form[bool] = False,
    mapping: Form[str] = "",
) -> dict:
    """Import accounts, contacts, leads or opportunities from a CSV or XLSX file
    (multipart). Bad rows are listed in `errors` with their row number (the header is
    row 1); see `trellis import --help`."""
    check_upload(file)
    report = import_file(
        request.user,
        entity=entity,
        stream=file.file,
        filename=file.name or "",
        mapping=parse_mapping(mapping),
        dry_run=dry_run,
        atomic=atomic,
    )
    return report.as_dict()


def export_response(actor: Any, entity: str, fmt: str, filters: dict[str, Any]) -> HttpResponse:
    """A CSV (streamed) or XLSX download of the rows of `entity` the actor may see."""
    headers, rows = export_rows(actor, entity=entity, **filters)
    name = f"{entity}.{fmt}"
    if fmt == "csv":
        response: HttpResponse = StreamingHttpResponse(
            csv_lines(headers, rows), content_type="text/csv; charset=utf-8"
        )
    else:
        # XLSX is a zip written at the end: it is built in a spooled temporary file.
        with tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024) as target:
            write_xlsx(headers, rows, target)
            target.seek(0)
            body = io.BytesIO(target.read()).getvalue()
        response = HttpResponse(body, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _filters(filters: Any) -> dict[str, Any]:
    return {k: v for k, v in filters.model_dump().items() if k not in PAGING and v is not None}


@router.get("/exports/accounts.{fmt}", response={200: None, **ERRORS})
def export_accounts(
    request: HttpRequest, fmt: Literal["csv", "xlsx"], filters: Query[AccountFilters]
) -> HttpResponse:
    """The accounts the caller can see (with the list's filters) as CSV or XLSX; needs the
    export privilege. Cells that would start a formula are prefixed with '."""
    return export_response(request.user, "accounts", fmt, _filters(filters))


@router.get("/exports/contacts.{fmt}", response={200: None, **ERRORS})
def export_contacts(
    request: HttpRequest, fmt: Literal["csv", "xlsx"], filters: Query[ContactFilters]
) -> HttpResponse:
    """The contacts the caller can see (with the list's filters) as CSV or XLSX; needs the
    export privilege. Cells that would start a formula are prefixed with '."""
    return export_response(request.user, "contacts", fmt, _filters(filters))
