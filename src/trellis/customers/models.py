"""Customers: accounts (and, later, contacts)."""

from __future__ import annotations

import copy

from django.db import models
from django.utils.translation import gettext_lazy as _

from trellis.access.models import SecurableModel


class Tier(models.TextChoices):
    KEY = "key", _("Key account")
    STANDARD = "standard", _("Standard")


class SizeSegment(models.TextChoices):
    SMALL = "small", _("Small (under 50 employees)")
    MEDIUM = "medium", _("Medium (50-249)")
    LARGE = "large", _("Large (250-999)")
    ENTERPRISE = "enterprise", _("Enterprise (1000+)")


def segment_for(employees: int | None) -> str:
    """The size segment that follows from a head count."""
    if employees is None:
        return ""
    if employees < 50:
        return SizeSegment.SMALL
    if employees < 250:
        return SizeSegment.MEDIUM
    if employees < 1000:
        return SizeSegment.LARGE
    return SizeSegment.ENTERPRISE


def _unindexed(name: str) -> models.Field:
    """SecurableModel's field `name` as it is, but without a one-column index of its own:
    for the owner columns a composite index of SecurableModel.Meta begins with the column
    and serves every lookup, and each extra index is written for every imported row."""
    # A deep copy, as Django takes an abstract parent's fields into each child.
    field = copy.deepcopy(next(f for f in SecurableModel._meta.local_fields if f.name == name))
    field.db_index = False
    return field


class Account(SecurableModel):
    """A customer organization: the central record everyone works from."""

    access_entity = "account"
    hierarchy_visibility = True

    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        verbose_name=_("parent account"),
    )
    industry = models.CharField(_("industry"), max_length=80, blank=True, default="")
    size_segment = models.CharField(
        _("size segment"), max_length=20, choices=SizeSegment.choices, blank=True, default=""
    )
    region = models.CharField(_("region"), max_length=60, blank=True, default="")
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices, default=Tier.STANDARD)
    annual_revenue = models.DecimalField(
        _("annual revenue"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    website = models.CharField(_("website"), max_length=200, blank=True, default="")
    phone = models.CharField(_("phone"), max_length=40, blank=True, default="")
    email = models.CharField(_("email"), max_length=254, blank=True, default="")
    street = models.CharField(_("street"), max_length=200, blank=True, default="")
    city = models.CharField(_("city"), max_length=100, blank=True, default="")
    state = models.CharField(_("state / province"), max_length=100, blank=True, default="")
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True, default="")
    country = models.CharField(_("country"), max_length=2, blank=True, default="")
    description = models.TextField(_("description"), blank=True, default="")
    external_id = models.CharField(
        _("external id"), max_length=100, blank=True, default="", db_index=True
    )

    class Meta(SecurableModel.Meta):
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["-modified_at", "-id"]

    def __str__(self) -> str:
        return self.name


class Contact(SecurableModel):
    """A person at (usually) an account: how to reach them and what they agreed to."""

    access_entity = "contact"
    hierarchy_visibility = True

    # The owner columns without their own one-column indexes (see `_unindexed`).
    owner_user = _unindexed("owner_user")
    owner_team = _unindexed("owner_team")
    owning_unit = _unindexed("owning_unit")
    account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
        verbose_name=_("account"),
    )
    first_name = models.CharField(_("first name"), max_length=100, blank=True, default="")
    last_name = models.CharField(_("last name"), max_length=100)
    job_title = models.CharField(_("job title"), max_length=120, blank=True, default="")
    email = models.CharField(_("email"), max_length=254, blank=True, default="", db_index=True)
    # Further addresses beyond the primary one: ["a@example.com", ...]
    other_emails = models.JSONField(_("other emails"), default=list, blank=True)
    # Phones are kept as typed (`*_raw`) and normalized to E.164 for search and dialing.
    # Not indexed: the only query on them is a digits-anywhere search (LIKE '%...%'),
    # which a B-tree index cannot serve.
    phone = models.CharField(_("phone"), max_length=32, blank=True, default="")
    phone_raw = models.CharField(_("phone as entered"), max_length=64, blank=True, default="")
    mobile = models.CharField(_("mobile"), max_length=32, blank=True, default="")
    mobile_raw = models.CharField(_("mobile as entered"), max_length=64, blank=True, default="")
    street = models.CharField(_("street"), max_length=200, blank=True, default="")
    city = models.CharField(_("city"), max_length=100, blank=True, default="")
    state = models.CharField(_("state / province"), max_length=100, blank=True, default="")
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True, default="")
    country = models.CharField(_("country"), max_length=2, blank=True, default="")
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, blank=True, default=""
    )
    consent_email = models.BooleanField(_("agreed to e-mail"), default=False)
    consent_phone = models.BooleanField(_("agreed to calls"), default=False)
    consent_sms = models.BooleanField(_("agreed to text messages"), default=False)
    consent_updated_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    description = models.TextField(_("description"), blank=True, default="")
    external_id = models.CharField(
        _("external id"), max_length=100, blank=True, default="", db_index=True
    )

    class Meta(SecurableModel.Meta):
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-modified_at", "-id"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()
