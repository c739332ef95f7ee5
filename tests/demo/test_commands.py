from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests import factories
from trellis.org.bootstrap import ensure_root_unit
from trellis.org.models import BusinessUnit, ManagerClosure, User
from trellis.org.roles import BUILTIN_ROLES

PASSWORD = "a-long-enough-password-42"


def run(*args, **options) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def test_demo_prints_one_login_per_role_and_the_password(db):
    output = run("demo", "--users", "0", "--accounts", "20")
    for role in BUILTIN_ROLES:
        assert role in output
    assert "trellis-demo" in output


def test_demo_if_empty_is_a_no_op_the_second_time(db):
    run("demo", "--if-empty", "--users", "0", "--accounts", "20")
    users = User.objects.count()
    output = run("demo", "--if-empty", "--users", "0", "--accounts", "20")
    assert User.objects.count() == users
    assert "already has users" in output


def test_demo_refuses_a_database_that_has_users(db):
    factories.user("someone")
    with pytest.raises(CommandError, match="already has users"):
        run("demo", "--accounts", "5")


def test_init_creates_the_root_unit(db):
    run("init", "--no-static")
    assert BusinessUnit.objects.get(parent__isnull=True).name == "Head Office"


def test_createuser_makes_a_user_with_roles_unit_and_manager(org):
    boss = factories.user("boss", unit=org["jakarta"], roles=["Sales Manager"])
    run(
        "createuser",
        "ayu",
        "--unit=Jakarta",
        "--role=Sales Representative",
        "--role=back office",
        f"--password={PASSWORD}",
        "--reports-to=boss",
        "--email=ayu@example.com",
    )
    ayu = User.objects.get(username="ayu")
    assert ayu.unit == org["jakarta"]
    assert set(ayu.roles.values_list("name", flat=True)) == {"Sales Representative", "Back Office"}
    assert ayu.check_password(PASSWORD)
    assert ManagerClosure.objects.filter(ancestor=boss, descendant=ayu).exists()


def test_createuser_takes_a_unit_id(org):
    run("createuser", "ayu", unit=str(org["milan"].pk), roles=["Partner"], password=PASSWORD)
    assert User.objects.get(username="ayu").unit == org["milan"]


def test_createuser_refuses_an_unknown_unit(org):
    with pytest.raises(CommandError, match="unknown unit 'Atlantis'; units are: Head Office"):
        run("createuser", "ayu", unit="Atlantis", roles=["Executive"], password=PASSWORD)
    assert not User.objects.filter(username="ayu").exists()


def test_createuser_refuses_an_unknown_role(org):
    with pytest.raises(CommandError, match="unknown role 'Wizard'; roles are: Back Office"):
        run("createuser", "ayu", unit="Milan", roles=["Wizard"], password=PASSWORD)


def test_createuser_refuses_an_unknown_manager(org):
    with pytest.raises(CommandError, match="unknown user 'nobody'"):
        run(
            "createuser",
            "ayu",
            unit="Milan",
            roles=["Executive"],
            password=PASSWORD,
            reports_to="nobody",
        )


def test_createuser_refuses_a_weak_password(org):
    with pytest.raises(CommandError, match="password refused"):
        run("createuser", "ayu", unit="Milan", roles=["Executive"], password="short")


def test_createuser_refuses_a_taken_username(org):
    factories.user("ayu")
    with pytest.raises(CommandError, match="'ayu' is taken"):
        run("createuser", "ayu", unit="Milan", roles=["Executive"], password=PASSWORD)


def test_createsuperuser_noinput_makes_a_system_administrator_in_the_root_unit(db, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "boot")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "boot@example.com")
    run("createsuperuser", interactive=False)
    user = User.objects.get(username="boot")
    assert user.unit == ensure_root_unit()
    assert list(user.roles.values_list("name", flat=True)) == ["System Administrator"]
    assert user.check_password(PASSWORD)
