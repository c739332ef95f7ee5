"""/api/v1/imports and /api/v1/exports/<entity>.<csv|xlsx>. Handlers stay thin: parse,
call one service or selector, return.

`POST /imports` makes an import job (`dataio.jobs`): a file of at most
`jobs.INLINE_ROWS` rows is imported during the request and answers 200 with the finished
job, whose report fields (`created`, `updated`, `skipped`, `rows`, `errors`,
`ignored_columns`, `dry_run`, `atomic`) are those this endpoint always answered with; a
longer file answers 202 with the queued job. Both carry `Location: /api/v1/imports/<id>`,
which `GET` answers with the status, the counts so far and, once done, the report.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import tempfile
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from trellis.api.common import ERRORS, Id
from trellis.core.errors import InvalidInput
from trellis.customers.api import AccountFilters, ContactFilters
from trellis.dataio.files import csv_lines, write_xlsx
from trellis.dataio.jobs import import_start
from trellis.dataio.models import ImportJob
from trellis.dataio.selectors import export_rows, import_job_get

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


class ImportJobOut(Schema):
    id: int
    status: str  # queued, running, done, failed
    entity: str
    filename: str
    dry_run: bool
    atomic: bool
    rows_total: int | None  # rows below the header (None until counted)
    rows_done: int  # rows read so far
    rows_good: int
    rows_bad: int
    # The report (final once `status` is done): what was (or would be) written.
    created: int
    updated: int
    skipped: int
    rows: int
    errors: list[RowErrorOut]
    ignored_columns: list[str]
    error: str  # why a failed job stopped
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


def job_out(job: ImportJob) -> dict[str, Any]:
    report = job.report or {}
    options = job.options or {}
    return {
        "id": job.pk,
        "status": job.status,
        "entity": job.entity,
        "filename": job.filename,
        "dry_run": bool(options.get("dry_run")),
        "atomic": bool(options.get("atomic")),
        "rows_total": job.rows_total,
        "rows_done": job.rows_done,
        "rows_good": job.rows_good,
        "rows_bad": job.rows_bad,
        "created": report.get("created", 0),
        "updated": report.get("updated", 0),
        "skipped": report.get("skipped", 0),
        "rows": report.get("rows", job.rows_done),
        "errors": report.get("errors", []),
        "ignored_columns": report.get("ignored_columns", []),
        "error": job.error,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }


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


@router.post("/imports", response={200: ImportJobOut, 202: ImportJobOut, **ERRORS})
def create_import(
    request: HttpRequest,
    response: HttpResponse,
    entity: Form[str],
    file: UploadedFile | None = File(None),  # noqa: B008 - ninja's parameter marker
    dry_run: Form[bool] = False,
    atomic: Form[bool] = False,
    mapping: Form[str] = "",
    map_: str = Form("", alias="map"),  # noqa: B008 - another name for `mapping`
) -> Status:
    """Import accounts, contacts, leads, opportunities or cases from a CSV or XLSX file
    (multipart; `mapping` or `map`: a JSON object {"column": "field"}). A short file
    (up to 1,000 rows) is imported at once: 200 with the finished job, bad rows listed in
    `errors` with their row number (the header is row 1). A longer one is queued: 202
    with the job; follow `Location` until `status` is done or failed. See `trellis
    import --help` for the rules."""
    check_upload(file)
    job = import_start(
        request.user,
        entity=entity,
        data=file.read(),
        filename=file.name or "",
        mapping=parse_mapping(mapping or map_),
        dry_run=dry_run,
        atomic=atomic,
    )
    response["Location"] = f"/api/v1/imports/{job.pk}"
    return Status(200 if job.finished else 202, job_out(job))


@router.get("/imports/{job_id}", response={200: ImportJobOut, **ERRORS})
def get_import(request: HttpRequest, job_id: Id) -> dict:
    """An import job of the caller's (404 for anyone else's): its status, the counts so
    far and, once done, the report."""
    return job_out(import_job_get(request.user, job_id))


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
