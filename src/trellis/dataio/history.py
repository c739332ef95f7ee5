"""Entity rules an import applies to each planned record beyond field cleaning: phones,
consent stamps, a lead's status history and an opportunity's stage history.

History moved in from another CRM keeps its dates, so reports over the past are right
from the first day:

* Leads: `status` (new, contacted, qualified, disqualified), `disqualify_reason`
  (required for, and only for, a disqualified lead), `first_contacted_at` (a lead past
  `new` gets its creation time when the file has none) and `qualified_at` (a qualified
  lead only; default its modification time).
* Opportunities: `stage`, `closed_at` (won or lost only; default the last known date),
  `close_reason`, and the date it entered each open stage (`prospecting_at`,
  `qualification_at`, `proposal_at`, `negotiation_at`). The stage history
  (`OpportunityStageChange`) gets one row per stage in date order: the first from no
  stage at `created_at` (which defaults to the earliest date given), then each later
  stage at its date, ending in the current stage (at `closed_at` when closed). When the
  first dated stage comes after `created_at`, the opportunity is taken to have been
  created in the first stage of the pipeline (prospecting), as new ones are.

Those columns describe the past, so they are read only when a row creates a record; a
row that updates an existing one may repeat the stored values but not change them
(statuses and stages move through the records' own actions, which keep their history).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from trellis.core.errors import InvalidInput
from trellis.customers import services as customer_services
from trellis.org.models import User
from trellis.sales.models import (
    DEFAULT_PROBABILITY,
    OPEN_STAGES,
    Lead,
    LeadStatus,
    OpportunityStageChange,
)

# The very checks `lead_create` and `opportunity_create` apply (no second copy of the
# rules here).
from trellis.sales.services import (
    lead_clean,
    lead_set_phone,
    opportunity_check_probability,
    opportunity_clean,
)

LEAD_HISTORY = ("status", "disqualify_reason", "first_contacted_at", "qualified_at")
OPEN_STAGE_NAMES = tuple(str(stage) for stage in OPEN_STAGES)
STAGE_DATE_FIELDS = tuple(f"{stage}_at" for stage in OPEN_STAGE_NAMES)
OPPORTUNITY_HISTORY = ("closed_at", *STAGE_DATE_FIELDS)
REASON_LIMIT = Lead._meta.get_field("disqualify_reason").max_length


@dataclass
class Plan:
    """One row on its way to a record: what the entity rules need to finish it."""

    record: Any
    creating: bool
    clean: dict[str, Any]  # the cleaned service fields
    typed: dict[str, str]  # phones as typed
    history: dict[str, Any] = field(default_factory=dict)  # parsed history columns
    before: dict[str, Any] | None = None  # the matched record's snapshot (updates)
    created_given: bool = False
    modified_given: bool = False
    # Lookups an entity rule keeps for the whole import run (an SLA policy per priority).
    memo: dict[Any, Any] = field(default_factory=dict)


def clean_lead_fields(fields: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """Validated lead fields, as `lead_create`/`lead_update` clean them."""
    return lead_clean(fields, creating=creating)


def clean_opportunity_fields(fields: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """Validated opportunity fields, as `opportunity_create`/`opportunity_update` clean them."""
    return opportunity_clean(fields, creating=creating)


def keep_history(plan: Plan, entity: str) -> None:
    """An update may repeat the stored history, not rewrite it."""
    before = plan.before or {}
    for name, value in plan.history.items():
        if name not in before:
            continue  # a stage date: the stage history is already written
        stored = before[name]
        if isinstance(value, dt.datetime) and isinstance(stored, str):
            stored = dt.datetime.fromisoformat(stored)
        same = stored == value
        if not same:
            raise InvalidInput.field(
                name, f"an import does not change an existing {entity}'s history; use its actions"
            )


def not_before(when: dt.datetime | None, start: dt.datetime, name: str, start_name: str) -> None:
    if when is not None and when < start:
        raise InvalidInput.field(name, f"must not be before {start_name}")


def prepare_contact(plan: Plan) -> None:
    """Phones in E.164 (as typed kept), consent stamped when a consent flag is set."""
    contact = plan.record
    customer_services.contact_normalize_phones(contact, plan.typed)
    consent = customer_services.CONSENT_FIELDS
    if plan.creating and any(getattr(contact, key) for key in consent):
        contact.consent_updated_at = contact.created_at
    elif not plan.creating and any(getattr(contact, key) != plan.before[key] for key in consent):
        contact.consent_updated_at = contact.modified_at


def prepare_lead(plan: Plan) -> None:
    """The lead's status history (see the module docstring) and its phone."""
    lead, history = plan.record, plan.history
    if not plan.creating:
        keep_history(plan, "lead")
    else:
        status = history.get("status") or LeadStatus.NEW
        if status not in LeadStatus.values:
            raise InvalidInput.field("status", f"must be one of {', '.join(LeadStatus.values)}")
        reason = (history.get("disqualify_reason") or "").strip()
        if status == LeadStatus.DISQUALIFIED and not reason:
            raise InvalidInput.field("disqualify_reason", "say why the lead is disqualified")
        if status != LeadStatus.DISQUALIFIED and reason:
            raise InvalidInput.field("disqualify_reason", "only a disqualified lead has one")
        if len(reason) > REASON_LIMIT:
            raise InvalidInput.field(
                "disqualify_reason", f"must be at most {REASON_LIMIT} characters"
            )
        contacted = history.get("first_contacted_at")
        qualified = history.get("qualified_at")
        if qualified is not None and status != LeadStatus.QUALIFIED:
            raise InvalidInput.field("qualified_at", "only a qualified lead has one")
        if contacted is None and status != LeadStatus.NEW:
            contacted = lead.created_at
        if qualified is None and status == LeadStatus.QUALIFIED:
            qualified = max(lead.modified_at, contacted)
        not_before(contacted, lead.created_at, "first_contacted_at", "created_at")
        not_before(qualified, contacted or lead.created_at, "qualified_at", "first_contacted_at")
        lead.status, lead.disqualify_reason = status, reason
        lead.first_contacted_at, lead.qualified_at = contacted, qualified
    if "phone" in plan.typed:
        lead_set_phone(lead, plan.typed["phone"])


