"""The organization: business units, users, teams, security roles, skills."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class BusinessUnit(models.Model):
    """A node of the organization tree. `path` is the materialized path of ids ("/1/4/9/")."""

    name = models.CharField(_("name"), max_length=120)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    description = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    modified_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("business unit")
        verbose_name_plural = _("business units")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="org_unit_unique_name_per_parent"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_root(self) -> bool:
        return self.parent_id is None

    def is_within(self, other: BusinessUnit) -> bool:
        """True when this unit is `other` or below it."""
        return self.path.startswith(other.path)


class JobClass(models.TextChoices):
    FRONT_OFFICE = "front_office", _("Front office")
    BACK_OFFICE = "back_office", _("Back office")
    COMMERCIAL = "commercial", _("Business / commercial contact")


class UserType(models.TextChoices):
    INTERNAL = "internal", _("Internal")
    PARTNER = "partner", _("Partner")


class TrellisUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        """Superusers are System Administrators in the root unit (made here if missing)."""
        from trellis.org.bootstrap import ensure_root_unit, system_admin_role

        extra_fields.setdefault("unit", ensure_root_unit())
        user = super().create_superuser(username, email, password, **extra_fields)
        user.roles.add(system_admin_role())
        from trellis.org.closure import rebuild_for

        rebuild_for(user)
        return user


class User(AbstractUser):
    """A person who signs in. Belongs to exactly one unit; may report to a manager."""

    unit = models.ForeignKey(
        BusinessUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    reports_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="direct_reports"
    )
    job_class = models.CharField(
        _("job class"), max_length=20, choices=JobClass.choices, default=JobClass.FRONT_OFFICE
    )
    user_type = models.CharField(
        _("user type"), max_length=10, choices=UserType.choices, default=UserType.INTERNAL
    )
    title = models.CharField(_("job title"), max_length=120, blank=True, default="")
    phone = models.CharField(_("phone"), max_length=40, blank=True, default="")
    capacity = models.PositiveIntegerField(
        _("capacity"), default=20, help_text=_("Most open work items this person should hold.")
    )
    languages = models.JSONField(_("languages"), default=list, blank=True)
    region = models.CharField(_("region"), max_length=60, blank=True, default="")
    is_out_of_office = models.BooleanField(_("out of office"), default=False)
    ui_language = models.CharField(_("interface language"), max_length=10, blank=True, default="")
    roles = models.ManyToManyField("SecurityRole", blank=True, related_name="users")
    modified_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    objects = TrellisUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_partner(self) -> bool:
        return self.user_type == UserType.PARTNER


class Skill(models.Model):
    name = models.CharField(max_length=80, unique=True)

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserSkill(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="skills")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="holders")
    level = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )

    class Meta:
        verbose_name = _("skill level")
        verbose_name_plural = _("skill levels")
        constraints = [
            models.UniqueConstraint(fields=["user", "skill"], name="org_userskill_unique")
        ]


class ManagerClosure(models.Model):
    """Every (manager above, person below) pair of the reports_to chain, depth >= 1."""

    ancestor = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    descendant = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    depth = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ancestor", "descendant"], name="org_closure_unique")
        ]
        indexes = [models.Index(fields=["descendant"], name="org_closure_desc_idx")]


class SecurityRole(models.Model):
    """A set of rights: per entity and action a depth, plus global privileges (JSON)."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    description = models.TextField(blank=True, default="")
    is_builtin = models.BooleanField(default=False, editable=False)
    full_access = models.BooleanField(
        default=False, help_text=_("Every right on every record (System Administrator).")
    )
    # {"account": {"read": "unit", ...}, ...}
    permissions = models.JSONField(default=dict, blank=True)
    # {"manage_org": "subtree", ...}
    privileges = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    modified_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("security role")
        verbose_name_plural = _("security roles")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TeamKind(models.TextChoices):
    OWNER = "owner", _("Owner team")
    ACCESS = "access", _("Access team")


class AccessTeamTemplate(models.Model):
    """Names the rights members of a record's access team get (e.g. "Deal team": read, write)."""

    name = models.CharField(max_length=80, unique=True)
    entity = models.CharField(max_length=40)
    rights = models.JSONField(default=list)
    description = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = _("access team template")
        verbose_name_plural = _("access team templates")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    """Owner teams own records and carry roles; access teams give rights on one record."""

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(max_length=10, choices=TeamKind.choices, default=TeamKind.OWNER)
    unit = models.ForeignKey(BusinessUnit, on_delete=models.PROTECT, related_name="teams")
    description = models.TextField(blank=True, default="")
    roles = models.ManyToManyField(SecurityRole, blank=True, related_name="teams")
    members = models.ManyToManyField(User, through="TeamMembership", related_name="teams")
    # Owner teams: who hears about work nobody can take and takes escalations (routing, SLA).
    leader = models.ForeignKey(
        User,
        verbose_name=_("team leader"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="teams_led",
    )
    # Access teams only: the template and the record they belong to.
    template = models.ForeignKey(
        AccessTeamTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="teams"
    )
    record_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    record_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    modified_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "record_type", "record_id"],
                condition=Q(kind="access"),
                name="org_team_one_access_team_per_record_template",
            ),
            models.UniqueConstraint(
                fields=["unit", "name"], condition=Q(kind="owner"), name="org_team_unique_name"
            ),
        ]
        indexes = [models.Index(fields=["record_type", "record_id"], name="org_team_record_idx")]

    def __str__(self) -> str:
        return self.name


class TeamMembership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    expires_at = models.DateTimeField(null=True, blank=True)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("team membership")
        verbose_name_plural = _("team memberships")
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="org_membership_unique")
        ]
        indexes = [models.Index(fields=["user", "team"], name="org_membership_user_idx")]

    @property
    def is_active(self) -> bool:
        return self.expires_at is None or self.expires_at > timezone.now()


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 is stored; revoked or expired tokens stop working."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    name = models.CharField(max_length=80, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)


class LoginThrottle(models.Model):
    """Failed sign-in attempts per key (a username or a client address) in the current window."""

    key = models.CharField(max_length=200, unique=True)
    failures = models.PositiveIntegerField(default=0)
    window_start = models.DateTimeField(default=timezone.now)
