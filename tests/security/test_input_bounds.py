"""Bad input never 500s: every form bounds its text, and the login pages take anything.

A 10,000-character username used to reach django-axes (255-character column) and end in
a 500. Django's own AuthenticationForm sets ``max_length`` without its validator, so the
bound is checked here as a validator, not as an attribute.
"""

import importlib
import inspect

import pytest
from axes.models import AccessAttempt
from django import forms
from django.core.validators import MaxLengthValidator
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from config.forms import AdminLoginForm, LoginForm
from tests.factories import UserFactory

FORM_MODULES = [
    "config.forms",
    "coordination.forms",
    "workflows.deviations.forms",
    "notifications.forms",
    "workflows.discharge.forms",
    "workflows.sip.forms",
]


def _form_classes():
    for name in FORM_MODULES:
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == name:
                yield cls


def _unbounded(fields) -> list[str]:
    return [
        name
        for name, field in fields.items()
        if isinstance(field, forms.CharField)
        and not any(isinstance(v, MaxLengthValidator) for v in field.validators)
    ]


def test_every_text_field_of_every_form_is_bounded():
    classes = list(_form_classes())
    assert len(classes) > 20  # the walk finds the project's forms
    missing = {
        f"{cls.__module__}.{cls.__name__}": _unbounded(cls.base_fields)
        for cls in classes
        if cls not in (LoginForm, AdminLoginForm)  # bounded at construction, below
    }
    assert {name: fields for name, fields in missing.items() if fields} == {}
    assert _unbounded(LoginForm().fields) == []
    assert _unbounded(AdminLoginForm().fields) == []


def test_the_check_is_real():
    class Loose(forms.Form):
        note = forms.CharField(widget=forms.Textarea)

    assert _unbounded(Loose.base_fields) == ["note"]


LONG = "å" * 10_000
# Long, binary-looking and odd Unicode values (a NUL is a form error, never a 500).
nasty = st.one_of(
    st.just(LONG),
    st.just("a" * 256),
    st.just("\x00\x01\xff\xfe binary"),
    st.just("\ufeff\u202e\U0001f600" * 100),
    st.text(max_size=300),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
)

FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors],
)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/konto/login/", "/admin/login/"])
def test_a_ten_thousand_character_username_is_a_form_error(url, settings):
    settings.AXES_ENABLED = True  # as in production
    response = Client().post(url, {"username": "x" * 10_000, "password": "whatever"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "kb-errors" in page or "errornote" in page  # our page / the admin's
    assert "150" in page  # "… högst 150 tecken …"
    assert not AccessAttempt.objects.exists()


@pytest.mark.django_db
def test_raw_invalid_utf8_to_the_login_page_is_not_a_500(settings):
    settings.AXES_ENABLED = True
    body = b"username=\xff\xfe" + b"\xc3" * 5000 + b"&password=%00%ff"
    response = Client().generic(
        "POST", "/konto/login/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code in (200, 400)


@pytest.mark.django_db
def test_long_usernames_still_count_towards_lockout_when_valid(settings):
    """The bound does not open a way around django-axes: a valid-length wrong login
    counts, and the lockout still happens."""
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 2
    user = UserFactory()
    client = Client()
    for _ in range(2):
        client.post("/konto/login/", {"username": user.username, "password": "wrong"})
    response = client.post("/konto/login/", {"username": user.username, "password": "x"})
    assert response.status_code == 429


class LoginFuzz(TestCase):
    @FUZZ
    @given(username=nasty, password=nasty)
    def test_login_pages_never_500(self, username, password):
        with self.settings(AXES_ENABLED=True):
            for url in (reverse("login"), "/admin/login/"):
                response = Client().post(url, {"username": username, "password": password})
                assert response.status_code in (200, 400, 429), (url, response.status_code)