def prepare_opportunity(plan: Plan) -> list[tuple[str, str, dt.datetime, int]] | None:
    """Probability, `closed_at` and the stage history to write (see the module docstring):
    (from stage, to stage, when, probability) per step; None for an update."""
    opportunity, history = plan.record, plan.history
    given = plan.clean.get("probability")
    contact = opportunity.contact if opportunity.contact_id else None
    if contact is not None and contact.account_id not in (None, opportunity.account_id):
        raise InvalidInput.field("contact_email", "the contact works for another account")
    if not plan.creating:
        keep_history(plan, "opportunity")
        if opportunity.stage != plan.before["stage"]:
            raise InvalidInput.field(
                "stage", "an import does not move an existing opportunity; change its stage there"
            )
        if given is not None:
            opportunity_check_probability(opportunity, given)
        return None
    if given is None:
        opportunity.probability = DEFAULT_PROBABILITY[opportunity.stage]
    opportunity_check_probability(opportunity, given)
    dated = sorted(
        (history[f"{stage}_at"], stage)
        for stage in OPEN_STAGE_NAMES
        if history.get(f"{stage}_at") is not None
    )
    closed_at = history.get("closed_at")
    if closed_at is not None and not opportunity.is_closed:
        raise InvalidInput.field("closed_at", "only a won or lost opportunity has one")
    known = [when for when, _stage in dated] + ([closed_at] if closed_at else [])
    if known and not plan.created_given:
        opportunity.created_at = min(known)
    start = opportunity.created_at
    for when, stage in dated:
        not_before(when, start, f"{stage}_at", "created_at")
    not_before(closed_at, start, "closed_at", "created_at")
    latest = max([start, *known])
    if not plan.modified_given:
        opportunity.modified_at = latest
    steps = [stage for _when, stage in dated]
    times = [when for when, _stage in dated]
    current = str(opportunity.stage)
    if current in steps and steps[-1] != current:
        raise InvalidInput.field(
            f"{current}_at", f"the current stage ({current}) must be the last one entered"
        )
    if opportunity.is_closed:
        opportunity.closed_at = closed_at or latest
        steps.append(current)
        times.append(opportunity.closed_at)
    elif current not in steps:
        # Its current stage without a date: entered at the latest date known.
        times.append(latest if steps else start)
        steps.append(current)
    first = OPEN_STAGE_NAMES[0]
    if times[0] > start and steps[0] != first:
        # It was created before the first stage the file dates: in the first stage of
        # the pipeline, as every opportunity starts unless told otherwise.
        steps, times = [first, *steps], [start, *times]
    rows = []
    previous = ""
    for index, (stage, when) in enumerate(zip(steps, times, strict=True)):
        probability = (
            opportunity.probability if index == len(steps) - 1 else DEFAULT_PROBABILITY[stage]
        )
        # The first step is the creation: it happened when the record was created.
        rows.append((previous, stage, start if index == 0 else when, probability))
        previous = stage
    return rows


def record_stage_history(actor: User, planned: list[tuple[Any, Any]]) -> list[Any]:
    """The stage-history rows of the opportunities just inserted (not saved here)."""
    return [
        OpportunityStageChange(
            opportunity_id=opportunity.pk,
            from_stage=from_stage,
            to_stage=to_stage,
            changed_by_id=actor.pk,
            changed_at=when,
            amount=opportunity.amount,
            currency=opportunity.currency,
            probability=probability,
        )
        for opportunity, steps in planned
        for from_stage, to_stage, when, probability in steps or ()
    ]
