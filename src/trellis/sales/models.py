"""Sales: the product catalog, campaigns, leads, opportunities (with their stage
history) and sales targets.

Products, campaigns, leads and opportunities are securable records (DESIGN.md, the access
model). Product lines are a plain catalog table and sales targets are guarded by
privileges; see `ProductLine` and `SalesTarget` for their rules.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trellis.access.models import SecurableModel

MONEY = {"max_digits": 16, "decimal_places": 2}


class ProductLine(models.Model):
    """A group of products ("Industrial pumps"). Not securable: every signed-in internal
    user reads the catalog; changing it needs `write` on products at org depth (the
    Product Manager's right), because a line is shared by the whole organization."""

    name = models.CharField(_("name"), max_length=120)
    code = models.CharField(_("code"), max_length=40, unique=True)
    description = models.TextField(_("description"), blank=True, default="")
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    modified_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("product line")
        verbose_name_plural = _("product lines")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Product(SecurableModel):
    """Something the organization sells. Readable by most roles at org depth; the
    Product Manager writes."""

    access_entity = "product"
    # A catalog entry is not a manager's business because of who created it.
    hierarchy_visibility = False

    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(_("code (SKU)"), max_length=60, unique=True)
    product_line = models.ForeignKey(
        ProductLine,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
        verbose_name=_("product line"),
    )
    description = models.TextField(_("description"), blank=True, default="")
    list_price = models.DecimalField(_("list price"), default=0, **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    active = models.BooleanField(_("active"), default=True)

    class Meta(SecurableModel.Meta):
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name", "id"]
        constraints = [
            *SecurableModel.Meta.constraints,
            models.CheckConstraint(
                condition=Q(list_price__gte=0), name="sales_product_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignType(models.TextChoices):
    EMAIL = "email", _("E-mail")
    WEB = "web", _("Web")
    EVENT = "event", _("Event")
    SOCIAL = "social", _("Social media")
    PARTNER = "partner", _("Partner")
    ADVERTISING = "advertising", _("Advertising")
    OTHER = "other", _("Other")


class CampaignStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class Campaign(SecurableModel):
    """A marketing effort with a budget and a time window; leads and opportunities name
    the campaign they came from."""

    access_entity = "campaign"
    hierarchy_visibility = True

    name = models.CharField(_("name"), max_length=200)
    type = models.CharField(
        _("type"), max_length=20, choices=CampaignType.choices, default=CampaignType.OTHER
    )
    status = models.CharField(
        _("status"), max_length=20, choices=CampaignStatus.choices, default=CampaignStatus.PLANNED
    )
    budget = models.DecimalField(_("budget"), null=True, blank=True, **MONEY)
    actual_cost = models.DecimalField(_("actual cost"), null=True, blank=True, **MONEY)
    expected_revenue = models.DecimalField(_("expected revenue"), null=True, blank=True, **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    product_line = models.ForeignKey(
        ProductLine,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaigns",
        verbose_name=_("product line"),
    )
    description = models.TextField(_("description"), blank=True, default="")

    class Meta(SecurableModel.Meta):
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-modified_at", "-id"]
        constraints = [
            *SecurableModel.Meta.constraints,
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(end_date__isnull=True)
                | Q(end_date__gte=F("start_date")),
                name="sales_campaign_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Stage(models.TextChoices):
    PROSPECTING = "prospecting", _("Prospecting")
    QUALIFICATION = "qualification", _("Qualification")
    PROPOSAL = "proposal", _("Proposal")
    NEGOTIATION = "negotiation", _("Negotiation")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


CLOSED_STAGES = (Stage.WON, Stage.LOST)
OPEN_STAGES = tuple(stage for stage in Stage if stage not in CLOSED_STAGES)
# The probability an opportunity gets when it enters a stage without one being given.
DEFAULT_PROBABILITY: dict[str, int] = {
    Stage.PROSPECTING: 10,
    Stage.QUALIFICATION: 20,
    Stage.PROPOSAL: 50,
    Stage.NEGOTIATION: 75,
    Stage.WON: 100,
    Stage.LOST: 0,
}


class Opportunity(SecurableModel):
    """A possible sale to an account, moving through the stages to won or lost."""

    access_entity = "opportunity"
    hierarchy_visibility = True

    name = models.CharField(_("name"), max_length=200)
    # An account with opportunities cannot be deleted: the sales history would vanish
    # without an audit trail (account_delete answers 409 instead).
    account = models.ForeignKey(
        "customers.Account",
        on_delete=models.PROTECT,
        related_name="opportunities",
        verbose_name=_("account"),
    )
    contact = models.ForeignKey(
        "customers.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
        verbose_name=_("contact"),
    )
    product_line = models.ForeignKey(
        ProductLine,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
        verbose_name=_("product line"),
    )
    campaign = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
        verbose_name=_("campaign"),
    )
    # The lead this opportunity was qualified from, if any.
    lead = models.ForeignKey(
        "sales.Lead",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
        verbose_name=_("lead"),
    )
    stage = models.CharField(
        _("stage"), max_length=20, choices=Stage.choices, default=Stage.PROSPECTING
    )
    amount = models.DecimalField(_("amount"), default=0, **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    probability = models.PositiveSmallIntegerField(_("probability (%)"), default=10)
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    close_reason = models.CharField(_("close reason"), max_length=500, blank=True, default="")
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True, default="")
    external_id = models.CharField(
        _("external id"), max_length=100, blank=True, default="", db_index=True
    )

    class Meta(SecurableModel.Meta):
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["-modified_at", "-id"]
        constraints = [
            *SecurableModel.Meta.constraints,
            models.CheckConstraint(
                condition=Q(probability__lte=100), name="sales_opportunity_probability_max"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="sales_opportunity_amount_not_negative"
            ),
        ]
        indexes = [
            *SecurableModel.Meta.indexes,
            models.Index(fields=["account", "stage"], name="opportunity_account_idx"),
            models.Index(fields=["stage", "expected_close_date"], name="opportunity_stage_idx"),
            # Dashboards count what closed in a period (trellis.analytics.totals).
            models.Index(fields=["closed_at"], name="opportunity_closed_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.stage in CLOSED_STAGES


class OpportunityStageChange(models.Model):
    """One step of an opportunity through the stages, with the amount at that moment.
    The first row of each opportunity has an empty `from_stage` (it was created there)."""

    opportunity = models.ForeignKey(
        Opportunity,
        on_delete=models.CASCADE,
        related_name="stage_changes",
        verbose_name=_("opportunity"),
    )
    from_stage = models.CharField(
        _("from stage"), max_length=20, choices=Stage.choices, blank=True, default=""
    )
    to_stage = models.CharField(_("to stage"), max_length=20, choices=Stage.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    amount = models.DecimalField(_("amount"), default=0, **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    probability = models.PositiveSmallIntegerField(_("probability"), default=0)

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["changed_at", "id"]
        indexes = [
            models.Index(fields=["opportunity", "changed_at"], name="sales_stage_change_idx"),
        ]


class SalesTarget(models.Model):
    """An amount to win in a period, for one person or one owner team.

    Who may reach a target (`sales.selectors.target_list`, `sales.services`):
    - read: the person it is for; members of the owner team it is for; anyone holding
      `view_reports` or `manage_org` at a depth covering the person's or team's unit
      (`unit`, `subtree`, `org`; `own` depth covers nobody else);
    - create, change, delete: anyone holding `manage_org` covering that unit, or a sales
      manager: `view_reports` covering the unit together with `assign` on opportunities
      at a depth covering it. Nobody but a `manage_org` holder sets their own target.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sales_targets",
    )
    team = models.ForeignKey(
        "org.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="sales_targets"
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    description = models.CharField(_("description"), max_length=200, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    modified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    modified_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("sales target")
        verbose_name_plural = _("sales targets")
        ordering = ["-period_start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, team__isnull=True)
                | Q(user__isnull=True, team__isnull=False),
                name="sales_target_one_principal",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="sales_target_period_order"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="sales_target_not_negative"),
        ]
        indexes = [
            models.Index(fields=["user", "period_start"], name="sales_target_user_idx"),
            models.Index(fields=["team", "period_start"], name="sales_target_team_idx"),
        ]

    def __str__(self) -> str:
        who = self.user if self.user_id else self.team
        return f"{who}: {self.period_start}–{self.period_end}"


class LeadSource(models.TextChoices):
    WEB_FORM = "web_form", _("Web form")
    EMAIL_CAMPAIGN = "email_campaign", _("E-mail campaign")
    EVENT = "event", _("Event")
    REFERRAL = "referral", _("Referral")
    PARTNER = "partner", _("Partner")
    OTHER = "other", _("Other")


class LeadRating(models.TextChoices):
    HOT = "hot", _("Hot")
    WARM = "warm", _("Warm")
    COLD = "cold", _("Cold")


class LeadStatus(models.TextChoices):
    NEW = "new", _("New")
    CONTACTED = "contacted", _("Contacted")
    QUALIFIED = "qualified", _("Qualified")
    DISQUALIFIED = "disqualified", _("Disqualified")


# Leads still being worked: they can be contacted, qualified or disqualified.
OPEN_LEAD_STATUSES = (LeadStatus.NEW, LeadStatus.CONTACTED)


class Lead(SecurableModel):
    """Someone who may become a customer: a person, their company and what they are
    interested in. Worked from `new` to `contacted`, then qualified (into an account, a
    contact and an opportunity, linked back here) or disqualified with a reason; a
    disqualified lead can be reopened, a qualified one is final."""

    access_entity = "lead"
    hierarchy_visibility = True

    first_name = models.CharField(_("first name"), max_length=100, blank=True, default="")
    last_name = models.CharField(_("last name"), max_length=100)
    company_name = models.CharField(_("company"), max_length=200, blank=True, default="")
    job_title = models.CharField(_("job title"), max_length=120, blank=True, default="")
    email = models.CharField(_("email"), max_length=254, blank=True, default="", db_index=True)
    # Kept as typed (`phone_raw`) and in E.164 for search and dialing, like contacts.
    phone = models.CharField(_("phone"), max_length=32, blank=True, default="", db_index=True)
    phone_raw = models.CharField(_("phone as entered"), max_length=64, blank=True, default="")
    source = models.CharField(
        _("source"), max_length=20, choices=LeadSource.choices, default=LeadSource.OTHER
    )
    campaign = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        verbose_name=_("campaign"),
    )
    product_line = models.ForeignKey(
        ProductLine,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        verbose_name=_("product line"),
    )
    product_interest = models.CharField(
        _("product interest"), max_length=200, blank=True, default=""
    )
    region = models.CharField(_("region"), max_length=60, blank=True, default="")
    country = models.CharField(_("country"), max_length=2, blank=True, default="")
    rating = models.CharField(
        _("rating"), max_length=10, choices=LeadRating.choices, blank=True, default=""
    )
    status = models.CharField(
        _("status"), max_length=20, choices=LeadStatus.choices, default=LeadStatus.NEW
    )
    disqualify_reason = models.CharField(
        _("disqualify reason"), max_length=500, blank=True, default=""
    )
    first_contacted_at = models.DateTimeField(_("first contacted"), null=True, blank=True)
    qualified_at = models.DateTimeField(_("qualified at"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True, default="")
    external_id = models.CharField(
        _("external id"), max_length=100, blank=True, default="", db_index=True
    )
    # Filled by qualify: what the lead became.
    account = models.ForeignKey(
        "customers.Account",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        verbose_name=_("account"),
    )
    contact = models.ForeignKey(
        "customers.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        verbose_name=_("contact"),
    )
    opportunity = models.ForeignKey(
        Opportunity,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("opportunity"),
    )

    class Meta(SecurableModel.Meta):
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-modified_at", "-id"]
        indexes = [
            *SecurableModel.Meta.indexes,
            models.Index(fields=["status", "modified_at"], name="lead_status_idx"),
            models.Index(fields=["campaign", "status"], name="lead_campaign_idx"),
            models.Index(fields=["created_at"], name="lead_created_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The person's name, or the company when no name was given."""
        return f"{self.first_name} {self.last_name}".strip() or self.company_name

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_LEAD_STATUSES
