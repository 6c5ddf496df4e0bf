from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, ListView

from . import selectors, services
from .forms import OutboxFilterForm, PreferenceForm
from .models import OutboundEmail


class OutboxListView(LoginRequiredMixin, ListView):
    """The outbox: every email for administrators, one's own organisations' otherwise."""

    template_name = "notifications/outbox_list.html"
    context_object_name = "emails"
    paginate_by = 50

    def get_queryset(self):
        self.filter_form = OutboxFilterForm(self.request.GET or None)
        status = recipient = ""
        if self.filter_form.is_bound and self.filter_form.is_valid():
            status = self.filter_form.cleaned_data["status"]
            recipient = self.filter_form.cleaned_data["recipient"]
        return selectors.outbox_visible_to(
            user=self.request.user, status=status, recipient=recipient
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter_form"] = self.filter_form
        context["is_outbox_admin"] = selectors.user_is_outbox_admin(user=self.request.user)
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query_string"] = query.urlencode()
        return context


class OutboxResendView(LoginRequiredMixin, View):
    """POST only: an administrator sends a failed or sent email again."""

    http_method_names = ["post"]

    def post(self, request, pk):
        if not selectors.user_is_outbox_admin(user=request.user):
            raise Http404  # a row the user may not see: not found, like any other id
        email = get_object_or_404(OutboundEmail, pk=pk)
        try:
            services.email_resend(email=email, by=request.user)
        except ValueError:
            messages.error(request, _("Only a failed or sent email can be sent again."))
        else:
            messages.success(
                request, _("The email to %(to)s will be sent again.") % {"to": email.to}
            )
        # Back to the same filtered page: only a query string is accepted.
        query = request.POST.get("query", "")
        url = reverse("notifications:outbox_list")
        return redirect(f"{url}?{query}" if query and "\n" not in query else url)


class PreferencesView(LoginRequiredMixin, FormView):
    """Mina inställningar: the daily digest on or off."""

    template_name = "notifications/preferences.html"
    form_class = PreferenceForm

    def get_initial(self):
        return {"daily_digest": selectors.user_wants_digest(user=self.request.user)}

    def form_valid(self, form):
        services.preference_set(
            user=self.request.user, daily_digest=form.cleaned_data["daily_digest"]
        )
        messages.success(self.request, _("Your settings have been saved."))
        return redirect("notifications:preferences")
