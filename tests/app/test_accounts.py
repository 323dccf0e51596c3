import dataclasses

import pytest
from django.contrib.auth.models import Group

from missimo.accounts import policy
from missimo.accounts.policy import Capability, Role

pytestmark = pytest.mark.django_db(databases="__all__")


def test_every_role_exists_as_a_group_named_by_its_code_after_migration():
    names = set(Group.objects.values_list("name", flat=True))
    assert {role.value for role in Role} <= names
    assert not {str(role.label) for role in Role if role.label != role.value} & names


def test_a_role_is_found_by_its_code_so_a_new_label_loses_no_member(kim, monkeypatch):
    kim._roles_cache = None
    relabelled = dataclasses.replace(policy.ROLES[Role.KOORDINIERUNG], label="Koordinierung (neu benannt)")
    monkeypatch.setitem(policy.ROLES, Role.KOORDINIERUNG, relabelled)
    assert kim.roles == {Role.KOORDINIERUNG}
    assert policy.role_labels(kim) == ["Koordinierung (neu benannt)"]


def test_passwords_are_hashed_with_argon2(kim):
    assert kim.password.startswith("argon2")


def test_a_users_roles_come_from_group_membership(kim):
    assert kim.roles == {Role.KOORDINIERUNG}
    assert policy.can(kim, Capability.START_RUN)
    assert not policy.can(kim, Capability.VERIFY_CERTIFICATES)


def test_a_user_belongs_to_an_agency(fabian):
    assert fabian.agency.name == "Familienkasse"


def test_demo_accounts_cover_every_role_and_keep_their_passwords(settings, tmp_path):
    from missimo.demo import ensure_demo_accounts

    settings.DATA_DIR = tmp_path
    first = ensure_demo_accounts()
    second = ensure_demo_accounts()
    assert {a.role_label for a in first} == {str(role.label) for role in Role}
    assert [(a.username, a.password) for a in first] == [(a.username, a.password) for a in second]
    assert oct((tmp_path / "demo-accounts.json").stat().st_mode & 0o777) == "0o600"
