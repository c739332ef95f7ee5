"""The opportunity pipeline pages: the board, moving a card to another stage and closing
one as won or lost.

Every control works without JavaScript (each card has a "Move to…" form; won and lost
lead to a small close page). `static/sales/pipeline.js` adds dragging: it posts the same
forms with `Accept: application/json` and gets JSON back — the card's new version, or
`{"detail", "errors"}` with the status (403 may not change it, 412 changed meanwhile) so
the card can snap back with the message.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from trellis.core.errors import TrellisError
from trellis.org.models import BusinessUnit, Team, TeamKind
from trellis.sales import pipeline
from trellis.sales.models import CLOSED_STAGES, Opportunity, Stage
from trellis.sales.views import OPPORTUNITY_PAGES
from trellis.web.forms import TrellisFormMixin, UserChoiceField, active_users, add_service_error

# Forms ----------------------------------------------------------------------------------


class PipelineFilterForm(TrellisFormMixin, forms.Form):
    """The board's filters: a name search, whose opportunities (a person, an owner team,
    a business unit, or only mine). Invalid values are ignored, as on the lists."""

    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=200)
    owner = UserChoiceField(
        label=gettext_lazy("Owner"),
        required=False,
        queryset=active_users(),
        empty_label=gettext_lazy("Anyone"),
    )
    team = forms.ModelChoiceField(
        label=gettext_lazy("Team"),
        required=False,
        queryset=Team.objects.filter(kind=TeamKind.OWNER).order_by("name"),
        empty_label=gettext_lazy("All teams"),
    )
    unit = forms.ModelChoiceField(
        label=gettext_lazy("Business unit"),
        required=False,
        queryset=BusinessUnit.objects.order_by("path"),
        empty_label=gettext_lazy("All units"),
    )
    mine = forms.BooleanField(label=gettext_lazy("Only opportunities I own"), required=False)

    def __init__(self, data: Any, *, actor: Any) -> None:
        super().__init__(data)
        self.actor = actor
        if actor.is_partner:
            # The partner portal (web.portal) names no internal people, teams or units.
            for name in ("owner", "team", "unit"):
                del self.fields[name]
        self.is_valid()

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data
        found: dict[str, Any] = {"q": (data.get("q") or "").strip()}
        owner = self.actor if data.get("mine") else data.get("owner")
        if owner is not None:
            found["owner_user_id"] = owner.pk
        if data.get("team") is not None:
            found["owner_team_id"] = data["team"].pk
        if data.get("unit") is not None:
            found["owning_unit_id"] = data["unit"].pk
        return found

    def list_query(self, stage: str) -> str:
        """The opportunity list's query string for one column ("+N more"): the list
        filters by name, stage and "mine"."""
        data = self.cleaned_data
        query = {"stage": stage, "state": "open"}
        if data.get("q"):
            query["q"] = data["q"]
        if data.get("mine"):
            query["mine"] = "on"
        return urlencode(query)


class MoveForm(TrellisFormMixin, forms.Form):
    stage = forms.ChoiceField(label=gettext_lazy("Move to"), choices=Stage.choices)
    version = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)


class SettleForm(TrellisFormMixin, forms.Form):
    """Closing from the board: lost needs a reason, won may confirm the final amount."""

    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"), choices=[(stage, stage.label) for stage in CLOSED_STAGES]
    )
    amount = forms.DecimalField(
        label=gettext_lazy("Final amount"),
        required=False,
        min_value=0,
        max_digits=16,
        decimal_places=2,
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("outcome") == Stage.LOST and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why the opportunity was lost."))
        return data


# Views ----------------------------------------------------------------------------------


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _refusal_json(exc: TrellisError) -> JsonResponse:
    errors = [{"field": name, "message": message} for name, message in exc.errors]
    return JsonResponse({"detail": _refusal(exc), "errors": errors}, status=exc.status)


def _form_error_json(form: forms.Form) -> JsonResponse:
    errors = [
        {"field": name, "message": str(message)}
        for name, messages_ in form.errors.items()
        for message in messages_
    ]
    first = errors[0]["message"] if errors else _("Check the form.")
    return JsonResponse({"detail": first, "errors": errors}, status=400)


def _refusal(exc: TrellisError) -> str:
    """What a person reads when the board refuses a move."""
    if exc.status == 403:
        return _("You may not change this opportunity.")
    if exc.status == 412:
        return _("Someone changed this opportunity meanwhile. The board has been reloaded.")
    return exc.detail


def _moved_json(opportunity: Opportunity) -> JsonResponse:
    return JsonResponse(
        {
            "id": opportunity.pk,
            "stage": opportunity.stage,
            "version": opportunity.version,
            "probability": opportunity.probability,
        }
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def opportunity_pipeline(request: HttpRequest) -> HttpResponse:
    """The board of the opportunities the user can see, filtered like the list."""
    form = PipelineFilterForm(request.GET, actor=request.user)
    columns = pipeline.opportunity_pipeline(request.user, **form.filters())
    for column in columns:
        column.more_url = f"{reverse('web:opportunity_list')}?{form.list_query(column.stage)}"
    context = {
        "form": form,
        "columns": columns,
        "open_columns": [column for column in columns if column.is_open],
        "closed_columns": [column for column in columns if not column.is_open],
        "stage_choices": Stage.choices,
        "cap": pipeline.PIPELINE_CAP,
    }
    return render(request, "sales/opportunity_pipeline.html", context)


@login_required
@require_POST
def opportunity_pipeline_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a card to another stage. Won or lost need the close form: JavaScript opens it
    as a dialog, a plain form post is sent to the close page."""
    opportunity = OPPORTUNITY_PAGES.get_or_404(request, pk)
    form = MoveForm(request.POST)
    json = _wants_json(request)
    if not form.is_valid():
        if json:
            return _form_error_json(form)
        messages.error(request, _("Choose a stage to move the opportunity to."))
        return redirect("web:opportunity_pipeline")
    stage = form.cleaned_data["stage"]
    if stage in CLOSED_STAGES:
        url = reverse("web:opportunity_pipeline_close", args=[pk]) + f"?outcome={stage}"
        if json:
            return JsonResponse({"detail": _("Closing needs a few details."), "close_url": url})
        return redirect(url)
    try:
        moved = pipeline.opportunity_move(
            request.user,
            opportunity=opportunity,
            stage=stage,
            version=form.cleaned_data["version"],
        )
    except TrellisError as exc:
        if json:
            return _refusal_json(exc)
        messages.error(request, _refusal(exc))
        return redirect("web:opportunity_pipeline")
    if json:
        return _moved_json(moved)
    messages.success(
        request,
        _("%(name)s moved to %(stage)s.")
        % {"name": moved.name, "stage": moved.get_stage_display()},
    )
    return redirect("web:opportunity_pipeline")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def opportunity_pipeline_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Close an opportunity as won or lost from the board (the dialog posts here; without
    JavaScript it is a small page)."""
    opportunity = OPPORTUNITY_PAGES.get_or_404(request, pk)
    json = _wants_json(request)
    status = 200
    if request.method == "POST":
        form = SettleForm(request.POST)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                closed = pipeline.opportunity_settle(
                    request.user,
                    opportunity=opportunity,
                    outcome=data["outcome"],
                    reason=data["reason"],
                    amount=data["amount"],
                    version=data["version"],
                )
            except TrellisError as exc:
                if json:
                    return _refusal_json(exc)
                status = add_service_error(form, exc)
            else:
                if json:
                    return _moved_json(closed)
                messages.success(request, _("Opportunity closed."))
                return redirect("web:opportunity_pipeline")
        elif json:
            return _form_error_json(form)
    else:
        outcome = request.GET.get("outcome")
        form = SettleForm(
            initial={
                "outcome": outcome if outcome in CLOSED_STAGES else Stage.WON,
                "amount": opportunity.amount,
                "version": opportunity.version,
            }
        )
    context = {"opportunity": opportunity, "form": form}
    return render(request, "sales/opportunity_pipeline_close.html", context, status=status)


urlpatterns = [
    path("opportunities/pipeline/", opportunity_pipeline, name="opportunity_pipeline"),
    path(
        "opportunities/pipeline/<int:pk>/move/",
        opportunity_pipeline_move,
        name="opportunity_pipeline_move",
    ),
    path(
        "opportunities/pipeline/<int:pk>/close/",
        opportunity_pipeline_close,
        name="opportunity_pipeline_close",
    ),
]
