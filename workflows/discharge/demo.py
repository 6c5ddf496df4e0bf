"""Demo discharges in every stage, driven through the flow's own nodes and services
(as the pages would), with the demo users of ``coordination.demo``. Some are late on
purpose so that overdue deadlines show. Idempotent: skipped once demo cases exist."""

import datetime as dt
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from viewflow.workflow.status import STATUS

from coordination.models import Individual, Organisation
from coordination.personnummer import make_test_number

from . import services
from .flows import DischargeFlow
from .models import DischargeProcess, ReadyForDischargeNotice, UnitRole

# The demo's history is written at load time with earlier times typed in; in the demo
# the notices count as sent at those times (``_as_sent_at_issue``).
DEMO_BACKDATE = "Demo: registrerat i efterhand"


def _as_sent_at_issue(process):
    """Demo data only: treat the notices of ``process`` as sent when they were issued,
    so that the payment figures of the demo have history."""

    for notice in ReadyForDischargeNotice.objects.filter(process=process):
        ReadyForDischargeNotice.objects.filter(pk=notice.pk).update(
            recorded_at=notice.issued_at, backdate_reason=""
        )


def _user(username):
    return get_user_model().objects.get(username=username)


def _org(name):
    return Organisation.objects.get(name=name)


def _individual(birth, serial):
    return Individual.objects.get(personal_identity_number=make_test_number(birth, serial))


def _start(*, user, **facts):
    node = DischargeFlow.start
    activation = node.activation_class.create(node, None, None)
    activation.start(SimpleNamespace(user=user))
    services.discharge_register(process=activation.process, by=user, **facts)
    activation.execute()
    return activation.process


def _do(process, node, user, service, **kwargs):
    """Take the open task of ``node`` as ``user`` and complete it through ``service``."""
    task = process.task_set.get(flow_task=node, status__in=[STATUS.NEW, STATUS.ASSIGNED])
    with DischargeFlow.lock(process.pk):
        activation = node.activation_class(task)
        if task.status == STATUS.NEW:
            activation.assign(user)
        activation.start(SimpleNamespace(user=user))
        service(process=activation.process, by=user, **kwargs)
        activation.execute()
    return DischargeProcess.objects.get(pk=process.pk)


def _notify(process, ward_user, *, social, hsv=None, vc, estimate):
    return _do(
        process,
        DischargeFlow.send_admission_notice,
        ward_user,
        services.admission_notice_send,
        socialtjanst=social,
        kommunal_hsv=hsv,
        vardcentral=vc,
        estimated_discharge_date=estimate,
    )


