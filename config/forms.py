"""The login form with bounded fields.

Django's ``AuthenticationForm`` sets ``max_length`` on the username field after the
field was built, so the length validator is never added: a 10,000-character username
went on to ``authenticate()`` and django-axes, which stores it in a 255-character column
(a 500 on PostgreSQL). Here both fields are validated first; a too-long value is an
ordinary form error and reaches neither the backends nor axes.
"""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator

USERNAME_MAX_LENGTH = 150  # Django's User.username
PASSWORD_MAX_LENGTH = 4096  # far above any passphrase, far below a hashing DoS


class LoginForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, limit in (("username", USERNAME_MAX_LENGTH), ("password", PASSWORD_MAX_LENGTH)):
            field = self.fields[name]
            field.max_length = limit
            field.validators.append(MaxLengthValidator(limit))
            field.widget.attrs["maxlength"] = str(limit)


class AdminLoginForm(AdminAuthenticationForm, LoginForm):
    """The admin's login form, bounded the same way."""


def axes_username(request, credentials=None) -> str | None:
    """The username django-axes records, cut to its 255-character column.

    A second line of defence behind the bounded forms: any other path into
    ``authenticate()`` (the admin, a future API) must not turn a long name into a 500.
    """
    if credentials:
        username = credentials.get("username")
    else:
        username = getattr(request, "data", request.POST).get("username")
    return None if username is None else str(username)[:255]
