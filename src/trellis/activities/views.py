"""Activity, calendar and timeline pages. Each view parses its input, calls a selector or
a service, and renders.

A missing activity and one the user may not read both answer 404; one they may read but
not change (an attendee's) answers 403 on the change pages.

Record pages embed a record's timeline with
`<section hx-get="{% url 'web:timeline' 'account' account.pk %}" hx-trigger="load">`;
without JavaScript the same URL is a page of its own.
"""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from trellis.access import can
from trellis.activities import selectors, services
from trellis.activities.forms import ActivityFilterForm, ActivityForm, CalendarForm, NoteForm
from trellis.activities.models import Activity, ActivityStatus
from trellis.activities.records import FIRST_YEAR, LAST_YEAR, readable_record
from trellis.core.errors import NotFound, StaleVersion, TrellisError
from trellis.org.models import BusinessUnit
from trellis.web.forms import add_service_error
from trellis.web.pagination import keyset_page

PER_PAGE = 25
TIMELINE_SHOWN = 50


def _activity_or_404(request: HttpRequest, pk: int) -> Activity:
    try:
        return selectors.activity_get(request.user, pk)
    except NotFound:
        raise Http404(_("No such activity.")) from None


def _may_create(user: Any) -> bool:
    return can(user, "create", Activity(owner_user=user, owning_unit_id=user.unit_id))


