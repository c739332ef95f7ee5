"""Export of the web lists: the list as the person has filtered it, as CSV or XLSX.

Each list's own filter form parses the query string (the same one the list page got), and
its own selector (which starts from `access.visible`) gives the records, so a download
holds exactly what the list shows. Accounts, contacts, leads and opportunities use the
import/export columns of `dataio.entities` (a file exported here imports again); cases,
campaigns and activities, which cannot be imported, get the columns below. Every export
needs the `export` privilege.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext_lazy as _

from trellis.activities.forms import ActivityFilterForm
from trellis.activities.selectors import activity_list
from trellis.core.errors import Forbidden, NotFound
from trellis.customers.forms import AccountFilterForm, ContactFilterForm
from trellis.dataio.files import csv_lines, write_xlsx
from trellis.dataio.selectors import CHUNK, export_rows
from trellis.org.selectors import has_privilege
from trellis.sales.forms import CampaignFilterForm, LeadFilterForm, OpportunityFilterForm
from trellis.sales.selectors import campaign_list
from trellis.service.forms import CaseFilterForm
from trellis.service.selectors import case_list, with_visible_links

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")
Rows = tuple[list[str], Iterator[list[Any]]]


def may_export(actor: Any) -> bool:
    """Whether the export buttons show for `actor`."""
    return has_privilege(actor, "export")


def _owner_columns(record: Any) -> list[Any]:
    return [
        record.owner_user.username if record.owner_user_id else "",
        record.owner_team.name if record.owner_team_id else "",
        record.owning_unit.name,
        record.created_at,
        record.modified_at,
        record.version,
    ]


OWNER_HEADERS = ["owner", "owner_team", "owning_unit", "created_at", "modified_at", "version"]


def _field_rows(qs: Any, fields: tuple[str, ...], extra: Callable[[Any], list[Any]]) -> Rows:
    """`fields` of each record, then `extra(record)`, then its owner and bookkeeping."""
    qs = qs.select_related("owner_user", "owner_team", "owning_unit").order_by("pk")

    def rows() -> Iterator[list[Any]]:
        for record in qs.iterator(chunk_size=CHUNK):
            yield [record.pk, *(getattr(record, name) for name in fields), *extra(record)] + (
                _owner_columns(record)
            )

    return rows()


CASE_FIELDS = (
    "number",
    "subject",
    "type",
    "priority",
    "channel",
    "status",
    "product_name",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "satisfaction",
    "external_id",
)
CAMPAIGN_FIELDS = (
    "name",
    "type",
    "status",
    "budget",
    "actual_cost",
    "expected_revenue",
    "currency",
    "start_date",
    "end_date",
)
ACTIVITY_FIELDS = (
    "kind",
    "subject",
    "status",
    "priority",
    "start_at",
    "end_at",
    "due_at",
    "completed_at",
    "location",
)


def _case_rows(actor: Any, filters: dict[str, Any]) -> Rows:
    qs = with_visible_links(actor, case_list(actor, **filters))

    def account(case: Any) -> list[Any]:
        # The account's name only for those who may read the account, as on the list.
        return [case.account.name if case.account_id and case.account_visible else ""]

    headers = ["id", *CASE_FIELDS, "account", *OWNER_HEADERS]
    return headers, _field_rows(qs, CASE_FIELDS, account)


def _campaign_rows(actor: Any, filters: dict[str, Any]) -> Rows:
    headers = ["id", *CAMPAIGN_FIELDS, *OWNER_HEADERS]
    return headers, _field_rows(campaign_list(actor, **filters), CAMPAIGN_FIELDS, lambda _: [])


def _activity_rows(actor: Any, filters: dict[str, Any]) -> Rows:
    # What an activity is about is named by entity and id only: the record's name may be
    # one the reader cannot see.
    def regarding(activity: Any) -> list[Any]:
        kind = activity.regarding_type.model if activity.regarding_type_id else ""
        return [kind, activity.regarding_id or ""]

    qs = activity_list(actor, **filters).select_related("regarding_type")
    headers = ["id", *ACTIVITY_FIELDS, "regarding_type", "regarding_id", *OWNER_HEADERS]
    return headers, _field_rows(qs, ACTIVITY_FIELDS, regarding)


def _spec_rows(entity: str) -> Callable[[Any, dict[str, Any]], Rows]:
    return lambda actor, filters: export_rows(actor, entity=entity, **filters)


@dataclass(frozen=True)
class ListExport:
    """One web list's export: its filter form and how to get its header and rows."""

    label: Any
    form: type
    rows: Callable[[Any, dict[str, Any]], Rows]


LIST_EXPORTS: dict[str, ListExport] = {
    "accounts": ListExport(_("Accounts"), AccountFilterForm, _spec_rows("accounts")),
    "contacts": ListExport(_("Contacts"), ContactFilterForm, _spec_rows("contacts")),
    "leads": ListExport(_("Leads"), LeadFilterForm, _spec_rows("leads")),
    "opportunities": ListExport(
        _("Opportunities"), OpportunityFilterForm, _spec_rows("opportunities")
    ),
    "cases": ListExport(_("Cases"), CaseFilterForm, _case_rows),
    "campaigns": ListExport(_("Campaigns"), CampaignFilterForm, _campaign_rows),
    "activities": ListExport(_("Activities"), ActivityFilterForm, _activity_rows),
}


def list_export(actor: Any, *, entity: str, query: Any) -> Rows:
    """The header and rows of the `entity` web list as filtered by `query` (its query
    string). NotFound for a list that has no export; Forbidden without the privilege."""
    export = LIST_EXPORTS.get(entity)
    if export is None:
        raise NotFound(f"there is no export of {entity}")
    if not may_export(actor):
        raise Forbidden("you may not export: your roles lack the export privilege")
    form = export.form(query, actor=actor)
    form.is_valid()  # invalid filter values are ignored, as on the list itself
    return export.rows(actor, form.filters())


def download(name: str, fmt: str, headers: list[str], rows: Iterator[list[Any]]) -> HttpResponse:
    """A CSV (streamed) or XLSX attachment named `name.fmt`."""
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
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
