"""One base for the human steps of every flow: the task node and the task page.

Both flows declare their human steps with ``FlowTask`` and write their task pages on
``FlowTaskView``. Together they give every step the same behaviour:

- **access**: the case must be visible to the user through the one access rule
  (``coordination.access``), else "not found"; the user must act for the
  organisation the step is routed to, else 403;
- **the form is saved through its service**: ``perform(form)`` calls one service; a
  refusal (``ValidationError``) becomes a message on the form and rolls back;
- **optimistic concurrency**: the page carries a version of the case
  (``process_version``). When someone else changed the case between showing the form
  and saving it, the form comes back with the user's input and a clear message, and
  nothing is saved. A step that someone else finished, took or that is no longer
  needed is explained on the case page (``FlowTask``), never a bare 403 or a 500;
- **access log**: every show and every save is recorded (PDL 4 kap. 3 §);
- **success**: a message, and a redirect to the case page.

Example::

    class ConsentView(SipTaskView):          # SipTaskView(FlowTaskView)
        form_class = ConsentForm

        def perform(self, form):
            services.sip_consent_record(sip=self.process, ..., by=self.request.user)
"""

import abc
import hashlib

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.flow import utils as flow_utils
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from coordination import access
from coordination.backends import ACT_FOR_ORGANISATION
from coordination.models import AccessLog
from coordination.services import access_log_record
from coordination.urls import individual_register_url
from workflows.routing import OrganisationTask

#: The name of the hidden input that carries the case's version back with the form.
VERSION_FIELD = "process_version"


def refusal_message(*, user, task) -> str | None:
    """A clear sentence for a user who lost a race or repeats a step; None when the
    refusal is not about a race (then the 403 stands)."""
    if task.status == STATUS.DONE:
        who = task.owner.get_full_name() if task.owner else ""
        when = (
            formats.date_format(timezone.localtime(task.finished), "j b Y H:i")
            if task.finished
            else ""
        )
        return _("This step has already been done by %(who)s (%(when)s).") % {
            "who": who,
            "when": when,
        }
    if task.status == STATUS.CANCELED:
        return _("This step is no longer needed.")
    if task.owner_id and task.owner_id != user.pk:
        return _("This step has already been taken by %(who)s.") % {
            "who": task.owner.get_full_name() or task.owner.get_username()
        }
    return None


class FlowTask(OrganisationTask):
    """A human step whose refusals after a race are explained on the case page.

    viewflow refuses a step that is done, cancelled or owned by someone else with a
    bare 403 (and a step being saved by someone else with ``FlowLockFailed``). For a
    user who may see the case, that becomes a message on the case page; anyone else
    keeps the 403.
    """

    @property
    def view_path(self):
        return path(
            f"<int:process_pk>/{self.name}/<int:task_pk>/execute/",
            self._explained(flow_utils.wrap_view(self, self.view)),
            name="execute",
        )

    @property
    def assign_path(self):
        if self.assign_view:
            return path(
                f"<int:process_pk>/{self.name}/<int:task_pk>/assign/",
                self._explained(
                    flow_utils.wrap_task_view(self, self.assign_view, permission=self.can_assign)
                ),
                name="assign",
            )

    def _explained(self, view_func):
        flow_task = self

        def view(request, *args, **kwargs):
            try:
                return view_func(request, *args, **kwargs)
            except (PermissionDenied, FlowLockFailed) as exc:
                task = (
                    Task.objects.filter(
                        pk=kwargs.get("task_pk"), process_id=kwargs.get("process_pk")
                    )
                    .select_related("owner")
                    .first()
                )
                if task is None:
                    raise
                process = (
                    flow_task.flow_class.instance.visible_processes(user=request.user)
                    .filter(pk=task.process_id)
                    .first()
                )
                if process is None:
                    raise
                if isinstance(exc, FlowLockFailed):
                    message = _("Someone else is saving this case right now. Try again.")
                else:
                    message = refusal_message(user=request.user, task=task)
                    if message is None:
                        raise
                messages.error(request, message)
                return redirect(process.get_absolute_url())

        view.__name__ = getattr(view_func, "__name__", "view")
        return view


