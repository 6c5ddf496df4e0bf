import pytest

from coordination import demo as coordination_demo
from workflows.sip import demo
from workflows.sip.models import Invitation, SipProcess

pytestmark = pytest.mark.django_db


def test_demo_sips_cover_the_states_and_load_once():
    coordination_demo.load_registry()
    coordination_demo.load_individuals()
    coordination_demo.load_users()
    demo.load()
    demo.load()
    assert SipProcess.objects.count() == 5
    stages = set(SipProcess.objects.values_list("stage", flat=True))
    assert {"MEETING", "FOLLOW_UP", "CONSENT", "CONSENT_DECLINED", "INVITATION"} <= stages
    assert Invitation.objects.filter(organisation__reachability="UNKNOWN", state="DRAFT").exists()
    assert Invitation.objects.filter(state="SENT", meeting__held_at__isnull=True).exists()
    assert Invitation.objects.filter(kind="ORGANISATION", attendance="ABSENT").exists()
    planned = SipProcess.objects.get(stage="FOLLOW_UP")
    assert planned.plan_versions.get().follow_up_date is not None
