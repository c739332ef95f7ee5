"""The Admin area: business units, users, teams, security roles, access-team templates.

Who sees what: units, users and teams need manage_org and list only what it reaches
(a subtree admin manages only their subtree; anything outside answers 404 like a missing
record). Roles and templates need manage_roles. The Admin home needs any admin privilege.
Every change goes through org.services (checked, one transaction, audited); refusals are
shown on the form, never as a 500.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from trellis.access.preview import PREVIEW_USER_LIMIT, role_change_preview
from trellis.core.errors import TrellisError
from trellis.org import selectors, services
from trellis.org.forms import (
    MemberAddForm,
    RoleCopyForm,
    RoleForm,
    TeamForm,
    TemplateForm,
    UnitCreateForm,
    UnitMoveForm,
    UnitRenameForm,
    UserFilterForm,
    UserForm,
    add_service_error,
    skills_text,
)
from trellis.org.models import AccessTeamTemplate, SecurityRole, Team, TeamKind, User
from trellis.org.roles import ACTIONS, ORG

ADMIN_PRIVILEGES = ("manage_org", "manage_roles", "manage_routing", "manage_settings")

# (privilege, url name, label, what it is for) — each link shows only with its privilege.
ADMIN_LINKS = (
    (
        "manage_org",
        "web:admin_units",
        gettext_lazy("Business units"),
        gettext_lazy("The organization tree: create, rename, move and delete units."),
    ),
    (
        "manage_org",
        "web:admin_users",
        gettext_lazy("Users"),
        gettext_lazy("People: unit, manager, roles, teams, skills, capacity, out of office."),
    ),
    (
        "manage_org",
        "web:admin_teams",
        gettext_lazy("Teams"),
        gettext_lazy("Owner teams with their roles and members; access teams of records."),
    ),
    (
        "manage_roles",
        "web:admin_roles",
        gettext_lazy("Security roles"),
        gettext_lazy("Who may do what on which records, and at which depth."),
    ),
    (
        "manage_roles",
        "web:admin_templates",
        gettext_lazy("Access-team templates"),
        gettext_lazy("The rights members of a record's access team get."),
    ),
    (
        "manage_routing",
        "web:routing_rules",
        gettext_lazy("Routing rules"),
        gettext_lazy("Who gets new leads and cases."),
    ),
    (
        "manage_routing",
        "web:sla_policy_list",
        gettext_lazy("SLA policies"),
        gettext_lazy("First-response and resolution targets per priority."),
    ),
)


def _require(request: HttpRequest, privilege: str) -> None:
    if not selectors.has_privilege(request.user, privilege):
        raise PermissionDenied(
            _("This page needs the %(privilege)s privilege.") % {"privilege": privilege}
        )


def _get(queryset: QuerySet, pk: int) -> Any:
    """A record among those the admin manages; anything else is 404, like a missing one."""
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def _grantable_roles(user: User) -> QuerySet[SecurityRole]:
    """Roles the admin may grant or revoke: all with org-wide manage_roles, else their own."""
    if _may_edit_roles(user):
        return SecurityRole.objects.all()
    return SecurityRole.objects.filter(users=user)


def _may_edit_roles(user: User) -> bool:
    """Editing an existing role changes every holder's reach, so it needs org-wide scope."""
    return selectors.privilege_depth(user, "manage_roles") >= ORG


# Admin home -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD"])
def admin_home(request: HttpRequest) -> HttpResponse:
    """Links to every admin page the user's privileges open."""
    held = selectors.held_privileges(request.user).intersection(ADMIN_PRIVILEGES)
    if not held:
        raise PermissionDenied(_("The Admin area needs an administration privilege."))
    links = [
        (name, label, text) for privilege, name, label, text in ADMIN_LINKS if privilege in held
    ]
    return render(request, "org/admin_home.html", {"links": links})


