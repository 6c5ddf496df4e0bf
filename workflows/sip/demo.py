"""Demo SIPs in several states, run through the flow's own nodes and services.

Idempotent: each scenario is recognised by its reason text and loaded once.
Needs the coordination demo (registry, individuals, users) first.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from viewflow.workflow.status import STATUS

from coordination.models import Individual, Organisation, RelatedPerson

from . import services
from .flows import SipFlow
from .models import Invitation, SipProcess


class _Request:
    """What viewflow's activations read from a request when run outside one."""

    def __init__(self, user):
        self.user = user


def _user(username):
    return get_user_model().objects.get(username=username)


def _org(name):
    return Organisation.objects.get(name=name)


def _individual(given, family):
    return Individual.objects.get(given_name=given, family_name=family)


def _start(*, username, organisation, individual, reason, participants=()):
    user = _user(username)
    activation = SipFlow.start.activation_class.create(SipFlow.start, None, None)
    activation.start(_Request(user))
    return services.sip_initiate(
        activation=activation,
        individual=individual,
        initiating_organisation=organisation,
        reason=reason,
        participants=participants,
        by=user,
    )


def _do(sip, node, username, action):
    """Take the open task of ``node`` as ``username``, run ``action(process, user)``, finish it."""
    user = _user(username)
    task = sip.task_set.get(flow_task=node, status=STATUS.NEW)
    activation = node.activation_class(task)
    activation.assign(user)
    activation.start(_Request(user))
    action(activation.process, user)
    activation.execute()
    sip.refresh_from_db()


def _consent(decision="GIVEN", note=""):
    def action(process, user):
        services.sip_consent_record(
            sip=process, decision=decision, method="WRITTEN", scope_note=note, by=user
        )

    return action


def _invite(starts_at, organisations, *, place="", phone="", include_individual=True):
    def action(process, user):
        services.sip_invite(
            sip=process,
            starts_at=starts_at,
            place=place,
            phone=phone,
            organisations=organisations,
            include_individual=include_individual,
            by=user,
        )

    return action


REASONS = {
    "waiting": "Hemgång efter höftfraktur: behov av hemtjänst, hemsjukvård och rehabilitering.",
    "planned": "Ökande minnessvikt, oro hos dottern; samordna hemtjänst och vårdcentral.",
    "child": "Elsa har stor frånvaro i skolan och behöver stöd från flera håll.",
    "declined": "Förslag om SIP efter återkommande fall i hemmet.",
    "huddinge": "Samordning av hemtjänst och läkemedel efter utskrivning.",
}


def _exists(key):
    return SipProcess.objects.filter(reason=REASONS[key]).exists()


