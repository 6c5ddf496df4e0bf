"""The one access rule (``coordination.access``): parties, acting organisations and the
overseers (kommun MAS, region MAS and chefläkare), on hand-made registries."""

import importlib

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from viewflow.workflow.models import Process

from coordination import access
from coordination.models import AccessLog, Area, ProcessParty
from coordination.services import access_log_record, process_party_add
from tests.factories import (
    AreaFactory,
    IndividualFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)
from workflows.deviations import selectors as deviation_selectors
from workflows.deviations.models import Deviation
from workflows.deviations.services import deviation_report
from workflows.discharge.flows import DischargeFlow

pytestmark = pytest.mark.django_db

PARTY = ProcessParty.Reason.ADMISSION_NOTICE


class Reg:
    pass


@pytest.fixture
def reg():
    r = Reg()
    r.region = AreaFactory(name="Region Test", kind=Area.Kind.REGION)
    r.kommun = AreaFactory(name="Teststad", kind=Area.Kind.KOMMUN)
    r.district = AreaFactory(name="Söder", kind=Area.Kind.STADSDELSOMRADE, parent=r.kommun)
    r.other_kommun = AreaFactory(name="Grannkommun", kind=Area.Kind.KOMMUN)
    # A region ward and a region vårdcentral lying in the kommun's district.
    r.ward = OrganisationFactory(name="Sjukhus avd 1", huvudman="REGION", area=r.district)
    r.vc = OrganisationFactory(name="VC Söder", huvudman="REGION", area=r.district)
    r.social = OrganisationFactory(name="Söder biståndsenhet", huvudman="KOMMUN", area=r.district)
    r.private_k = OrganisationFactory(
        name="Hemtjänst AB", huvudman="PRIVATE", acting_for="KOMMUN", area=r.district
    )
    r.private_r = OrganisationFactory(
        name="Privat VC AB", huvudman="PRIVATE", acting_for="REGION", area=r.district
    )
    r.neighbour = OrganisationFactory(name="Grann biståndsenhet", area=r.other_kommun)
    r.kommun_admin = OrganisationFactory(name="Teststad förvaltning", area=r.kommun)
    r.region_hsf = OrganisationFactory(name="Region HSF", huvudman="REGION", area=r.region)
    r.mas = MembershipFactory(organisation=r.kommun_admin, role="MAS").user
    r.region_mas = MembershipFactory(organisation=r.region_hsf, role="MAS").user
    r.chieflakare = MembershipFactory(organisation=r.region_hsf, role="CHEFLAKARE").user
    r.neighbour_mas = MembershipFactory(
        organisation=OrganisationFactory(name="Grann förvaltning", area=r.other_kommun),
        role="MAS",
    ).user
    return r


def case(*parties):
    process = Process.objects.create(flow_class=DischargeFlow)
    for organisation in parties:
        process_party_add(process=process, organisations=[organisation], reason=PARTY)
    return process


def visible(user, process) -> bool:
    return access.processes_visible_to(user=user).filter(pk=process.pk).exists()


def test_members_see_the_cases_their_organisation_is_party_to(reg):
    nurse = MembershipFactory(organisation=reg.ward, role="SJUKSKOTERSKA").user
    officer = MembershipFactory(organisation=reg.social).user
    mine, other = case(reg.ward), case(reg.vc)
    assert visible(nurse, mine) and not visible(nurse, other)
    assert not visible(officer, mine)


def test_kommun_mas_sees_kommun_side_parties_only_geography_is_not_enough(reg):
    region_only = case(reg.ward, reg.vc, reg.private_r)
    assert not visible(reg.mas, region_only)
    assert visible(reg.mas, case(reg.ward, reg.social))
    assert visible(reg.mas, case(reg.ward, reg.private_k))  # acting for the kommun
    assert not visible(reg.mas, case(reg.neighbour))
    assert not visible(reg.neighbour_mas, case(reg.ward, reg.social))
    assert visible(reg.neighbour_mas, case(reg.ward, reg.neighbour))


def test_region_mas_and_chieflakare_see_region_side_parties(reg):
    region_case = case(reg.ward)
    kommun_case = case(reg.social, reg.private_k)
    private_region_case = case(reg.private_r)
    for overseer in (reg.region_mas, reg.chieflakare):
        assert visible(overseer, region_case)
        assert visible(overseer, private_region_case)
        assert not visible(overseer, kommun_case)


def test_a_region_is_the_nearest_region_area_or_the_only_one(reg):
    """Kommuner without a region parent belong to the installation's only region; with
    two regions, an overseer of the other region sees none of them."""
    other = AreaFactory(name="Region Annan", kind=Area.Kind.REGION)
    kommun = AreaFactory(name="Annanstad", kind=Area.Kind.KOMMUN, parent=other)
    other_ward = OrganisationFactory(name="Annan avd", huvudman="REGION", area=kommun)
    other_mas = MembershipFactory(
        organisation=OrganisationFactory(name="Annan HSF", huvudman="REGION", area=other),
        role="MAS",
    ).user
    assert visible(other_mas, case(other_ward))
    assert not visible(other_mas, case(reg.ward))
    assert visible(reg.region_mas, case(reg.region_hsf))


