"""The deadlines of a SIP (SoL 2 kap. 7 §, HSL 16 kap. 4 §), declared once.

Registered by ``SipConfig.ready``; see ``workflows.escalation`` for the ladders."""

from django.utils.translation import gettext_lazy as _

from workflows import phrasing
from workflows.deviations.models import Deviation
from workflows.escalation import DeadlineKind, H, register, standard_ladder

Category, Step = Deviation.Category, Deviation.Step

KINDS = (
    DeadlineKind(
        "INVITATION_RESPONSE",
        _("Answer the invitation to SIP"),
        standard_ladder(before=24 * H, escalate_after=4 * H, breach_after=24 * H),
        source="Stockholm routine for SIP: the invited party answers before the meeting",
        deviation=(Category.INVITATION_NOT_ANSWERED, Step.SIP_KALLELSE),
    ),
    DeadlineKind(
        "SIP_FOLLOW_UP",
        _("Follow up the SIP"),
        standard_ladder(before=7 * 24 * H, escalate_after=7 * 24 * H, breach_after=30 * 24 * H),
        source="SoL 2 kap. 7 § / HSL 16 kap. 4 §: the plan says when it is followed up",
        deviation=(Category.SIP_FOLLOW_UP_MISSING, Step.SIP_UPPFOLJNING),
    ),
)


KINDS = (
    *KINDS,
    DeadlineKind(
        "SIP_OWN_CONSENT",
        _("Ask the individual for their own consent before they turn 18"),
        standard_ladder(before=30 * 24 * H, escalate_after=2 * 24 * H, breach_after=7 * 24 * H),
        source="Föräldrabalken 6 kap. 2 §: custody, and with it the guardians' consent, ends "
        "at 18; SoL 2 kap. 7 § / HSL 16 kap. 4 §: the SIP then needs the individual's own "
        "consent",
        deviation=(Category.SIP_CONSENT_LAPSED, Step.OTHER),
    ),
)
#: Each kind in a sentence, for email subjects (``workflows.phrasing``).
PHRASES = {
    "INVITATION_RESPONSE": (
        _("the invitation to the SIP meeting is to be answered"),
        _("the invitation to the SIP meeting has not been answered"),
    ),
    "SIP_FOLLOW_UP": (
        _("the SIP is to be followed up"),
        _("the SIP has not been followed up"),
    ),
    "SIP_OWN_CONSENT": (
        _("the individual's own consent is to be asked for"),
        _("the individual's own consent has not been recorded"),
    ),
}


def register_kinds() -> None:
    register(*KINDS)
    for code, (due, not_done) in PHRASES.items():
        phrasing.register(code, due=due, not_done=not_done)
