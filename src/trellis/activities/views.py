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
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.cache import patch_vary_headers
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from trellis.access import can
from trellis.activities import selectors, services
from trellis.activities.forms import (
    DATETIME_FORMAT,
    ActivityFilterForm,
    ActivityForm,
    CalendarForm,
    NoteForm,
    RescheduleForm,
    ScheduleForm,
)
from trellis.activities.models import TIMED_KINDS, Activity, ActivityKind, ActivityStatus
from trellis.activities.records import FIRST_YEAR, LAST_YEAR, readable_record
from trellis.core.errors import NotFound, StaleVersion, TrellisError
from trellis.org.models import BusinessUnit
from trellis.web.forms import add_service_error
from trellis.web.pagination import keyset_page

PER_PAGE = 25
TIMELINE_SHOWN = 50
# What a calendar slot's "+" prefills: the end of a call or meeting after its start.
SLOT_LENGTH = dt.timedelta(minutes=30)
# The hour rows of the week and day views (more appear when activities lie outside them).
FIRST_HOUR, LAST_HOUR = 7, 20
# A month cell's "+" starts the new activity at this hour.
MONTH_SLOT_HOUR = 9


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
        "move_at": timezone.localtime(activity.when) if activity.when else None,
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


def _calendar_next(request: HttpRequest) -> str:
    """The calendar page to go back to (`?next=`), or "" when it is not one."""
    target = request.GET.get("next", "")
    path = reverse("web:calendar")
    if target == path or target.startswith(f"{path}?"):
        return target
    return ""


def _calendar_at(target: str, activity: Activity) -> str:
    """`target` (a calendar page) showing the day the activity is on."""
    parts = urlsplit(target)
    query = dict(parse_qsl(parts.query))
    if activity.when is not None:
        query["date"] = timezone.localtime(activity.when).date().isoformat()
    return f"{parts.path}?{urlencode(query)}"


def _prefilled(request: HttpRequest) -> dict[str, Any]:
    """The create form's initial values from the query: kind, regarding, and `start`
    (a calendar slot, "YYYY-MM-DDTHH:MM") as start, end (+30 minutes) and due time."""
    initial: dict[str, Any] = {
        key: request.GET[key]
        for key in ("kind", "regarding_type", "regarding_id")
        if key in request.GET
    }
    try:
        start = dt.datetime.strptime(request.GET.get("start", ""), DATETIME_FORMAT)
    except ValueError:
        return initial
    if FIRST_YEAR <= start.year <= LAST_YEAR:
        initial.update(start_at=start, end_at=start + SLOT_LENGTH, due_at=start)
    return initial


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def activity_create(request: HttpRequest) -> HttpResponse:
    """New activity. From a calendar slot the times come prefilled (`?start=`) and saving
    goes back to the calendar (`?next=`) at the activity's day."""
    if not _may_create(request.user):
        raise PermissionDenied
    back = _calendar_next(request)
    form = ActivityForm(request.POST or None, initial=_prefilled(request))
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
                if back:
                    return redirect(_calendar_at(back, activity))
                return redirect("web:activity_detail", pk=activity.pk)
    context = {"form": form, "cancel_url": back}
    return render(request, "activities/activity_form.html", context, status=status)


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


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _refusal(exc: TrellisError) -> tuple[str, int]:
    """What a person reads when a move is refused, and the status: 409 for a stale
    version (someone changed the activity meanwhile)."""
    if isinstance(exc, StaleVersion):
        return _(
            "Someone changed this activity meanwhile. It is shown as it is now; try again."
        ), 409
    if exc.status == 403:
        return _("You may not change this activity."), 403
    return exc.detail, exc.status


