"""The deadlines of discharge from inpatient care (LUS 2017:612), declared once.

Each kind carries its source, its ladder (``workflows.escalation``) and the deviation
drafted when it is breached. Registered by ``DischargeConfig.ready``."""

from django.utils.translation import gettext_lazy as _

from workflows import phrasing
from workflows.deviations.models import Deviation
from workflows.escalation import DeadlineKind, H, register, standard_ladder

Category, Step = Deviation.Category, Deviation.Step

KINDS = (
    DeadlineKind(
        "INSKRIVNINGSMEDDELANDE",
        _("Admission notice to the units concerned"),
        standard_ladder(before=6 * H, escalate_after=2 * H, breach_after=4 * H),
        source="LUS 4 kap. 1 §: within 24 hours of admission or of the physician's judgement",
        deviation=(Category.INSKRIVNINGSMEDDELANDE_LATE, Step.INSKRIVNING),
        calendar_hours_by_law=True,
    ),
    DeadlineKind(
        "INSKRIVNING_ACK",
        _("Acknowledge the admission notice"),
        standard_ladder(before=4 * H, escalate_after=4 * H, breach_after=24 * H),
        source="Local rule (KARDBORRE_LOCAL_DEADLINES): an answer within 24 hours; the "
        "Stockholm routine, step 1, only says the notice is acknowledged",
        deviation=(Category.INSKRIVNING_NOT_ACKNOWLEDGED, Step.INSKRIVNING),
        local=True,
    ),
    DeadlineKind(
        "FAST_VARDKONTAKT",
        _("Appoint the designated care contact"),
        standard_ladder(before=24 * H, escalate_after=2 * H, breach_after=24 * H),
        source="LUS 4 kap. 3 §: a fast vårdkontakt appointed before the patient is discharged",
        deviation=(Category.FAST_VARDKONTAKT_MISSING, Step.FAST_VARDKONTAKT),
    ),
    DeadlineKind(
        "UTSKRIVNINGSKLAR_ACK",
        _("Acknowledge the ready-for-discharge notice"),
        standard_ladder(before=4 * H, escalate_after=2 * H, breach_after=24 * H),
        source="Local rule (KARDBORRE_LOCAL_DEADLINES): by the end of day 0; LUS 4 kap. 5 § "
        "and the Stockholm routine only say outpatient care acknowledges before discharge",
        deviation=(Category.UTSKRIVNINGSKLAR_NOT_ACKNOWLEDGED, Step.UTSKRIVNINGSKLAR),
        local=True,
    ),
    DeadlineKind(
        "SIP_KALLELSE",
        _("Send the invitation to SIP"),
        standard_ladder(before=24 * H, escalate_after=2 * H, breach_after=24 * H),
        source="LUS 4 kap. 6 §: within three calendar days of the ready-for-discharge notice",
        deviation=(Category.SIP_INVITATION_LATE, Step.SIP_KALLELSE),
    ),
    DeadlineKind(
        "DISCHARGE_INFORMATION",
        _("Information at discharge"),
        standard_ladder(before=4 * H, escalate_after=2 * H, breach_after=24 * H),
        source="LUS 4 kap. 7 §: no later than the day of discharge",
        deviation=(Category.DISCHARGE_INFORMATION_MISSING, Step.UTSKRIVNING),
    ),
    DeadlineKind(
        "COMPULSORY_CARE_PLAN",
        _("Draw up the coordinated care plan (ÖPT/ÖRV)"),
        standard_ladder(before=24 * H, escalate_after=2 * H, breach_after=24 * H),
        source="LPT 7 a § / LRV 12 a §: a samordnad vårdplan with the units of the kommun and "
        "the region before öppen tvångsvård; HFD 2021:20: always attached (DOMAIN.md §1.5)",
        deviation=(Category.DISCHARGED_BEFORE_PLANNING, Step.UTSKRIVNING),
    ),
)


#: Each kind in a sentence, for email subjects (``workflows.phrasing``).
PHRASES = {
    "INSKRIVNINGSMEDDELANDE": (
        _("the admission notice is to be sent"),
        _("the admission notice has not been sent"),
    ),
    "INSKRIVNING_ACK": (
        _("the admission notice is to be acknowledged"),
        _("the admission notice has not been acknowledged"),
    ),
    "FAST_VARDKONTAKT": (
        _("a designated care contact is to be appointed"),
        _("no designated care contact has been appointed"),
    ),
    "UTSKRIVNINGSKLAR_ACK": (
        _("the ready-for-discharge notice is to be acknowledged"),
        _("the ready-for-discharge notice has not been acknowledged"),
    ),
    "SIP_KALLELSE": (
        _("the invitation to SIP is to be sent"),
        _("the invitation to SIP has not been sent"),
    ),
    "DISCHARGE_INFORMATION": (
        _("the information at discharge is to be sent"),
        _("the information at discharge has not been sent"),
    ),
    "COMPULSORY_CARE_PLAN": (
        _("the coordinated care plan is to be drawn up"),
        _("the coordinated care plan has not been drawn up"),
    ),
}


def register_kinds() -> None:
    register(*KINDS)
    for code, (due, not_done) in PHRASES.items():
        phrasing.register(code, due=due, not_done=not_done)
