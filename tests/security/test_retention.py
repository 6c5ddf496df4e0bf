"""Gallring: ``manage.py purge_expired_cases`` at the boundaries, with frozen time."""

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import TestCase
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS

from coordination.models import AccessLog
from coordination.services import access_log_record
from notifications.models import OutboundEmail
from oversight.retention import expired_cases, years_before
from workflows.deviations.models import Deviation
from workflows.discharge.models import DischargeProcess
from workflows.models import Deadline
from workflows.sip.models import Invitation, Meeting, PlanVersion, SipProcess

from .world import DemoWorld

FINISHED = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


def run(*args):
    out = StringIO()
    call_command("purge_expired_cases", *args, stdout=out)
    return out.getvalue()


class Retention(DemoWorld, TestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        # A finished SIP with meetings, invitations and a plan, and a finished discharge
        # without a SIP or deviation pointing at it: both finished at FINISHED.
        cls.sip = max(
            SipProcess.objects.all(),
            key=lambda s: (
                PlanVersion.objects.filter(sip=s).count(),
                Invitation.objects.filter(meeting__sip=s).count(),
            ),
        )
        Deviation.objects.filter(process_id=cls.sip.pk).update(process=None)
        cls.discharge = (
            DischargeProcess.objects.exclude(
                pk__in=SipProcess.objects.exclude(origin_discharge=None).values(
                    "origin_discharge_id"
                )
            )
            .exclude(pk__in=Deviation.objects.exclude(process=None).values("process_id"))
            .exclude(pk__in=Deviation.objects.exclude(deadline=None).values("deadline__process_id"))
            .order_by("pk")
            .first()
        )
        Process.objects.filter(pk__in=[cls.sip.pk, cls.discharge.pk]).update(
            status=PROCESS.DONE, finished=FINISHED
        )
        # Every other case stays open, so only these two can expire.
        Process.objects.exclude(pk__in=[cls.sip.pk, cls.discharge.pk]).update(
            status=PROCESS.NEW, finished=None
        )
        user = cls.w.users["handlaggare_a"]
        for process in (cls.sip, cls.discharge):
            access_log_record(
                user=user,
                individual=process.individual,
                process=process,
                action=AccessLog.Action.READ,
                purpose="test",
            )

    def test_dry_run_is_the_default_and_changes_nothing(self):
        with time_machine.travel(dt.datetime(2040, 1, 1, tzinfo=dt.UTC), tick=False):
            out = run()
        assert f"sip #{self.sip.pk}" in out and f"discharge #{self.discharge.pk}" in out
        assert "Dry run: 2 case(s)" in out and "nothing deleted" in out
        assert Process.objects.filter(pk__in=[self.sip.pk, self.discharge.pk]).count() == 2

    def test_sip_boundary_five_years(self):
        # One second before five years: kept; at five years: purged.
        just_before = years_before(FINISHED, -5) - dt.timedelta(seconds=1)
        with time_machine.travel(just_before, tick=False):
            assert not expired_cases(record_classes=["sip"])
            assert "No case is past" in run("--execute", "--record-class", "sip")
        assert SipProcess.objects.filter(pk=self.sip.pk).exists()

        meetings = list(Meeting.objects.filter(sip=self.sip).values_list("pk", flat=True))
        invitations = list(
            Invitation.objects.filter(meeting__sip=self.sip).values_list("pk", flat=True)
        )
        plans = PlanVersion.objects.filter(sip=self.sip).count()
        assert meetings and invitations and plans, "the demo SIP should have them"
        logs_before = AccessLog.objects.filter(process_id=self.sip.pk).count()
        assert logs_before >= 1
        with time_machine.travel(years_before(FINISHED, -5), tick=False):
            out = run("--execute", "--record-class", "sip")
        assert "Deleted 1 case(s)" in out, out
        assert not Process.objects.filter(pk=self.sip.pk).exists()
        assert not Task.objects.filter(process_id=self.sip.pk).exists()
        assert not Meeting.objects.filter(pk__in=meetings).exists()
        assert not Invitation.objects.filter(pk__in=invitations).exists()
        assert not PlanVersion.objects.filter(sip_id=self.sip.pk).exists()
        assert not Deadline.objects.filter(process_id=self.sip.pk).exists()
        assert not OutboundEmail.objects.filter(process_id=self.sip.pk).exists()
        # The access log is untouched and still names the case id and the person.
        rows = AccessLog.objects.filter(process_id=self.sip.pk)
        assert rows.count() == logs_before
        assert rows.first().individual_id == self.sip.individual_id
        # The discharge (ten years) is not due yet.
        assert DischargeProcess.objects.filter(pk=self.discharge.pk).exists()

    def test_discharge_boundary_ten_years(self):
        with time_machine.travel(years_before(FINISHED, -10) - dt.timedelta(seconds=1), tick=False):
            run("--execute", "--record-class", "discharge")
        assert DischargeProcess.objects.filter(pk=self.discharge.pk).exists()
        deadlines = Deadline.objects.filter(process_id=self.discharge.pk).count()
        with time_machine.travel(years_before(FINISHED, -10), tick=False):
            out = run("--execute", "--record-class", "discharge")
        assert "Deleted 1 case(s)" in out, (out, deadlines)
        assert not Process.objects.filter(pk=self.discharge.pk).exists()
        assert not Deadline.objects.filter(process_id=self.discharge.pk).exists()
        assert AccessLog.objects.filter(process_id=self.discharge.pk).exists()

    def test_configurable_per_record_class(self):
        with (
            self.settings(RETENTION_YEARS={"sip": 1, "discharge": 1}),
            time_machine.travel(years_before(FINISHED, -1), tick=False),
        ):
            assert {e.process.pk for e in expired_cases()} == {self.sip.pk, self.discharge.pk}

    def test_a_case_still_referred_to_is_kept_and_reported(self):
        Deviation.objects.filter(pk=Deviation.objects.order_by("pk").first().pk).update(
            process_id=self.discharge.pk
        )
        with time_machine.travel(years_before(FINISHED, -10), tick=False):
            out = run("--execute", "--record-class", "discharge")
        assert "kept: referred to by deviation" in out
        assert "Deleted 0 case(s); kept 1" in out
        assert DischargeProcess.objects.filter(pk=self.discharge.pk).exists()

    def test_bad_arguments(self):
        with pytest.raises(CommandError, match="Unknown record class"):
            run("--record-class", "journal")
        with (
            self.settings(RETENTION_YEARS={"sip": 0}),
            pytest.raises(CommandError, match="whole number"),
        ):
            run()
        with (
            self.settings(RETENTION_YEARS={"lab": 3}),
            pytest.raises(CommandError, match="unknown record class"),
        ):
            run()


def test_years_before_handles_29_february():
    leap = dt.datetime(2028, 2, 29, 12, 0, tzinfo=dt.UTC)
    assert years_before(leap, 1).date() == dt.date(2027, 2, 28)