@login_required
@require_POST
def activity_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    """Move an activity to another day, or day and hour (calendar drag and drop with
    `Accept: application/json`, or the "Move to" form of the activity page).

    JSON answers: 200 with the new times and version; 400 bad date, 403 no write access,
    404 not visible, 409 stale version, each as {"detail", "errors"}."""
    json = _wants_json(request)
    try:
        activity = selectors.activity_get(request.user, pk)
    except NotFound:
        if json:
            return JsonResponse({"detail": _("No such activity."), "errors": []}, status=404)
        raise Http404(_("No such activity.")) from None
    form = RescheduleForm(request.POST)
    if not form.is_valid():
        errors = [
            {"field": name, "message": str(message)}
            for name, field_errors in form.errors.items()
            for message in field_errors
        ]
        detail = _("Give a valid date (and time) to move the activity to.")
        if json:
            return JsonResponse({"detail": detail, "errors": errors}, status=400)
        messages.error(request, detail)
        return redirect("web:activity_detail", pk=pk)
    try:
        moved = services.activity_reschedule(request.user, activity=activity, **form.cleaned_data)
    except TrellisError as exc:
        detail, status = _refusal(exc)
        if json:
            errors = [{"field": name, "message": message} for name, message in exc.errors]
            return JsonResponse({"detail": detail, "errors": errors}, status=status)
        if status == 403:
            raise PermissionDenied from exc
        messages.error(request, detail)
        return redirect("web:activity_detail", pk=pk)
    when = timezone.localtime(moved.when)
    detail = _("%(subject)s moved to %(when)s") % {
        "subject": moved.subject,
        "when": formats.date_format(when, "SHORT_DATETIME_FORMAT"),
    }
    if json:
        return JsonResponse(
            {
                "id": moved.pk,
                "version": moved.version,
                "start_at": moved.start_at.isoformat() if moved.start_at else None,
                "end_at": moved.end_at.isoformat() if moved.end_at else None,
                "due_at": moved.due_at.isoformat() if moved.due_at else None,
                "detail": detail,
            }
        )
    messages.success(request, detail)
    return redirect("web:activity_detail", pk=pk)


def _scheduled_message(activities: list[Activity], form: ScheduleForm) -> str:
    """What scheduling did, as the service documents it: one shared call or meeting with
    its attendees, one task or e-mail per person, or one activity for one person."""
    first = activities[0]
    target = form.cleaned_data["target"]
    if target == "user":
        return _("%(subject)s scheduled for %(person)s.") % {
            "subject": first.subject,
            "person": form.cleaned_data["for_user"],
        }
    if first.kind in TIMED_KINDS:
        count = first.attendees.count()
        if first.kind == ActivityKind.CALL:
            text = ngettext(
                "One shared call with %(count)d attendee.",
                "One shared call with %(count)d attendees.",
                count,
            )
        else:
            text = ngettext(
                "One shared meeting with %(count)d attendee.",
                "One shared meeting with %(count)d attendees.",
                count,
            )
        return text % {"count": count}
    count = len(activities)
    if first.kind == ActivityKind.EMAIL:
        text = ngettext(
            "%(count)d e-mail created, one for each person.",
            "%(count)d e-mails created, one for each person.",
            count,
        )
    else:
        text = ngettext(
            "%(count)d task created, one for each person.",
            "%(count)d tasks created, one for each person.",
            count,
        )
    return text % {"count": count}


def _calendar_for(form: ScheduleForm, activity: Activity) -> str:
    """The calendar that shows what was scheduled: the team's, else the unit's."""
    target = form.cleaned_data["target"]
    query: dict[str, Any] = {"view": "week", "scope": "unit"}
    if target == "team":
        query.update(scope="team", team=form.cleaned_data["for_team"].pk)
    elif target == "unit":
        query["unit"] = form.cleaned_data["for_unit"].pk
    elif form.cleaned_data["for_user"].unit_id:
        query["unit"] = form.cleaned_data["for_user"].unit_id
    if activity.when is not None:
        query["date"] = timezone.localtime(activity.when).date().isoformat()
    return f"{reverse('web:calendar')}?{urlencode(query)}"


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def activity_schedule(request: HttpRequest) -> HttpResponse:
    """Schedule an activity for a person, a team or a unit (`activity_schedule` decides
    who may: assign rights over every person reached)."""
    if not _may_create(request.user):
        raise PermissionDenied
    form = ScheduleForm(request.POST or None, initial=_prefilled(request))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            fields = form.service_fields()
            kind = fields.pop("kind")
            try:
                created = services.activity_schedule(
                    request.user,
                    kind=kind,
                    regarding=_regarding(request, form),
                    **form.target_kwargs(),
                    **fields,
                )
            except TrellisError as exc:
                status = add_service_error(form, exc)
            else:
                messages.success(request, _scheduled_message(created, form))
                return redirect(_calendar_for(form, created[0]))
    return render(request, "activities/schedule_form.html", {"form": form}, status=status)


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


