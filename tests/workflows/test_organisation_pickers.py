"""The single-organisation choices are organisation pickers (issue #19): the admission
notice's units, a unit added or replaced on the discharge page, and the deviation's
receiving organisation. Each is one select, grouped by kind and area with reachability
beside each name, whose type-ahead searches only the field's kinds and offers only the
organisations the field lists."""

import re

import pytest
from django.urls import reverse

from coordination.models import Organisation
from tests.factories import MembershipFactory, OrganisationFactory
from workflows.deviations.forms import DeviationCreateForm
from workflows.discharge.forms import (
    AdmissionNoticeForm,
    UnitAddForm,
    UnitAnswerForm,
    UnitReplaceForm,
)

pytestmark = pytest.mark.django_db

SEARCH = "/coordination/organisationer/sok/"


def _select(html):
    return re.search(r"<select[^>]*>", html).group(0)


def test_the_admission_notice_chooses_each_unit_with_a_picker_of_its_kinds():
    bistand = OrganisationFactory(name="Testby biståndsenhet", kind="SOCIALTJANST")
    OrganisationFactory(name="Testby vårdcentral", kind="VARDCENTRAL", reachability="UNKNOWN")
    form = AdmissionNoticeForm()
    social = _select(str(form["socialtjanst"]))
    assert "data-kb-org-picker" in social and "data-kb-only-listed" in social
    assert "multiple" not in social
    assert f'data-kb-search-url="{SEARCH}?kind=SOCIALTJANST&amp;kind=STADSDELSFORVALTNING"' in (
        social
    )
    vardcentral = str(form["vardcentral"])
    assert "kind=VARDCENTRAL&amp;kind=PSYKIATRI_OPPENVARD" in vardcentral
    assert re.search(r'<optgroup label="Vårdcentral – [^"]+">', vardcentral)
    assert "Testby vårdcentral (" in vardcentral and "nåbarhet okänd" in vardcentral
    assert "Testby biståndsenhet" not in vardcentral  # only the field's kinds are listed
    bound = AdmissionNoticeForm(
        {"socialtjanst": bistand.pk, "estimated_discharge_date": "2026-12-10"}
    )
    assert bound.is_valid(), bound.errors
    assert bound.cleaned_data["socialtjanst"] == bistand


def test_units_added_or_replaced_on_the_discharge_page_are_chosen_with_a_picker():
    for form in (UnitAddForm(), UnitReplaceForm()):
        select = _select(str(form["organisation"]))
        assert "data-kb-org-picker" in select and "multiple" not in select
        assert "kind=SOCIALTJANST" in select and "kind=VARDCENTRAL" in select
    # Forwarding a notice to another kommun stays a plain select with its own empty choice.
    answer = UnitAnswerForm(role="SOCIALTJANST")
    assert "data-kb-org-picker" not in str(answer["forward_to"])


def test_the_deviation_names_the_receiving_organisation_with_a_picker():
    receiver = OrganisationFactory(name="Testby hemtjänst", kind="HEMTJANST")
    form = DeviationCreateForm(
        reporters=Organisation.objects.filter(pk=receiver.pk),
        receivers=Organisation.objects.filter(pk=receiver.pk),
    )
    select = _select(str(form["receiving_organisation"]))
    assert "data-kb-org-picker" in select and "data-kb-only-listed" in select
    assert f'data-kb-search-url="{SEARCH}"' in select  # any kind the list holds
    assert "Testby hemtjänst (" in str(form["receiving_organisation"])


def test_the_search_answers_for_several_kinds(client):
    OrganisationFactory(name="Testby biståndsenhet", kind="SOCIALTJANST")
    OrganisationFactory(name="Testby stadsdelsförvaltning", kind="STADSDELSFORVALTNING")
    OrganisationFactory(name="Testby vårdcentral", kind="VARDCENTRAL")
    client.force_login(MembershipFactory().user)
    url = reverse("coordination:organisation_search")
    names = [
        row["name"]
        for row in client.get(
            url, {"q": "testby", "kind": ["SOCIALTJANST", "STADSDELSFORVALTNING", "NOPE"]}
        ).json()["results"]
    ]
    assert names == ["Testby biståndsenhet", "Testby stadsdelsförvaltning"]
    one = client.get(url, {"q": "testby", "kind": "VARDCENTRAL"}).json()["results"]
    assert [row["name"] for row in one] == ["Testby vårdcentral"]
    every = client.get(url, {"q": "testby"}).json()["results"]
    assert len(every) == 3