# Units ------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def admin_units(request: HttpRequest) -> HttpResponse:
    """The units the user manages, with the people in each, and a form to add a unit."""
    _require(request, "manage_org")
    units = selectors.managed_units(request.user)
    form = UnitCreateForm(request.POST or None, units=units)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                unit = services.unit_create(
                    request.user,
                    name=form.cleaned_data["name"],
                    parent=form.cleaned_data["parent"],
                    description=form.cleaned_data["description"],
                )
            except TrellisError as exc:
                status = add_service_error(form, exc)
            else:
                messages.success(request, _("Unit %(name)s is created.") % {"name": unit.name})
                return redirect("web:admin_units")
        else:
            status = 400
    context = {"nodes": selectors.managed_unit_tree(request.user), "form": form}
    return render(request, "org/admin_units.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def unit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename, move or delete one managed unit; each form posts with its own `op`."""
    _require(request, "manage_org")
    units = selectors.managed_units(request.user)
    unit = _get(units, pk)
    # A unit moves only under a managed unit outside its own subtree.
    targets = units.exclude(path__startswith=unit.path)
    op = request.POST.get("op") if request.method == "POST" else None
    rename = UnitRenameForm(
        request.POST if op == "rename" else None,
        initial={"name": unit.name, "description": unit.description},
    )
    move = UnitMoveForm(
        request.POST if op == "move" else None, units=targets, initial={"parent": unit.parent_id}
    )
    delete_error, status = None, 200
    if op == "delete":
        try:
            services.unit_delete(request.user, unit=unit)
        except TrellisError as exc:
            delete_error, status = exc.detail, exc.status
        else:
            messages.success(request, _("Unit %(name)s is deleted.") % {"name": unit.name})
            return redirect("web:admin_units")
    elif op in {"rename", "move"}:
        form = rename if op == "rename" else move
        if form.is_valid():
            try:
                services.unit_update(
                    request.user,
                    unit=unit,
                    version=_version(request),
                    **form.cleaned_data,
                )
            except TrellisError as exc:
                status = add_service_error(form, exc)
            else:
                messages.success(request, _("The unit is saved."))
                return redirect("web:admin_unit_edit", pk=unit.pk)
        else:
            status = 400
    elif op is not None:
        status = 400
    context = {"unit": unit, "rename": rename, "move": move, "delete_error": delete_error}
    return render(request, "org/unit_edit.html", context, status=status)


def _version(request: HttpRequest) -> int | None:
    value = request.POST.get("version", "")
    return int(value) if value.isdigit() else None


# Users ------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD"])
def user_list(request: HttpRequest) -> HttpResponse:
    """The people the admin manages: search by name, filter by unit, role and status."""
    _require(request, "manage_org")
    form = UserFilterForm(
        request.GET or None,
        units=selectors.managed_units(request.user),
        roles=selectors.roles_for(request.user),
    )
    people = selectors.managed_users(request.user).order_by("username")
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            q = data["q"]
            people = people.filter(
                Q(username__icontains=q)
                | Q(first_name__icontains=q)
                | Q(last_name__icontains=q)
                | Q(email__icontains=q)
            )
        if data["unit"]:
            people = people.filter(unit=data["unit"])
        if data["role"]:
            people = people.filter(roles=data["role"])
        if data["active"]:
            people = people.filter(is_active=data["active"] == "yes")
    status = 400 if form.is_bound and not form.is_valid() else 200
    context = {"form": form, "people": people[:500]}
    return render(request, "org/user_list.html", context, status=status)


def _user_form(request: HttpRequest, person: User | None) -> UserForm:
    units = selectors.managed_units(request.user)
    managed = selectors.managed_users(request.user).filter(is_active=True)
    managers = User.objects.filter(
        Q(pk__in=managed.values("pk"))
        | Q(pk=request.user.pk)
        | Q(pk=getattr(person, "reports_to_id", None) or 0)
    ).select_related("unit")
    if person is not None:
        managers = managers.exclude(pk=person.pk)
    teams = selectors.managed_teams(request.user).filter(kind=TeamKind.OWNER)
    initial: dict[str, Any] = {"capacity": 20, "is_active": True}
    if person is not None:
        initial = {
            "username": person.username,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "email": person.email,
            "title": person.title,
            "unit": person.unit_id,
            "reports_to": person.reports_to_id,
            "job_class": person.job_class,
            "user_type": person.user_type,
            "capacity": person.capacity,
            "languages": ", ".join(person.languages or []),
            "region": person.region,
            "skills": skills_text(person),
            "roles": list(person.roles.values_list("pk", flat=True)),
            "teams": list(person.memberships.values_list("team_id", flat=True)),
            "is_out_of_office": person.is_out_of_office,
            "is_active": person.is_active,
        }
    form = UserForm(
        request.POST or None,
        initial=initial,
        units=units,
        managers=managers,
        roles=_grantable_roles(request.user),
        teams=teams,
    )
    if person is not None:
        # A username is who someone is in the audit log; it is not renamed here.
        form.fields["username"].disabled = True
    return form


def _save_user(request: HttpRequest, form: UserForm, person: User | None) -> User:
    """One transaction: the person, then the roles and teams the admin may change."""
    data = form.cleaned_data
    with transaction.atomic():
        if person is None:
            person = services.user_create(
                request.user,
                username=data["username"],
                unit=data["unit"],
                reports_to=data["reports_to"],
                password=data["password"] or None,
                **form.profile(),
            )
        else:
            person = services.user_update(
                request.user,
                user=person,
                version=_version(request),
                unit=data["unit"],
                reports_to=data["reports_to"],
                password=data["password"] or None,
                **form.profile(),
            )
        grantable = set(form.fields["roles"].queryset.values_list("pk", flat=True))
        held = set(person.roles.filter(pk__in=grantable).values_list("pk", flat=True))
        chosen = {role.pk for role in data["roles"]}
        for role in SecurityRole.objects.filter(pk__in=chosen - held).order_by("pk"):
            services.user_grant_role(request.user, user=person, role=role)
        for role in SecurityRole.objects.filter(pk__in=held - chosen).order_by("pk"):
            services.user_revoke_role(request.user, user=person, role=role)
        offered = set(form.fields["teams"].queryset.values_list("pk", flat=True))
        member_of = set(
            person.memberships.filter(team_id__in=offered).values_list("team_id", flat=True)
        )
        wanted = {team.pk for team in data["teams"]}
        for team in Team.objects.filter(pk__in=wanted - member_of).order_by("pk"):
            services.team_member_add(request.user, team=team, user=person)
        for team in Team.objects.filter(pk__in=member_of - wanted).order_by("pk"):
            services.team_member_remove(request.user, team=team, user=person)
        current = {s.skill.name: s.level for s in person.skills.select_related("skill")}
        if data["skills"] != current:
            services.user_set_skills(request.user, user=person, skills=data["skills"])
    return person


def _user_page(request: HttpRequest, person: User | None) -> HttpResponse:
    form = _user_form(request, person)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = _save_user(request, form, person)
            except TrellisError as exc:
                status = add_service_error(form, exc)
            else:
                messages.success(request, _("%(name)s is saved.") % {"name": saved.username})
                return redirect("web:admin_user_edit", pk=saved.pk)
        else:
            status = 400
    # Roles held that this admin may not change are shown, read-only, beside the form.
    other_roles = (
        person.roles.exclude(pk__in=form.fields["roles"].queryset.values("pk")) if person else []
    )
    context = {"form": form, "person": person, "other_roles": other_roles}
    return render(request, "org/user_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def user_create(request: HttpRequest) -> HttpResponse:
    _require(request, "manage_org")
    return _user_page(request, None)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "manage_org")
    return _user_page(request, _get(selectors.managed_users(request.user), pk))


# Teams ------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD"])
def team_list(request: HttpRequest) -> HttpResponse:
    """Owner teams the admin manages; access teams of the same units, read-only."""
    _require(request, "manage_org")
    teams = selectors.managed_teams(request.user).select_related("leader").order_by("name")
    context = {
        "owner_teams": teams.filter(kind=TeamKind.OWNER).prefetch_related("members"),
        "access_teams": teams.filter(kind=TeamKind.ACCESS)
        .select_related("template", "record_type")
        .prefetch_related("members")[:200],
    }
    return render(request, "org/team_list.html", context)


def _team_form(request: HttpRequest, team: Team | None, *, bound: bool) -> TeamForm:
    initial = None
    if team is not None:
        initial = {
            "name": team.name,
            "unit": team.unit_id,
            "leader": team.leader_id,
            "description": team.description,
            "roles": list(team.roles.values_list("pk", flat=True)),
        }
    return TeamForm(
        request.POST if bound else None,
        initial=initial,
        units=selectors.managed_units(request.user),
        people=selectors.managed_users(request.user).filter(is_active=True),
        roles=_grantable_roles(request.user),
    )


def _save_team(request: HttpRequest, form: TeamForm, team: Team | None) -> Team:
    data = form.cleaned_data
    fields = {
        "name": data["name"],
        "unit": data["unit"],
        "leader": data["leader"],
        "description": data["description"],
    }
    with transaction.atomic():
        if team is None:
            return services.team_create(request.user, roles=data["roles"], **fields)
        team = services.team_update(request.user, team=team, version=_version(request), **fields)
        grantable = set(form.fields["roles"].queryset.values_list("pk", flat=True))
        held = set(team.roles.filter(pk__in=grantable).values_list("pk", flat=True))
        chosen = {role.pk for role in data["roles"]}
        for role in SecurityRole.objects.filter(pk__in=chosen - held).order_by("pk"):
            services.team_grant_role(request.user, team=team, role=role)
        for role in SecurityRole.objects.filter(pk__in=held - chosen).order_by("pk"):
            services.team_revoke_role(request.user, team=team, role=role)
    return team


def _team_page(request: HttpRequest, team: Team | None) -> HttpResponse:
    op = request.POST.get("op", "save") if request.method == "POST" else None
    form = _team_form(request, team, bound=op == "save")
    people = selectors.managed_users(request.user).filter(is_active=True)
    member_form = MemberAddForm(request.POST if op == "add_member" else None, people=people)
    status = 200
    if op == "save":
        if form.is_valid():
            try:
                saved = _save_team(request, form, team)
            except TrellisError as exc:
                status = add_service_error(form, exc)
            else:
                messages.success(request, _("Team %(name)s is saved.") % {"name": saved.name})
                return redirect("web:admin_team_edit", pk=saved.pk)
        else:
            status = 400
    elif op == "add_member" and team is not None:
        if member_form.is_valid():
            try:
                services.team_member_add(request.user, team=team, **member_form.cleaned_data)
            except TrellisError as exc:
                status = add_service_error(member_form, exc)
            else:
                return redirect("web:admin_team_edit", pk=team.pk)
        else:
            status = 400
    elif op is not None:
        status = 400
    members = team.memberships.select_related("user").order_by("user__username") if team else []
    context = {"form": form, "team": team, "member_form": member_form, "members": members}
    return render(request, "org/team_form.html", context, status=status)


def _managed_owner_team(request: HttpRequest, pk: int) -> Team:
    return _get(selectors.managed_teams(request.user).filter(kind=TeamKind.OWNER), pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def team_create(request: HttpRequest) -> HttpResponse:
    _require(request, "manage_org")
    return _team_page(request, None)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def team_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "manage_org")
    return _team_page(request, _managed_owner_team(request, pk))


@login_required
@require_POST
def team_member_remove(request: HttpRequest, pk: int, user_pk: int) -> HttpResponse:
    _require(request, "manage_org")
    team = _managed_owner_team(request, pk)
    member = _get(User.objects.filter(memberships__team=team), user_pk)
    try:
        services.team_member_remove(request.user, team=team, user=member)
    except TrellisError as exc:
        messages.error(request, exc.detail)
    return redirect("web:admin_team_edit", pk=team.pk)


# Security roles ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def role_list(request: HttpRequest) -> HttpResponse:
    """Every role with how many people and teams hold it; POST copies one."""
    _require(request, "manage_roles")
    copy_form, copy_of, status = RoleCopyForm(), None, 200
    if request.method == "POST":
        role_id = request.POST.get("role", "")
        copy_of = _get(selectors.roles_for(request.user), int(role_id) if role_id.isdigit() else 0)
        copy_form = RoleCopyForm(request.POST)
        if copy_form.is_valid():
            try:
                copy = services.role_copy(
                    request.user, role=copy_of, name=copy_form.cleaned_data["name"]
                )
            except TrellisError as exc:
                status = add_service_error(copy_form, exc)
            else:
                messages.success(request, _("Role %(name)s is created.") % {"name": copy.name})
                return redirect("web:admin_role_edit", pk=copy.pk)
        else:
            status = 400
    roles = selectors.roles_for(request.user).prefetch_related("users", "teams")
    context = {"roles": roles, "copy_form": copy_form, "copy_of": copy_of}
    return render(request, "org/role_list.html", context, status=status)


def _role_page(request: HttpRequest, role: SecurityRole | None) -> HttpResponse:
    form = RoleForm(request.POST or None, role=role)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            fields = {
                "name": form.cleaned_data["name"],
                "description": form.cleaned_data["description"],
                "permissions": form.permissions(),
                "privileges": form.privileges(),
            }
            try:
                if role is None:
                    saved = services.role_create(request.user, **fields)
                else:
                    saved = services.role_update(
                        request.user, role=role, version=_version(request), **fields
                    )
            except TrellisError as exc:
                status = add_service_error(form, exc)
            else:
                messages.success(request, _("Role %(name)s is saved.") % {"name": saved.name})
                return redirect("web:admin_role_edit", pk=saved.pk)
        else:
            status = 400
    context = {
        "form": form,
        "role": role,
        "actions": ACTIONS,
        "limit": PREVIEW_USER_LIMIT,
        "may_preview": role is not None and not role.full_access and _may_edit_roles(request.user),
    }
    return render(request, "org/role_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def role_create(request: HttpRequest) -> HttpResponse:
    _require(request, "manage_roles")
    return _role_page(request, None)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def role_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "manage_roles")
    return _role_page(request, _get(selectors.roles_for(request.user), pk))


@login_required
@require_POST
def role_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The HTMX fragment: per holder and entity, readable records now vs with the edit.
    Only for those who may save the edit (org-wide manage_roles): the counts reach into
    the whole organization."""
    if not _may_edit_roles(request.user):
        raise PermissionDenied(_("Previewing a role edit needs manage_roles for the organization."))
    role = _get(selectors.roles_for(request.user), pk)
    form = RoleForm(request.POST, role=role)
    if role.full_access:
        return render(request, "org/_role_preview.html", {"full_access": True})
    if not form.is_valid():
        return render(request, "org/_role_preview.html", {"form": form}, status=400)
    preview = role_change_preview(
        role, permissions=form.permissions(), privileges=form.privileges()
    )
    return render(request, "org/_role_preview.html", {"preview": preview})


# Access-team templates --------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD"])
def template_list(request: HttpRequest) -> HttpResponse:
    _require(request, "manage_roles")
    templates = AccessTeamTemplate.objects.order_by("name")
    return render(request, "org/template_list.html", {"templates": templates})


def _template_page(request: HttpRequest, template: AccessTeamTemplate | None) -> HttpResponse:
    initial = None
    if template is not None:
        initial = {
            "name": template.name,
            "entity": template.entity,
            "rights": template.rights,
            "description": template.description,
        }
    form = TemplateForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                if template is None:
                    services.template_create(request.user, **form.cleaned_data)
                else:
                    services.template_update(request.user, template=template, **form.cleaned_data)
            except TrellisError as exc:
                status = add_service_error(form, exc)
            else:
                messages.success(request, _("The template is saved."))
                return redirect("web:admin_templates")
        else:
            status = 400
    context = {"form": form, "template": template}
    return render(request, "org/template_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def template_create(request: HttpRequest) -> HttpResponse:
    _require(request, "manage_roles")
    return _template_page(request, None)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "manage_roles")
    return _template_page(request, _get(AccessTeamTemplate.objects.all(), pk))


@login_required
@require_POST
def template_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "manage_roles")
    template = _get(AccessTeamTemplate.objects.all(), pk)
    try:
        services.template_delete(request.user, template=template)
    except TrellisError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("The template is deleted."))
    return redirect("web:admin_templates")