class FlowTaskView(generic.FormView, metaclass=abc.ABCMeta):
    """The page of one human step (or a start step) of a flow; see the module docstring.

    Subclasses set ``form_class``, ``access_purpose`` and ``success_message``, and
    implement ``perform(form)`` with one service call.
    """

    #: The access log's "why" for this flow's case pages.
    access_purpose = ""
    success_message = gettext_lazy("The step has been recorded.")

    @property
    def process(self):
        return self.request.activation.process

    def dispatch(self, request, *args, **kwargs):
        self.check_access()
        return super().dispatch(request, *args, **kwargs)

    def check_access(self) -> None:
        """The user sees the case and acts for the organisation the step is routed to.

        A start step has no case yet: the node's ``Available`` rule decides there.
        """
        process = self.process
        if process.pk is None:
            return
        user = self.request.user
        if not access.process_is_visible(user=user, process_id=process.pk):
            raise Http404
        task = self.request.activation.task
        if (
            task.owner_permission == ACT_FOR_ORGANISATION
            and task.owner_permission_obj_pk
            and not access.acting_organisations(user=user)
            .filter(pk=task.owner_permission_obj_pk)
            .exists()
        ):
            raise PermissionDenied(_("You do not act for the organisation of this step."))

    # --- Optimistic concurrency ---------------------------------------------------------

    def process_version_parts(self) -> tuple:
        """What the form was filled in against: the case's status and stage. A flow may
        add more; parallel branches of one case do not conflict unless they move it."""
        process = self.process
        return (process.pk, process.status, getattr(process, "stage", ""))

    def process_version(self) -> str:
        if self.process.pk is None:
            return ""
        text = "|".join(str(part) for part in self.process_version_parts())
        return hashlib.sha256(text.encode()).hexdigest()[:20]

    def changed_meanwhile(self) -> bool:
        """The version posted with the form is not the case's version now (read under
        the flow's lock). A post without a version (no form page shown) is checked by
        the task's own state only."""
        posted = self.request.POST.get(VERSION_FIELD)
        return bool(posted) and posted != self.process_version()

    # --- Page -----------------------------------------------------------------------------

    def get_context_data(self, **kwargs):
        activation = self.request.activation
        context = super().get_context_data(**kwargs)
        context.update(
            process=self.process,
            task=activation.task,
            task_title=activation.flow_task.task_title,
            process_version=self.process_version(),
        )
        self.access_log(AccessLog.Action.READ)
        return context

    def access_log(self, action) -> None:
        """Task pages show and change the individual's data: access-logged (PDL 4 kap. 3 §)."""
        process = self.process
        if process.pk is not None and getattr(process, "individual_id", None):
            access_log_record(
                user=self.request.user,
                action=action,
                purpose=self.access_purpose,
                individual=process.individual,
                process=process,
                request=self.request,
            )

    @abc.abstractmethod
    def perform(self, form) -> None:
        """Save the form through its flow's service (each task page says which)."""

    def form_valid(self, form):
        if self.changed_meanwhile():
            form.add_error(
                None,
                _(
                    "Someone else changed this case while you were filling in the form. "
                    "Nothing was saved: check the case and save again."
                ),
            )
            return self.form_invalid(form)
        try:
            with transaction.atomic():
                self.perform(form)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        self.request.activation.execute()
        self.access_log(AccessLog.Action.UPDATE)
        messages.success(self.request, self.success_message)
        return redirect(self.process.get_absolute_url())


class PersonFromRegisterMixin:
    """The start of a discharge or SIP: the person is chosen by personnummer; the page
    links to finding or registering the person (``coordination:individual_register``),
    which hands the number back as ``?personal_identity_number=``."""

    def get_initial(self):
        initial = super().get_initial()
        number = self.request.GET.get("personal_identity_number", "").strip()[:13]
        if number:
            initial["personal_identity_number"] = number
        return initial

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "register_next": self.request.path}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            register_url=individual_register_url(next_url=self.request.path), **kwargs
        )