@transaction.atomic
def load() -> None:
    now = timezone.now().replace(second=0, microsecond=0)
    today = timezone.localdate()
    demo_people = {
        "astrid": _individual(dt.date(1938, 4, 12), 982),
        "bengt": _individual(dt.date(1941, 9, 3), 986),
        "gunnel": _individual(dt.date(1935, 1, 27), 991),
        "rolf": _individual(dt.date(1949, 11, 30), 983),
        "majbritt": _individual(dt.date(1932, 6, 8), 988),
        "kjell": _individual(dt.date(1944, 2, 19), 995),
        "ingrid": _individual(dt.date(1952, 8, 14), 981),
        "hassan": _individual(dt.date(1957, 3, 5), 997),
    }
    if DischargeProcess.objects.filter(individual__in=demo_people.values()).exists():
        return

    sos, sos_ward = _user("avd53.sos"), _org("Södersjukhuset avd 53 medicin")
    kommun, social = _user("handlaggare.sodermalm"), _org("Södermalm biståndsenhet äldre")
    hsv_user, hsv = _user("hsv.sodermalm"), _org("Södermalm kommunal hälso- och sjukvård")
    vk, rosenlund = _user("vardkontakt.rosenlund"), _org("Rosenlunds vårdcentral")
    m44, m44_ward = _user("avdm44.huddinge"), _org("Karolinska Huddinge avd M44 medicin")
    hud, hud_social = _user("handlaggare.huddinge"), _org("Huddinge biståndsenhet äldre")
    vkf, flemingsberg = _user("vardkontakt.flemingsberg"), _org("Flemingsbergs vårdcentral")

    def admit(person, hours_ago, judgement="MAY_NEED", ward=sos_ward, user=sos, **extra):
        admitted_at = now - dt.timedelta(hours=hours_ago)
        if services.admission_is_late(admitted_at, now=now):
            # The demo writes stays that began before it was loaded.
            extra.setdefault("late_registration_reason", "Demodata: inskriven före demostart")
        return _start(
            user=user,
            individual=demo_people[person],
            ward=ward,
            admitted_at=admitted_at,
            care_type=extra.pop("care_type", "SOMATIC"),
            judgement=judgement,
            **extra,
        )

    # Admitted, needs not yet judged.
    admit("astrid", 3, judgement="PENDING")
    # Admission notice overdue: admitted 30 hours ago, nothing sent.
    admit("bengt", 30)
    # Judged to need nothing: no LUS planning.
    admit("gunnel", 5, judgement="NO_NEED")

    # Planning: the kommun has answered, the vårdcentral not yet.
    rolf = admit("rolf", 20)
    rolf = _notify(
        rolf, sos, social=social, hsv=hsv, vc=rosenlund, estimate=today + dt.timedelta(days=3)
    )
    _do(
        rolf,
        DischargeFlow.ack_socialtjanst,
        kommun,
        services.unit_answer,
        role=UnitRole.SOCIALTJANST,
        ack_state="ACKNOWLEDGED",
    )
    _do(
        rolf,
        DischargeFlow.ack_kommunal_hsv,
        hsv_user,
        services.unit_answer,
        role=UnitRole.KOMMUNAL_HSV,
        ack_state="NOT_KNOWN",
    )

    # Ready for discharge four days ago; the kallelse to SIP is overdue.
    mb = admit("majbritt", 24 * 8)
    mb = _notify(mb, sos, social=social, vc=rosenlund, estimate=today)
    _do(
        mb,
        DischargeFlow.ack_socialtjanst,
        kommun,
        services.unit_answer,
        role=UnitRole.SOCIALTJANST,
        ack_state="ACKNOWLEDGED",
    )
    _do(
        mb,
        DischargeFlow.ack_vardcentral,
        vk,
        services.unit_answer,
        role=UnitRole.VARDCENTRAL,
        ack_state="ACKNOWLEDGED",
    )
    _do(
        mb, DischargeFlow.appoint_fast_vardkontakt, vk, services.fast_vardkontakt_appoint, person=vk
    )
    mb = _do(
        mb,
        DischargeFlow.issue_ready_notice,
        sos,
        services.ready_notice_issue,
        issued_at=now - dt.timedelta(days=4, hours=3),
        backdate_reason=DEMO_BACKDATE,
    )
    _as_sent_at_issue(mb)
    _do(mb, DischargeFlow.ack_ready, vk, services.ready_notice_acknowledge)

    # Ready, revoked, ready again.
    hassan = admit("hassan", 24 * 3)
    hassan = _notify(
        hassan, sos, social=social, vc=rosenlund, estimate=today + dt.timedelta(days=1)
    )
    hassan = _do(
        hassan,
        DischargeFlow.issue_ready_notice,
        sos,
        services.ready_notice_issue,
        issued_at=now - dt.timedelta(hours=30),
        backdate_reason=DEMO_BACKDATE,
    )
    hassan = _do(
        hassan,
        DischargeFlow.discharge,
        sos,
        services.ready_notice_revoke,
        reason="Nytillkommen infektion",
    )
    _do(
        hassan,
        DischargeFlow.issue_ready_notice,
        sos,
        services.ready_notice_issue,
        issued_at=timezone.now(),
    )
    services.estimated_discharge_date_change(
        process=hassan, estimated_date=today + dt.timedelta(days=2), note="Ny bedömning", by=sos
    )

    # Huddinge: discharged after payment days, with a kallelse to SIP.
    kjell = admit("kjell", 24 * 10, ward=m44_ward, user=m44)
    kjell = _notify(
        kjell, m44, social=hud_social, vc=flemingsberg, estimate=today - dt.timedelta(days=4)
    )
    _do(
        kjell,
        DischargeFlow.ack_socialtjanst,
        hud,
        services.unit_answer,
        role=UnitRole.SOCIALTJANST,
        ack_state="ACKNOWLEDGED",
    )
    _do(
        kjell,
        DischargeFlow.ack_vardcentral,
        vkf,
        services.unit_answer,
        role=UnitRole.VARDCENTRAL,
        ack_state="ACKNOWLEDGED",
    )
    _do(
        kjell,
        DischargeFlow.appoint_fast_vardkontakt,
        vkf,
        services.fast_vardkontakt_appoint,
        person=vkf,
    )
    _do(
        kjell,
        DischargeFlow.plan_socialtjanst,
        hud,
        services.interventions_plan,
        role=UnitRole.SOCIALTJANST,
        interventions_needed=True,
        planned_interventions="Hemtjänst morgon och kväll, trygghetslarm",
    )
    _do(
        kjell,
        DischargeFlow.plan_vardcentral,
        vkf,
        services.interventions_plan,
        role=UnitRole.VARDCENTRAL,
        interventions_needed=True,
        planned_interventions="Läkemedelsgenomgång inom en vecka",
    )
    kjell = _do(
        kjell,
        DischargeFlow.issue_ready_notice,
        m44,
        services.ready_notice_issue,
        issued_at=now - dt.timedelta(days=6),
        backdate_reason=DEMO_BACKDATE,
    )
    _as_sent_at_issue(kjell)
    _do(kjell, DischargeFlow.ack_ready, vkf, services.ready_notice_acknowledge)
    _do(kjell, DischargeFlow.sip_kallelse, vkf, services.sip_kallelse_record, sent=True)
    _do(
        kjell,
        DischargeFlow.discharge,
        m44,
        services.discharge_record,
        discharged_at=now - dt.timedelta(days=1),
        information_sent_at=now - dt.timedelta(days=1),
    )

    # Huddinge: the kommun rejects, the person lives elsewhere.
    # Registered in error (wrong time), withdrawn, then registered again.
    wrong = admit("ingrid", 12, ward=m44_ward, user=m44)
    services.discharge_withdraw(process=wrong, reason="Fel inskrivningstid, registreras om", by=m44)
    ingrid = admit("ingrid", 10, ward=m44_ward, user=m44)
    ingrid = _notify(
        ingrid, m44, social=hud_social, vc=flemingsberg, estimate=today + dt.timedelta(days=5)
    )
    _do(
        ingrid,
        DischargeFlow.ack_socialtjanst,
        hud,
        services.unit_answer,
        role=UnitRole.SOCIALTJANST,
        ack_state="REJECTED_NOT_RESIDENT",
        reason="Folkbokförd i Botkyrka",
    )
