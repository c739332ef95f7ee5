"""The opportunity pipeline: a board of the open stages (read) and the moves made on it
(write).

The board is computed from `opportunity_list`, which starts from `access.visible`, so a
person sees exactly the opportunities the list shows them. Each column holds at most
`PIPELINE_CAP` cards; its count and per-currency totals cover every matching opportunity.
Moves go through the sales services (`opportunity_update`, `opportunity_close`), which
check write access, the version and keep the stage history and the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Sum

from trellis.access import visible
from trellis.core.errors import InvalidInput
from trellis.org.models import User
from trellis.sales import services
from trellis.sales.models import CLOSED_STAGES, OPEN_STAGES, Opportunity, Stage
from trellis.sales.selectors import opportunity_list

# Cards drawn per column: a big pipeline stays quick to draw and to scan; the rest are a
# "+N more" link to the list.
PIPELINE_CAP = 50


@dataclass
class PipelineColumn:
    """One stage of the board: its cards (at most the cap), how many opportunities it
    holds in all and their amounts summed per currency."""

    stage: str
    label: str
    is_open: bool
    count: int = 0
    totals: list[tuple[str, Decimal]] = field(default_factory=list)
    cards: list[Opportunity] = field(default_factory=list)
    # The opportunity list showing the whole column (its "+N more" link); set by the view.
    more_url: str = ""

    @property
    def more(self) -> int:
        return max(self.count - len(self.cards), 0) if self.is_open else 0


def opportunity_pipeline(
    actor: Any, *, cap: int | None = None, **filters: Any
) -> list[PipelineColumn]:
    """The board of opportunities `actor` may see, narrowed by the list's `filters`: a
    column per open stage with its newest cards (latest expected close first, undated
    last), then won and lost as drop zones carrying only their count and totals.

    Costs one query for all counts and totals, one per open stage for its cards and one
    for which cards the actor may move."""
    cap = cap or PIPELINE_CAP
    qs = opportunity_list(actor, **filters)
    columns = {
        stage.value: PipelineColumn(
            stage=stage.value, label=str(stage.label), is_open=stage not in CLOSED_STAGES
        )
        for stage in Stage
    }
    summary = (
        qs.order_by()
        .values("stage", "currency")
        .annotate(n=Count("pk"), total=Sum("amount"))
        .order_by("stage", "currency")
    )
    for row in summary:
        column = columns.get(row["stage"])
        if column is None:
            continue
        column.count += row["n"]
        column.totals.append((row["currency"], row["total"] or Decimal(0)))
    for stage in OPEN_STAGES:
        if columns[stage].count:
            columns[stage].cards = list(
                qs.filter(stage=stage).order_by(
                    F("expected_close_date").desc(nulls_last=True), "-pk"
                )[:cap]
            )
    shown = [card.pk for stage in OPEN_STAGES for card in columns[stage].cards]
    movable = set(
        visible(actor, Opportunity, "write").filter(pk__in=shown).values_list("pk", flat=True)
    )
    for stage in OPEN_STAGES:
        for card in columns[stage].cards:
            # Asked once for the whole board: offering the move costs no query per card.
            card.may_move = card.pk in movable
    return list(columns.values())


@transaction.atomic
def opportunity_move(
    actor: User, *, opportunity: Opportunity, stage: str, version: int | None = None
) -> Opportunity:
    """Move an opportunity to another open stage (needs write; the stage gets its default
    probability and the move joins the stage history). Won and lost are reached through
    `opportunity_settle`, which asks for what closing needs."""
    if stage not in OPEN_STAGES:
        raise InvalidInput.field(
            "stage", f"must be one of {', '.join(OPEN_STAGES)}; close to win or lose"
        )
    return services.opportunity_update(actor, opportunity=opportunity, version=version, stage=stage)


@transaction.atomic
def opportunity_settle(
    actor: User,
    *,
    opportunity: Opportunity,
    outcome: str,
    reason: str = "",
    amount: Decimal | None = None,
    version: int | None = None,
) -> Opportunity:
    """Close an opportunity from the pipeline: lost needs a reason; won may confirm the
    final amount. Both writes (the amount, then the close) are one transaction, so a
    refused close leaves the amount as it was."""
    reason = (reason or "").strip()
    if outcome == Stage.LOST and not reason:
        raise InvalidInput.field("reason", "say why the opportunity was lost")
    if outcome == Stage.WON and amount is not None and amount != opportunity.amount:
        opportunity = services.opportunity_update(
            actor, opportunity=opportunity, version=version, amount=amount
        )
        version = opportunity.version
    return services.opportunity_close(
        actor, opportunity=opportunity, outcome=outcome, reason=reason, version=version
    )
