import datetime as dt

import pytest

from coordination.clock import STOCKHOLM
from coordination.models import Area
from tests.factories import AreaFactory, IndividualFactory, UserFactory
from tests.workflows.discharge.factories import (
    SocialtjanstFactory,
    VardcentralFactory,
    WardFactory,
    member,
)
from workflows.discharge.flows import DischargeFlow
from workflows.discharge.models import (
    DischargeProcess,
    DischargeUnit,
    ReadyForDischargeNotice,
    Stage,
)


def local(*args):
    return dt.datetime(*args, tzinfo=STOCKHOLM)


class World:
    pass


@pytest.fixture
def world(db):
    """Two kommuner, a ward of the region, each kommun's biståndsenhet and MAS."""
    w = World()
    w.kommun = AreaFactory(name="Teststad", kind=Area.Kind.KOMMUN, code="0999")
    w.other_kommun = AreaFactory(name="Annanstad", kind=Area.Kind.KOMMUN, code="0998")
    w.district = AreaFactory(name="Testdistrikt", kind=Area.Kind.STADSDELSOMRADE, parent=w.kommun)
    w.ward = WardFactory(area=w.district, name="Testsjukhuset avd 1")
    w.social = SocialtjanstFactory(area=w.district, name="Testdistrikt biståndsenhet")
    w.other_social = SocialtjanstFactory(area=w.other_kommun, name="Annanstad biståndsenhet")
    w.vc = VardcentralFactory(area=w.district)
    w.nurse = member(w.ward, "SJUKSKOTERSKA")
    w.handlaggare = member(w.social, "HANDLAGGARE")
    w.mas = member(w.social, "MAS")
    w.other_handlaggare = member(w.other_social, "HANDLAGGARE")
    w.admin = UserFactory(is_staff=True)  # an administrator outside every case
    w.outsider = member(VardcentralFactory(area=w.other_kommun), "FAST_VARDKONTAKT")
    w.individual = IndividualFactory(given_name="Astrid", family_name="Testsson")
    return w


def make_episode(
    world,
    *,
    sent_at,
    discharged_at,
    care_type="SOMATIC",
    social=None,
    issued_at=None,
    backdate_reason="",
    revoked=(),
    declined=False,
    admission_notice=True,
):
    """A finished discharge as the flow leaves it: the notice in force sent at
    ``sent_at`` (the system's time), earlier notices revoked (``revoked``: their send
    times), discharged at ``discharged_at``."""
    admitted = sent_at - dt.timedelta(days=3)
    if revoked:
        admitted = min(revoked) - dt.timedelta(days=1)
    process = DischargeProcess.objects.create(
        flow_class=DischargeFlow,
        individual=world.individual,
        ward=world.ward,
        admitted_at=admitted,
        care_type=care_type,
        judgement="MAY_NEED",
        estimated_discharge_date=discharged_at.date(),
        admission_notice_sent_at=admitted + dt.timedelta(hours=1) if admission_notice else None,
        individual_declined_interventions=declined,
        ready_for_discharge_at=issued_at or sent_at,
        discharged_at=discharged_at,
        stage=Stage.DISCHARGED,
    )
    DischargeUnit.objects.create(
        process=process, role="SOCIALTJANST", organisation=social or world.social
    )
    for old in revoked:
        ReadyForDischargeNotice.objects.create(
            process=process,
            issued_at=old,
            issued_by=world.nurse,
            recorded_at=old,
            revoked_at=old + dt.timedelta(hours=20),
            revoked_by=world.nurse,
            revocation_reason="Feber",
        )
    ReadyForDischargeNotice.objects.create(
        process=process,
        issued_at=issued_at or sent_at,
        issued_by=world.nurse,
        recorded_at=sent_at,
        backdate_reason=backdate_reason,
    )
    return process