@login_required
@require_http_methods(["GET", "HEAD"])
def activity_list(request: HttpRequest) -> HttpResponse:
    """My activities by default (owned or attending); overdue ones stand out."""
    form = ActivityFilterForm(request.GET, actor=request.user)
    try:
        qs = selectors.activity_list(request.user, **form.filters())
    except TrellisError:
        qs = Activity.objects.none()
    page = keyset_page(
        qs, order="-modified_at", cursor=request.GET.get("cursor"), per_page=PER_PAGE
    )
    return render(
        request,
        "activities/activity_list.html",
        {"form": form, "page": page, "may_create": _may_create(request.user)},
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _activity_or_404(request, pk)
    user = request.user
    context = {
        "activity": activity,
        "regarding": selectors.regarding_record(user, activity),
        "attendees": list(activity.attendees.all()),
        "may": {action: can(user, action, activity) for action in ("write", "delete")},
        "is_open": activity.status == ActivityStatus.OPEN,
    }
    return render(request, "activities/activity_detail.html", context)


def _regarding(request: HttpRequest, form: ActivityForm) -> Any:
    entity = form.cleaned_data.get("regarding_type")
    pk = form.cleaned_data.get("regarding_id")
    if not entity:
        return None
    return readable_record(
        request.user, entity, pk, type_field="regarding_type", id_field="regarding_id"
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def activity_create(request: HttpRequest) -> HttpResponse:
    if not _may_create(request.user):
        raise PermissionDenied
    initial = {
        key: request.GET[key]
        for key in ("kind", "regarding_type", "regarding_id")
        if key in request.GET
    }
    form = ActivityForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                activity = services.activity_create(
                    request.user, regarding=_regarding(request, form), **form.service_fields()
                )
            except TrellisError as exc:
                status = add_service_error(form, exc)
            else:
                messages.success(request, _("Activity created."))
                return redirect("web:activity_detail", pk=activity.pk)
    return render(request, "activities/activity_form.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _activity_or_404(request, pk)
    if not can(request.user, "write", activity):
        raise PermissionDenied
    title = activity.subject
    form = ActivityForm(request.POST or None, activity=activity)
    status, stale = 200, False
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.activity_update(
                    request.user,
                    activity=activity,
                    version=form.cleaned_data["version"],
                    regarding=_regarding(request, form),
                    **form.service_fields(),
                )
            except TrellisError as exc:
                status = add_service_error(form, exc)
                stale = isinstance(exc, StaleVersion)
            else:
                messages.success(request, _("Changes saved."))
                return redirect("web:activity_detail", pk=activity.pk)
    context = {"form": form, "activity_id": pk, "title": title, "stale": stale}
    return render(request, "activities/activity_form.html", context, status=status)


@login_required
@require_POST
def activity_complete(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _activity_or_404(request, pk)
    try:
        services.activity_complete(request.user, activity=activity)
    except TrellisError as exc:
        if exc.status == 403:
            raise PermissionDenied from exc
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Marked as done."))
    return redirect("web:activity_detail", pk=activity.pk)


# The calendar.


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _grid_bounds(view: str, day: dt.date) -> tuple[dt.date, int]:
    """The first day shown and how many days the grid has."""
    if view == "day":
        return day, 1
    if view == "week":
        return day - dt.timedelta(days=day.weekday()), 7
    first = _month_start(day)
    start = first - dt.timedelta(days=first.weekday())
    days_in_month = pycalendar.monthrange(first.year, first.month)[1]
    last = first + dt.timedelta(days=days_in_month - 1)
    end = last + dt.timedelta(days=6 - last.weekday())
    return start, (end - start).days + 1


def _step(view: str, day: dt.date, forward: bool) -> dt.date:
    sign = 1 if forward else -1
    if view == "day":
        return day + dt.timedelta(days=sign)
    if view == "week":
        return day + dt.timedelta(days=7 * sign)
    first = _month_start(day)
    if forward:
        return (first + dt.timedelta(days=32)).replace(day=1)
    return (first - dt.timedelta(days=1)).replace(day=1)


def _local_days(activity: Activity) -> tuple[dt.date, dt.date]:
    """The local dates an activity covers (an end at midnight does not reach that day)."""
    begin = timezone.localtime(activity.start_at or activity.due_at)
    finish = timezone.localtime(activity.end_at) if activity.end_at else begin
    last = finish.date()
    if finish > begin and finish.time() == dt.time(0):
        last -= dt.timedelta(days=1)
    return begin.date(), max(begin.date(), last)


@login_required
@require_http_methods(["GET", "HEAD"])
def calendar(request: HttpRequest) -> HttpResponse:
    """Month, week or day grid of the activities of me, a team or a unit."""
    today = timezone.localdate()
    form = CalendarForm(request.GET, today=today)
    view = form.value("view", "month")
    day = form.value("date", today)
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        day = today
    scope = form.value("scope", "me")
    team = unit = None
    teams = list(selectors.schedulable_teams(request.user))
    if scope == "team":
        team = next((t for t in teams if t.pk == form.value("team", None)), None) or (
            teams[0] if teams else None
        )
        if team is None:
            scope = "me"
    if scope == "unit":
        unit_id = form.value("unit", request.user.unit_id)
        unit = BusinessUnit.objects.filter(pk=unit_id).first() if unit_id else None
        if unit is None:
            scope = "me"
    first, count = _grid_bounds(view, day)
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(first, dt.time(0), tzinfo=zone)
    end = dt.datetime.combine(first + dt.timedelta(days=count), dt.time(0), tzinfo=zone)
    items = list(
        selectors.calendar_items(
            request.user, start=start, end=end, scope=scope, team=team, unit=unit
        )
    )
    buckets: dict[dt.date, list[Activity]] = {
        first + dt.timedelta(days=offset): [] for offset in range(count)
    }
    for item in items:
        begin, last = _local_days(item)
        current = max(begin, first)
        while current <= last and current in buckets:
            buckets[current].append(item)
            current += dt.timedelta(days=1)
    days = [
        {
            "date": date,
            "items": buckets[date],
            "is_today": date == today,
            "in_month": view != "month" or date.month == day.month,
        }
        for date in buckets
    ]
    weeks = [days[i : i + 7] for i in range(0, len(days), 7)]
    base = {"view": view, "scope": scope}
    if team is not None:
        base["team"] = team.pk
    if unit is not None:
        base["unit"] = unit.pk

    def link(**changes: Any) -> str:
        params = {**base, **changes}
        query = "&".join(f"{key}={value}" for key, value in params.items())
        return f"{reverse('web:calendar')}?{query}"

    context = {
        "view": view,
        "day": day,
        "days": days,
        "weeks": weeks,
        "scope": scope,
        "team": team,
        "unit": unit,
        "teams": teams,
        "items_count": len(items),
        "prev_url": link(date=_step(view, day, False).isoformat()),
        "next_url": link(date=_step(view, day, True).isoformat()),
        "today_url": link(date=today.isoformat()),
        "view_urls": [
            (name, label, link(view=name, date=day.isoformat()))
            for name, label in (("month", _("Month")), ("week", _("Week")), ("day", _("Day")))
        ],
        "weekday_names": [pycalendar.day_abbr[i] for i in range(7)],
    }
    return render(request, "activities/calendar.html", context)


# Timelines and notes.


def _record_or_404(request: HttpRequest, entity: str, pk: int) -> Any:
    try:
        return readable_record(request.user, entity, pk)
    except TrellisError:
        raise Http404(_("No such record.")) from None


def _render_timeline(
    request: HttpRequest, entity: str, record: Any, form: NoteForm, status: int = 200
) -> HttpResponse:
    context = {
        "record": record,
        "entity": entity,
        "entries": selectors.timeline(request.user, record, limit=TIMELINE_SHOWN),
        "note_form": form,
    }
    template = "activities/_timeline.html" if request.htmx else "activities/timeline.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def timeline(request: HttpRequest, entity: str, pk: int) -> HttpResponse:
    """A record's notes, activities and history; POST adds a note. An htmx request gets
    just the fragment (`activities/_timeline.html`) to embed in the record's page."""
    record = _record_or_404(request, entity, pk)
    form = NoteForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.note_create(request.user, record=record, **form.cleaned_data)
            except TrellisError as exc:
                return _render_timeline(request, entity, record, form, add_service_error(form, exc))
            if not request.htmx:
                messages.success(request, _("Note added."))
                return redirect("web:timeline", entity=entity, pk=pk)
            form = NoteForm()
        else:
            return _render_timeline(request, entity, record, form, 400)
    return _render_timeline(request, entity, record, form)


@login_required
@require_POST
def note_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """The author deletes their note; back to the record's timeline."""
    try:
        note = selectors.note_get(request.user, pk)
    except NotFound:
        raise Http404(_("No such note.")) from None
    record = note.regarding_type.model_class()
    entity = getattr(record, "access_entity", "")
    try:
        services.note_delete(request.user, note=note)
    except TrellisError as exc:
        if exc.status == 403:
            raise PermissionDenied from exc
        raise Http404(exc.detail) from exc
    messages.success(request, _("Note deleted."))
    return redirect("web:timeline", entity=entity, pk=note.regarding_id)
