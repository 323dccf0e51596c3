"""Proof by adding: a new role is one record of data (docs/contributing.md, "How to add … A role").

The toy role below, a child-protection service of the Jugendamt that reads the Jugendamt's hints but
works no cases, is declared exactly as a maintainer would declare it in ``accounts/policy.py``;
nothing else is written for it. Everything that follows from the record must then know it: its
group, the pages of the access matrix (each answers as the matrix says, 404 outside its
capabilities and scopes), the hints and the documentation. Removed again, it is gone.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from missimo.accounts import access, policy
from missimo.accounts.policy import AgencyKind, HintVisibility, PropertyVisibility, Role, RoleSpec
from tests.app.test_access_matrix import answer_problems, build_world, matrix_urls

pytestmark = pytest.mark.django_db(databases="__all__")

KINDERSCHUTZ = RoleSpec(
    code="kinderschutz",
    label="Kinderschutz-Fachdienst (Jugendamt)",
    short="KSF",
    agency_kind=AgencyKind.JUGENDAMT,
    capabilities=frozenset(),
    hints=HintVisibility.AGENCY,
    hints_text="Hinweise, auf die das Jugendamt handelt (nur lesen)",
    properties=PropertyVisibility.WITH_OWN_HINTS,
    fields_text="Felder der Hinweise, die das Jugendamt braucht",
    actions_text="Hinweise des Jugendamts lesen",
)


@pytest.fixture
def kinderschutz():
    role = policy.register_role(KINDERSCHUTZ)
    yield role
    policy.unregister_role(KINDERSCHUTZ.code)


def test_a_registered_role_reads_like_the_catalogues_roles(kinderschutz):
    assert Role("kinderschutz") is kinderschutz is Role.KINDERSCHUTZ
    assert kinderschutz in list(Role) and kinderschutz.group_name == "kinderschutz"
    assert kinderschutz.label == "Kinderschutz-Fachdienst (Jugendamt)"
    assert policy.role_can(kinderschutz, policy.Capability.SEE_HINTS)  # follows from its hint scope
    assert not policy.role_can(kinderschutz, policy.Capability.WORK_CASES)
    assert policy.ROLES[kinderschutz].delivered_sources == frozenset()  # the Jugendamt owns no source
    # the documentation gets a column and a row for it
    assert "| KSF |" in access.url_table_markdown()
    assert "Kinderschutz-Fachdienst (Jugendamt) (KSF)" in access.role_table_markdown()
    with pytest.raises(ValueError, match="bereits"):
        policy.register_role(KINDERSCHUTZ)


def test_a_member_of_a_registered_role_gets_every_page_as_the_matrix_says(kinderschutz, make_user):
    world = build_world(make_user)
    user = world.users[kinderschutz]
    assert user.roles == {kinderschutz} and user.groups.get().name == "kinderschutz"
    client = Client()
    client.force_login(user)
    problems: list[str] = []
    for route, page, url, known in matrix_urls(world):
        problems += answer_problems(route, page, url, known, kinderschutz, client, world)
    assert problems == [], "\n".join(problems)

    # What that means: the Jugendamt's hints (the facts it needs), nothing of the Familienkasse, no cases.
    hints = client.get(reverse("runs:hints")).text
    assert world.hint("ABS").name in hints and world.hint("ABS").ref not in hints
    assert world.hint("FK").name not in hints
    assert client.get(reverse("runs:links", kwargs={"pk": world.hint("FK").hint.pk})).status_code == 404
    assert client.get(reverse("casework:case_detail", kwargs={"pk": world.case.pk})).status_code == 404
    assert (
        client.get(reverse("properties:detail", kwargs={"pk": world.hint("FK").prop.pk})).status_code == 404
    )
    assert "Kinderschutz-Fachdienst (Jugendamt)" in client.get(reverse("start")).text


def test_an_unregistered_role_is_gone_and_the_catalogue_stays(make_user):
    role = policy.register_role(KINDERSCHUTZ)
    user = make_user("ksf", role, "Jugendamt", AgencyKind.JUGENDAMT)
    policy.unregister_role("kinderschutz")
    assert "kinderschutz" not in Role and policy.role_of_group("kinderschutz") is None
    with pytest.raises(ValueError):
        Role("kinderschutz")
    fresh = type(user).objects.get(pk=user.pk)
    assert fresh.roles == frozenset()  # the group stays, but it stands for no role
    with pytest.raises(ValueError, match="Katalog"):
        policy.unregister_role("zoll")