@transaction.atomic
def load() -> None:
    now = timezone.now()
    soder_bistand = _org("Södermalm biståndsenhet äldre")
    rosenlund = _org("Rosenlunds vårdcentral")
    soder_hsv = _org("Södermalm kommunal hälso- och sjukvård")
    attendo = _org("Attendo hemtjänst Södermalm")  # reachability NO
    skanstull = _org("Skanstulls vårdcentral")  # reachability UNKNOWN

    # 1. Meeting planned: one organisation with UNKNOWN and one with NO reachability
    #    wait for a second channel; the vårdcentral has not answered yet.
    if not _exists("waiting"):
        sip = _start(
            username="handlaggare.sodermalm",
            organisation=soder_bistand,
            individual=_individual("Astrid", "Johansson"),
            reason=REASONS["waiting"],
            participants=[rosenlund, attendo, skanstull],
        )
        _do(sip, SipFlow.consent, "handlaggare.sodermalm", _consent())
        _do(
            sip,
            SipFlow.invite,
            "handlaggare.sodermalm",
            _invite(
                now + dt.timedelta(days=4),
                [rosenlund, attendo, skanstull],
                place="Södermalms biståndsenhet, Götgatan 10, rum 3",
            ),
        )

    # 2. Meeting held: the municipal health care was absent and never answered; a plan
    #    with a follow-up date in a month.
    if not _exists("planned"):
        bengt = _individual("Bengt", "Karlsson")
        daughter, _ = RelatedPerson.objects.get_or_create(
            individual=bengt,
            name="Lisa Karlsson",
            defaults={"kind": "NARSTAENDE", "email": "lisa.karlsson@example.se"},
        )
        sip = _start(
            username="vardkontakt.rosenlund",
            organisation=rosenlund,
            individual=bengt,
            reason=REASONS["planned"],
            participants=[soder_bistand, soder_hsv],
        )
        _do(
            sip,
            SipFlow.consent,
            "vardkontakt.rosenlund",
            _consent(note="Gäller inte journalkopior."),
        )

        def invite(process, user):
            services.sip_invite(
                sip=process,
                starts_at=now - dt.timedelta(days=2),
                place="Rosenlunds vårdcentral, konferensrum",
                organisations=[soder_bistand, soder_hsv],
                include_individual=True,
                related_persons=[daughter],
                by=user,
            )
            for invitation in Invitation.objects.filter(meeting__sip=process).exclude(
                organisation=soder_hsv
            ):
                services.invitation_set_state(
                    invitation=invitation,
                    action="acknowledge",
                    reason="Bekräftat per telefon",
                    by=user,
                )
                services.invitation_set_state(
                    invitation=invitation, action="accept", reason="Kommer", by=user
                )

        _do(sip, SipFlow.invite, "vardkontakt.rosenlund", invite)

        def meeting(process, user):
            held = process.meetings.get()
            attendance = {
                invitation.pk: (
                    "ABSENT" if invitation.organisation_id == soder_hsv.pk else "ATTENDED",
                    "",
                )
                for invitation in held.invitations.all()
            }
            services.sip_meeting_record(
                sip=process, meeting=held, attendance=attendance, notes="Bra samtal.", by=user
            )

        _do(sip, SipFlow.meeting, "vardkontakt.rosenlund", meeting)

        def plan(process, user):
            today = timezone.localdate()
            services.sip_plan_save(
                sip=process,
                overall_responsibility="REGION",
                lead_person=user,
                own_goals="Jag vill bo kvar hemma och klara morgonpromenaden.",
                others_actions="Dottern Lisa handlar och följer med till vårdcentralen.",
                follow_up_date=today + dt.timedelta(days=30),
                interventions=[
                    {
                        "description": "Hemtjänst morgon och kväll",
                        "organisation": soder_bistand,
                        "start_date": today,
                    },
                    {
                        "description": "Läkemedelsgenomgång och minnesutredning",
                        "organisation": rosenlund,
                        "start_date": today + dt.timedelta(days=7),
                    },
                ],
                by=user,
            )

        _do(sip, SipFlow.plan, "vardkontakt.rosenlund", plan)

    # 3. A child: waiting for both guardians' consent.
    if not _exists("child"):
        _start(
            username="handlaggare.sodermalm",
            organisation=soder_bistand,
            individual=_individual("Elsa", "Lindqvist"),
            reason=REASONS["child"],
            participants=[
                rosenlund,
                *Organisation.objects.filter(
                    name__in=["Eriksdalsskolan", "Eriksdalsskolans elevhälsa", "BUP Södermalm"]
                ).order_by("name"),
            ],
        )

    # 4. Consent declined: the SIP ended.
    if not _exists("declined"):
        sip = _start(
            username="handlaggare.sodermalm",
            organisation=soder_bistand,
            individual=_individual("Gunnel", "Persson"),
            reason=REASONS["declined"],
        )
        _do(
            sip,
            SipFlow.consent,
            "handlaggare.sodermalm",
            _consent("DECLINED", "Vill inte just nu, kan ompröva efter sommaren."),
        )

    # 5. Huddinge: consent given, the invitation still to be sent.
    if not _exists("huddinge"):
        sip = _start(
            username="handlaggare.huddinge",
            organisation=_org("Huddinge biståndsenhet äldre"),
            individual=_individual("Kjell", "Olsson"),
            reason=REASONS["huddinge"],
            participants=[
                _org("Flemingsbergs vårdcentral"),
                _org("Förenade Care hemtjänst Huddinge"),
            ],
        )
        _do(sip, SipFlow.consent, "handlaggare.huddinge", _consent())