def _hour_grid(days: list[dict[str, Any]], add_url: Any) -> dict[str, Any]:
    """The week and day views' rows: all-day activities (and the later days of ones
    spanning several days) on top, then one row per hour, each timed activity in the hour
    it starts. Hours run FIRST_HOUR..LAST_HOUR, wider when an activity lies outside."""
    top: list[list[Activity]] = []
    by_hour: list[dict[int, list[Activity]]] = []
    hours = {FIRST_HOUR, LAST_HOUR}
    for cell in days:
        untimed: list[Activity] = []
        slots: dict[int, list[Activity]] = {}
        for item in cell["items"]:
            when = timezone.localtime(item.when)
            if item.all_day or when.date() != cell["date"]:
                untimed.append(item)
            else:
                slots.setdefault(when.hour, []).append(item)
                hours.add(when.hour)
        top.append(untimed)
        by_hour.append(slots)
    rows = [
        {
            "hour": dt.time(hour),
            "time": f"{hour:02d}:00",
            "cells": [
                {
                    "date": cell["date"],
                    "items": slots.get(hour, []),
                    "add_url": add_url(cell["date"], hour),
                }
                for cell, slots in zip(days, by_hour, strict=True)
            ],
        }
        for hour in range(min(hours), max(hours) + 1)
    ]
    all_day = [
        {"date": cell["date"], "items": items, "is_today": cell["is_today"]}
        for cell, items in zip(days, top, strict=True)
    ]
    return {"hour_rows": rows, "all_day": all_day}


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
    writable = selectors.writable_ids(request.user, [item.pk for item in items])
    for item in items:
        item.may_move = item.pk in writable
    buckets: dict[dt.date, list[Activity]] = {
        first + dt.timedelta(days=offset): [] for offset in range(count)
    }
    for item in items:
        begin, last = _local_days(item)
        current = max(begin, first)
        while current <= last and current in buckets:
            buckets[current].append(item)
            current += dt.timedelta(days=1)
    base = {"view": view, "scope": scope}
    if team is not None:
        base["team"] = team.pk
    if unit is not None:
        base["unit"] = unit.pk

    def link(**changes: Any) -> str:
        return f"{reverse('web:calendar')}?{urlencode({**base, **changes})}"

    here = link(date=day.isoformat())
    may_create = _may_create(request.user)

    def add_url(date: dt.date, hour: int) -> str:
        if not may_create:
            return ""
        start_at = dt.datetime.combine(date, dt.time(hour)).strftime(DATETIME_FORMAT)
        query = urlencode({"start": start_at, "next": here})
        return f"{reverse('web:activity_create')}?{query}"

    days = [
        {
            "date": date,
            "items": buckets[date],
            "is_today": date == today,
            "in_month": view != "month" or date.month == day.month,
            "day_url": link(view="day", date=date.isoformat()),
            "add_url": add_url(date, MONTH_SLOT_HOUR),
        }
        for date in buckets
    ]
    weeks = [days[i : i + 7] for i in range(0, len(days), 7)]
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
        "may_create": may_create,
        "prev_url": link(date=_step(view, day, False).isoformat()),
        "next_url": link(date=_step(view, day, True).isoformat()),
        "today_url": link(date=today.isoformat()),
        "view_urls": [
            (name, label, link(view=name, date=day.isoformat()))
            for name, label in (("month", _("Month")), ("week", _("Week")), ("day", _("Day")))
        ],
        # Django's translated names (the calendar module's follow the process locale).
        "weekday_names": [WEEKDAYS_ABBR[i] for i in range(7)],
    }
    if view != "month":
        context.update(_hour_grid(days, add_url))
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
