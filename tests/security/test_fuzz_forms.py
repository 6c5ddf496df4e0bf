"""Bad input through the real pages (hypothesis): no 500, a clear error, nothing written.

Each example runs in its own transaction (``hypothesis.extra.django.TestCase``) on the
demo world; ``max_examples`` is kept small so the suite stays fast.
"""

from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase
from viewflow.workflow.models import Process, Task

from coordination.models import Individual
from workflows.deviations.models import Deviation
from workflows.discharge.flows import DischargeFlow
from workflows.sip.flows import SipFlow
from workflows.sip.models import Invitation, Meeting

from .world import DemoWorld

FUZZ = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors],
    derandomize=True,
)

# Text that is never a valid value: unicode, control characters, huge, empty.
junk = st.one_of(
    st.just(""),
    st.text(max_size=40),
    st.text(
        alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=20
    ),
    st.just("x" * 5000),
    st.just("'; DROP TABLE coordination_individual; --"),
    st.just("<script>alert(1)</script>"),
    st.just("\u202e\u0000\ufeff"),
)
bad_dates = st.one_of(
    junk,
    st.sampled_from(
        ["2023-02-30", "2023-13-01", "0000-00-00", "9999-99-99T99:99", "31/12/2023", "1e10"]
    ),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
)
bad_pnr = st.one_of(
    junk,
    st.sampled_from(
        ["19121212-1213", "191212121212", "20231301-0000", "000000-0000", "1912121212", "-1"]
    ),
    st.from_regex(r"\A[0-9]{6,12}\Z", fullmatch=True),
)
bad_id = st.one_of(junk, st.integers(min_value=-(2**63), max_value=2**63).map(str))


def snapshot():
    return (
        Process.objects.count(),
        list(Task.objects.order_by("pk").values_list("pk", "status", "owner_id")),
        Deviation.objects.count(),
        Individual.objects.count(),
        Meeting.objects.count(),
        Invitation.objects.count(),
    )


class Fuzz(DemoWorld, TestCase):
    def post_refused(self, client, url, data):
        before = snapshot()
        response = client.post(url, data)
        assert response.status_code < 500, (url, data)
        after = snapshot()
        # Assigning the task for the form is the only allowed change (done before).
        assert after == before, (url, data)
        assert response.status_code in (200, 400), (response.status_code, data)
        assert (
            "kb-errors" in response.content.decode() or "errorlist" in response.content.decode()
        ), data

    @FUZZ
    @given(q=junk, area=bad_id, kind=junk, reachability=junk, huvudman=junk)
    def test_registry_filter(self, q, area, kind, reachability, huvudman):
        client = self.client_for("nurse_a")
        response = client.get(
            reverse("coordination:organisation_list"),
            {
                "q": q,
                "area": area,
                "kind": kind,
                "reachability": reachability,
                "huvudman": huvudman,
            },
        )
        assert response.status_code == 200

    @FUZZ
    @given(individual=bad_pnr, user=junk, date_from=bad_dates, date_to=bad_dates)
    def test_access_log_filter(self, individual, user, date_from, date_to):
        client = self.client_for("mas_a")
        response = client.get(
            reverse("coordination:access_log"),
            {"individual": individual, "user": user, "date_from": date_from, "date_to": date_to},
        )
        assert response.status_code == 200
        export = client.get(
            reverse("coordination:access_log"),
            {"individual": individual, "date_from": date_from, "format": "csv"},
        )
        assert export.status_code < 500

    @FUZZ
    @given(
        pnr=bad_pnr,
        ward=bad_id,
        admitted_at=bad_dates,
        care_type=junk,
        judgement=junk,
    )
    def test_discharge_registration(self, pnr, ward, admitted_at, care_type, judgement):
        client = self.client_for("nurse_a")
        self.post_refused(
            client,
            DischargeFlow.start.reverse("execute"),
            {
                "personal_identity_number": pnr,
                "ward": ward,
                "admitted_at": admitted_at,
                "care_type": care_type,
                "judgement": judgement,
            },
        )

    @FUZZ
    @given(social=bad_id, vc=bad_id, date=bad_dates)
    def test_discharge_admission_notice_step(self, social, vc, date):
        process = next(
            p
            for p in self.w.sides["a"].discharges
            if p.task_set.filter(
                flow_task=DischargeFlow.send_admission_notice, status="NEW"
            ).exists()
        )
        task = process.task_set.get(flow_task=DischargeFlow.send_admission_notice, status="NEW")
        client = self.client_for("nurse_a")
        node = DischargeFlow.send_admission_notice
        assert client.post(node.reverse("assign", args=[process.pk, task.pk])).status_code == 302
        self.post_refused(
            client,
            node.reverse("execute", args=[process.pk, task.pk]),
            {"socialtjanst": social, "vardcentral": vc, "estimated_discharge_date": date},
        )

    @FUZZ
    @given(pnr=bad_pnr, organisation=bad_id, reason=junk, participants=st.lists(bad_id, max_size=3))
    def test_sip_initiation(self, pnr, organisation, reason, participants):
        client = self.client_for("handlaggare_a")
        self.post_refused(
            client,
            SipFlow.start.reverse("execute"),
            {
                "personal_identity_number": pnr,
                "initiating_organisation": organisation,
                "reason": reason,
                "participants": participants,
            },
        )

    @FUZZ
    @given(starts_at=bad_dates, place=junk, link=junk, organisations=st.lists(bad_id, max_size=3))
    def test_sip_invitation(self, starts_at, place, link, organisations):
        sip = next(
            s
            for s in self.w.sides["b"].sips
            if s.task_set.filter(flow_task=SipFlow.invite, status="NEW").exists()
        )
        task = sip.task_set.get(flow_task=SipFlow.invite, status="NEW")
        client = self.client_for("handlaggare_b")
        assert (
            client.post(SipFlow.invite.reverse("assign", args=[sip.pk, task.pk])).status_code == 302
        )
        self.post_refused(
            client,
            SipFlow.invite.reverse("execute", args=[sip.pk, task.pk]),
            {
                "starts_at": starts_at,
                "place": place,
                "meeting_link": link,
                "organisations": organisations,
            },
        )

    @FUZZ
    @given(
        category=junk,
        description=junk,
        harm=junk,
        receiving=bad_id,
        occurred=bad_dates,
    )
    def test_deviation_create(self, category, description, harm, receiving, occurred):
        side = self.w.sides["a"]
        client = self.client_for("handlaggare_a")
        url = reverse("deviations:deviation_create") + f"?process={side.discharge.pk}"
        self.post_refused(
            client,
            url,
            {
                "process": side.discharge.pk,
                "category": category,
                "description": description,
                "harm": harm,
                "receiving_organisation": receiving,
                "occurred_date": occurred,
            },
        )
