"""The indicators are counted in SQL (``selectors._indicator_figures``); the invoice
basis reads the same episodes in Python (``selectors.episodes``). On generated cases —
notices around the noon cut-off and midnight, across the change to summer time and the
new year, revoked and reissued notices, forwarded, replaced and rejecting units, a
municipal health care unit alone, a unit in another kommun, a year counted in working
days — both give the same figures."""

import datetime as dt
import random
from collections import defaultdict

from coordination.clock import local_date
from coordination.models import Area
from oversight import selectors
from tests.factories import AreaFactory, OrganisationFactory
from tests.workflows.discharge.factories import SocialtjanstFactory
from workflows.discharge.models import DischargeUnit, PaymentAgreement

from .conftest import local, make_episode

MONTHS = [dt.date(2022, m, 1) for m in range(2, 13)] + [dt.date(2023, 1, 1)]


def python_figures(kommuner, months):
    """The indicator figures as the Python path counts them, from ``episodes``."""
    start, _end = selectors.month_bounds(months[0])
    _start, end = selectors.month_bounds(months[-1])
    grouped = defaultdict(list)
    for episode in selectors.episodes(start=start, end=end, kommun_ids={k.pk for k in kommuner}):
        month = local_date(episode.discharged_at).replace(day=1)
        grouped[(episode.kommun_id, month, episode.care_type)].append(episode)
    figures = {}
    for key, items in grouped.items():
        with_days = [e for e in items if e.skr_days >= 1]
        figures[key] = (
            len(items),
            len(with_days),
            sum(e.skr_days for e in with_days),
            sum(1 for e in items if e.skr_days == 0),
            sum(e.days for e in items),
        )
    return figures


def sql_figures(kommuner, months):
    return {
        (r.kommun.pk, r.month, r.care_type): (
            r.discharged,
            r.episodes,
            r.days,
            r.same_day,
            r.agreement_days,
        )
        for r in selectors.indicator_rows(kommuner=kommuner, months=months)
        if r.discharged
    }


def test_sql_indicator_figures_equal_the_python_episodes(world):
    # 2023 counts working days from the notice's own day (no cut-off); 2022 keeps the
    # regional agreement (noon cut-off, calendar days).
    PaymentAgreement.objects.create(
        name="Arbetsdagar",
        version="2023",
        valid_from_year=2023,
        model="AVERAGE",
        day_count="WORKING",
        cutoff_time=None,
        source="test",
    )
    sub_district = AreaFactory(
        name="Underdistrikt", kind=Area.Kind.STADSDELSOMRADE, parent=world.district
    )
    deep_social = SocialtjanstFactory(area=sub_district, name="Underdistrikt biståndsenhet")
    hsv = OrganisationFactory(
        kind="KOMMUNAL_HSV", area=world.district, name="Teststad kommunal hälso- och sjukvård"
    )
    other_hsv = OrganisationFactory(
        kind="KOMMUNAL_HSV", area=world.other_kommun, name="Annanstad kommunal hälso- och sjukvård"
    )
    rng = random.Random(15)  # noqa: S311 (test data)
    starts = [
        local(2022, 3, 25, 11, 0),  # the change to summer time on 27 March
        local(2022, 10, 28, 23, 30),  # and back on 30 October, late in the evening
        local(2022, 12, 27, 12, 0),  # at the cut-off, into the new year
        local(2022, 6, 2, 0, 15),
    ]
    for n in range(120):
        if n < len(starts) * 6:
            base = starts[n % len(starts)]
            sent_at = base + dt.timedelta(minutes=rng.choice([0, 1, 59, 60, 61, 600]))
        else:
            sent_at = local(2022, 2, 1, 0, 0) + dt.timedelta(minutes=rng.randrange(0, 480_000))
        discharged_at = sent_at + dt.timedelta(
            minutes=rng.choice([30, 600, 1440, 3000]) * rng.randrange(0, 9) + 1
        )
        shape = n % 7
        social = {0: world.social, 1: world.other_social, 2: deep_social}.get(shape, world.social)
        process = make_episode(
            world,
            sent_at=sent_at,
            discharged_at=discharged_at,
            care_type=rng.choice(["SOMATIC", "PSYCHIATRIC"]),
            social=social,
            revoked=[sent_at - dt.timedelta(days=2)] if n % 5 == 0 else (),
        )
        unit = DischargeUnit.objects.get(process=process)
        if shape == 3:  # forwarded to the other kommun: the new unit pays
            DischargeUnit.objects.filter(pk=unit.pk).update(superseded_at=sent_at)
            DischargeUnit.objects.create(
                process=process,
                role="SOCIALTJANST",
                organisation=world.other_social,
                origin="FORWARDED",
            )
        elif shape == 4:  # rejected as not our resident: the municipal health care pays
            DischargeUnit.objects.filter(pk=unit.pk).update(
                ack_state="REJECTED_NOT_RESIDENT", ack_reason="Bor i annan kommun"
            )
            DischargeUnit.objects.create(
                process=process,
                role="KOMMUNAL_HSV",
                organisation=hsv,
                added_reason="Hemsjukvård",
            )
        elif shape == 5:  # social services here, municipal health care elsewhere
            DischargeUnit.objects.create(
                process=process,
                role="KOMMUNAL_HSV",
                organisation=other_hsv,
                added_reason="Hemsjukvård",
            )
        elif shape == 6:  # rejected with nobody else: nobody pays
            DischargeUnit.objects.filter(pk=unit.pk).update(
                ack_state="REJECTED_NOT_RESIDENT", ack_reason="Bor i annan kommun"
            )
    # At the cut-off to the second, one second before it, and on the last evening of
    # a month (discharged the next month, local time).
    for sent_at, discharged_at in (
        (local(2022, 9, 5, 12, 0), local(2022, 9, 6, 9, 0)),
        (local(2022, 9, 5, 11, 59, 59), local(2022, 9, 6, 9, 0)),
        (local(2022, 9, 12, 12, 0), local(2022, 9, 12, 18, 0)),
        (local(2022, 8, 31, 22, 0), local(2022, 9, 1, 0, 30)),
    ):
        make_episode(world, sent_at=sent_at, discharged_at=discharged_at)
    for kommuner in ([world.kommun], [world.other_kommun], [world.kommun, world.other_kommun]):
        expected = python_figures(kommuner, MONTHS)
        assert sql_figures(kommuner, MONTHS) == expected
    # The data reaches every branch: both kommuner, both care types, both agreements,
    # same-day discharges and long stays.
    both = python_figures([world.kommun, world.other_kommun], MONTHS)
    assert {kommun for kommun, _m, _c in both} == {world.kommun.pk, world.other_kommun.pk}
    assert {care for _k, _m, care in both} == {"SOMATIC", "PSYCHIATRIC"}
    assert any(month.year == 2023 for _k, month, _c in both)
    assert sum(f[3] for f in both.values()) > 0 and sum(f[2] for f in both.values()) > 50
