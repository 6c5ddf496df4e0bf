"""The region's view: every kommun's month side by side, with the county's trend."""

from django.urls import reverse

from .conftest import local, make_episode
from .test_invoice_basis import client_for, november  # noqa: F401 (fixture)


def test_region_sees_every_kommun_with_episodes(world, november):  # noqa: F811
    make_episode(
        world,
        social=world.other_social,
        sent_at=local(2022, 11, 3, 9, 0),
        discharged_at=local(2022, 11, 4, 9, 0),
    )
    page = client_for(world.nurse).get(reverse("oversight:region"), {"month": "2022-11"})
    assert page.status_code == 200
    bases = {b.kommun.name: b for b in page.context["bases"]}
    assert set(bases) == {"Teststad", "Annanstad"}
    assert bases["Teststad"].sections[0].amount_sek == 37_200
    other = bases["Annanstad"].sections[0]
    # Two Annanstad episodes: 10 and 1 days, level 2 → 7 days above.
    assert other.settlement.days == 11 and other.settlement.days_above == 7
    text = page.content.decode()
    assert text.count("<svg") == 2
    assert "Teststad" in text and "Annanstad" in text


def test_region_view_is_for_the_region_side_only(world):
    url = reverse("oversight:region")
    assert client_for(world.mas).get(url).status_code == 403
    assert client_for(world.handlaggare).get(url).status_code == 403
    assert client_for(world.admin).get(url).status_code == 200
    bad = client_for(world.admin).get(url, {"month": "2022-13"})
    assert bad.status_code == 400