def test_inactive_memberships_organisations_and_users_see_nothing(reg):
    process = case(reg.ward, reg.social)
    former = MembershipFactory(organisation=reg.ward, is_active=False).user
    assert not visible(former, process)
    closed_unit = OrganisationFactory(name="Nedlagd", area=reg.district, is_active=False)
    process_party_add(process=process, organisations=[closed_unit], reason=PARTY)
    member_of_closed = MembershipFactory(organisation=closed_unit).user
    assert not visible(member_of_closed, process)
    reg.kommun_admin.is_active = False
    reg.kommun_admin.save()
    assert not visible(reg.mas, process)
    assert not access.oversight_of(user=reg.mas)
    blocked = MembershipFactory(organisation=reg.ward, user__is_active=False).user
    assert not visible(blocked, process)
    assert not access.processes_visible_to(user=AnonymousUser()).exists()
    staff = UserFactory(is_staff=True, is_superuser=True)
    assert not visible(staff, process)


def test_parties_are_idempotent_and_keep_the_first_time(reg):
    process = case(reg.ward)
    first = ProcessParty.objects.get(process=process, organisation=reg.ward)
    assert process_party_add(process=process, organisations=[reg.ward, reg.ward], reason=PARTY) == 0
    assert ProcessParty.objects.filter(process=process).count() == 1
    assert ProcessParty.objects.get(pk=first.pk).since_at == first.since_at
    # Only the new party counts, and only once.
    assert (
        process_party_add(process=process, organisations=[reg.ward, reg.social], reason=PARTY) == 1
    )
    assert process_party_add(process=process, organisations=[reg.social], reason=PARTY) == 0
    assert set(
        ProcessParty.objects.filter(process=process).values_list("organisation_id", flat=True)
    ) == {
        reg.ward.pk,
        reg.social.pk,
    }


def test_deviations_receiver_side_only_once_sent(reg):
    officer = MembershipFactory(organisation=reg.social).user
    nurse = MembershipFactory(organisation=reg.ward, role="SJUKSKOTERSKA").user
    deviation = Deviation.objects.create(
        category="OTHER", reporting_organisation=reg.ward, receiving_organisation=reg.social
    )
    for user, sees in ((nurse, True), (officer, False), (reg.mas, False), (reg.region_mas, True)):
        assert (
            deviation_selectors.deviations_visible_to(user=user).filter(pk=deviation.pk).exists()
            is sees
        )
    Deviation.objects.filter(pk=deviation.pk).update(status="REPORTED")
    for user in (officer, reg.mas):
        assert deviation_selectors.deviations_visible_to(user=user).filter(pk=deviation.pk).exists()
    assert not deviation_selectors.deviations_visible_to(user=reg.neighbour_mas).exists()


def test_a_deviation_makes_its_parties_parties_of_the_case(reg):
    process = case(reg.ward)
    nurse = MembershipFactory(organisation=reg.ward, role="SJUKSKOTERSKA").user
    deviation = Deviation.objects.create(
        category="OTHER",
        process=process,
        reporting_organisation=reg.ward,
        receiving_organisation=reg.social,
        description="Inget inskrivningsmeddelande.",
        harm="NO",
    )
    parties = set(
        ProcessParty.objects.filter(process=process).values_list("organisation", "reason")
    )
    assert (reg.social.pk, "DEVIATION") not in parties  # a draft went nowhere
    deviation_report(deviation=deviation, by=nurse)
    assert ProcessParty.objects.filter(
        process=process, organisation=reg.social, reason="DEVIATION"
    ).exists()


def test_access_log_review(reg):
    officer = MembershipFactory(organisation=reg.social).user
    nurse = MembershipFactory(organisation=reg.ward, role="SJUKSKOTERSKA").user
    kommun_case, region_case = case(reg.social, reg.ward), case(reg.ward)
    by_officer = access_log_record(
        user=officer, action=AccessLog.Action.READ, purpose="t", process=kommun_case
    )
    by_nurse = access_log_record(
        user=nurse, action=AccessLog.Action.READ, purpose="t", process=region_case
    )
    mas_rows = set(access.access_log_visible_to(user=reg.mas).values_list("pk", flat=True))
    assert by_officer.pk in mas_rows and by_nurse.pk not in mas_rows
    assert by_officer.organisation == reg.social
    assert not access.access_log_visible_to(user=officer).exists()
    assert not access.access_log_visible_to(user=reg.neighbour_mas).exists()


def test_backfill_records_parties_of_existing_rows(reg):
    """Migration 0009 gives rows made before the party table their parties."""
    from workflows.discharge.models import DischargeProcess, DischargeUnit
    from workflows.sip.models import Meeting, SipProcess

    nurse = MembershipFactory(organisation=reg.ward).user
    individual = IndividualFactory()
    discharge = DischargeProcess.objects.create(
        flow_class=DischargeFlow,
        individual=individual,
        ward=reg.ward,
        admitted_at=timezone.now(),
        registered_by=nurse,
    )
    DischargeUnit.objects.create(
        process=discharge, role="SOCIALTJANST", organisation=reg.social, notified_at=timezone.now()
    )
    from workflows.sip.flows import SipFlow

    sip = SipProcess.objects.create(
        flow_class=SipFlow, individual=individual, initiating_organisation=reg.social
    )
    sip.participants.add(reg.vc)
    meeting = Meeting.objects.create(sip=sip, starts_at=timezone.now(), place="Rum 1")
    meeting.invitations.create(kind="ORGANISATION", organisation=reg.private_k, channel="SYSTEM")
    expected = set(ProcessParty.objects.values_list("process", "organisation", "reason"))
    assert len(expected) == 5
    ProcessParty.objects.all().delete()
    migration = importlib.import_module("coordination.migrations.0009_process_party")
    # The models as that migration saw them (deviations have moved app since).
    historical = MigrationLoader(connection).project_state(("coordination", "0009_process_party"))
    migration.backfill(historical.apps, None)
    assert set(ProcessParty.objects.values_list("process", "organisation", "reason")) == expected
