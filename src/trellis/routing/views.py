"""Routing pages: rules (ordered, create/edit, move, enable/disable), simulation,
queues with "take next", and the assignment history. Rules, simulation and queue
administration need manage_routing (403 otherwise); a queue's page needs membership of
its team or manage_routing (404 otherwise, like a missing queue)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from trellis.core.errors import NotFound, TrellisError
from trellis.routing import selectors, services
from trellis.routing.entities import ENTITIES, entity_of
from trellis.routing.forms import QueueForm, RuleForm, SimulateForm, conditions_text
from trellis.routing.models import AssignmentRule
from trellis.web.forms import add_service_error


def _manager(request: HttpRequest) -> None:
    if not selectors.may_manage(request.user):
        raise PermissionDenied(_("This page needs the manage_routing privilege."))


def _rule(request: HttpRequest, pk: int) -> AssignmentRule:
    _manager(request)
    try:
        return selectors.rule_get(request.user, pk)
    except NotFound:
        from django.http import Http404

        raise Http404 from None


@login_required
@require_http_methods(["GET", "HEAD"])
def rule_list(request: HttpRequest) -> HttpResponse:
    """Every rule set in its order, with what each rule does."""
    _manager(request)
    rules = list(selectors.rule_list(request.user))
    groups = [
        (entity, label, [r for r in rules if r.entity == entity])
        for entity, label in (
            ("lead", _("Leads")),
            ("case", _("Cases")),
            ("activity", _("Marketing tasks")),
        )
    ]
    return render(request, "routing/rules.html", {"groups": groups})


def _save_rule(request: HttpRequest, rule: AssignmentRule | None) -> HttpResponse:
    initial = None
    if rule is not None:
        initial = {
            "entity": rule.entity,
            "name": rule.name,
            "strategy": rule.strategy,
            "conditions": conditions_text(rule.conditions),
            "target_user": rule.target_user_id,
            "target_team": rule.target_team_id,
            "target_queue": rule.target_queue_id,
            "skills": "\n".join(f"{s['skill']} {s['min_level']}" for s in rule.skills),
            "enabled": rule.enabled,
            "description": rule.description,
        }
    form = RuleForm(request.POST or None, initial=initial)
    if rule is not None:
        form.fields["entity"].disabled = True
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.service_kwargs()
        try:
            if rule is None:
                services.rule_create(request.user, **data)
            else:
                data.pop("entity")
                version = int(request.POST.get("version") or rule.version)
                services.rule_update(request.user, rule=rule, version=version, **data)
        except TrellisError as exc:
            status = add_service_error(form, exc)
        else:
            messages.success(request, _("The rule is saved."))
            return redirect("web:routing_rules")
    elif request.method == "POST":
        status = 400
    context = {"form": form, "rule": rule}
    return render(request, "routing/rule_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def rule_create(request: HttpRequest) -> HttpResponse:
    _manager(request)
    return _save_rule(request, None)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _save_rule(request, _rule(request, pk))


@login_required
@require_POST
def rule_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    """Switch a rule on or off."""
    rule = _rule(request, pk)
    try:
        services.rule_update(request.user, rule=rule, enabled=not rule.enabled)
    except TrellisError as exc:
        messages.error(request, exc.detail)
    return redirect("web:routing_rules")


@login_required
@require_POST
def rule_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a rule one place up or down in its entity's order."""
    rule = _rule(request, pk)
    order = list(
        AssignmentRule.objects.filter(entity=rule.entity)
        .order_by("position", "id")
        .values_list("pk", flat=True)
    )
    index = order.index(rule.pk)
    step = -1 if request.POST.get("direction") == "up" else 1
    if 0 <= index + step < len(order):
        order[index], order[index + step] = order[index + step], order[index]
        services.rule_reorder(request.user, entity=rule.entity, rule_ids=order)
    return redirect("web:routing_rules")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def simulate(request: HttpRequest) -> HttpResponse:
    """Run rules over open records (or an uploaded CSV) without saving anything."""
    _manager(request)
    choices = [
        (str(r.pk), f"{r.get_entity_display()}: {r.name}{'' if r.enabled else ' (off)'}")
        for r in selectors.rule_list(request.user)
    ]
    form = SimulateForm(request.POST or None, request.FILES or None, rule_choices=choices)
    result: dict[str, Any] | None = None
    status = 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = services.simulate(
                request.user,
                entity=form.cleaned_data["entity"],
                rule_ids=[int(pk) for pk in form.cleaned_data["rules"]] or None,
                csv_content=upload.read() if upload else None,
            )
        except TrellisError as exc:
            status = add_service_error(form, exc)
    elif request.method == "POST":
        status = 400
    return render(request, "routing/simulate.html", {"form": form, "result": result}, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def queue_list(request: HttpRequest) -> HttpResponse:
    """Queues one may work (their teams') or manage; managers add queues here."""
    may_manage = selectors.may_manage(request.user)
    form = QueueForm(request.POST or None) if may_manage else None
    status = 200
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.queue_create(request.user, **form.cleaned_data)
            except TrellisError as exc:
                status = add_service_error(form, exc)
            else:
                messages.success(request, _("The queue is added."))
                return redirect("web:routing_queues")
        else:
            status = 400
    queues = [(q, q.waiting) for q in selectors.queue_list(request.user)]
    context = {"queues": queues, "form": form}
    return render(request, "routing/queues.html", context, status=status)


def _queue(request: HttpRequest, pk: int):
    from django.http import Http404

    try:
        return selectors.queue_get(request.user, pk)
    except NotFound:
        raise Http404 from None


@login_required
@require_http_methods(["GET", "HEAD"])
def queue_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """What waits in the queue, next first; members take the next item."""
    queue = _queue(request, pk)
    items = list(selectors.queue_items(request.user, queue)[:100])
    context = {
        "queue": queue,
        "items": items,
        "may_take": services.is_member(request.user, queue.team),
    }
    return render(request, "routing/queue_detail.html", context)


@login_required
@require_POST
def queue_take_next(request: HttpRequest, pk: int) -> HttpResponse:
    queue = _queue(request, pk)
    try:
        record = services.queue_take_next(request.user, queue=queue)
    except TrellisError as exc:
        if exc.status == 403:
            raise PermissionDenied(exc.detail) from None
        messages.error(request, exc.detail)
        return redirect("web:routing_queue", pk=queue.pk)
    if record is None:
        messages.info(request, _("Nothing is waiting in this queue."))
        return redirect("web:routing_queue", pk=queue.pk)
    messages.success(request, _("%(item)s is yours now.") % {"item": record})
    detail = entity_of(record).url_name
    return redirect(detail, pk=record.pk)


@login_required
@require_http_methods(["GET", "HEAD"])
def history(request: HttpRequest) -> HttpResponse:
    """The latest routing decisions about records the user can read."""
    entity = request.GET.get("entity") or None
    if entity not in (None, *ENTITIES):
        entity = None
    decisions = list(selectors.decision_history(request.user, entity=entity)[:100])
    return render(request, "routing/history.html", {"decisions": decisions, "entity": entity})
