import pytest

from coordination import demo as coordination_demo
from workflows.discharge import demo
from workflows.discharge.models import DischargeProcess, Stage

pytestmark = pytest.mark.django_db


def test_demo_has_every_stage_and_loads_twice():
    coordination_demo.load_registry()
    coordination_demo.load_individuals()
    coordination_demo.load_users()
    demo.load()
    stages = set(DischargeProcess.objects.values_list("stage", flat=True))
    assert stages == set(Stage.values)
    count = DischargeProcess.objects.count()
    demo.load()
    assert DischargeProcess.objects.count() == count
    bengt = DischargeProcess.objects.get(individual__given_name="Bengt")
    assert bengt.deadlines.get(kind="INSKRIVNINGSMEDDELANDE").display_state == "OVERDUE"
