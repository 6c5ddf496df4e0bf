"""Links in emails, and the hooks through which the layers above fill them.

Emails are rendered by workers, outside any request, so every link is absolute
(``settings.SITE_URL``). This layer knows no case: the app that owns processes
registers how a process becomes a case link, and what a stored row's plain data
(``kind`` …) means, in its ``AppConfig.ready()`` (``workflows.apps``)."""

from collections.abc import Callable

from django.conf import settings

_case_url: Callable | None = None
_context_hooks: list[Callable[[dict], None]] = []


def absolute_url(path: str) -> str:
    """``path`` on the public site (``settings.SITE_URL``).

    >>> from django.conf import settings
    >>> absolute_url("https://elsewhere.example/x")
    'https://elsewhere.example/x'
    """
    if path.startswith(("http://", "https://")):
        return path
    return settings.SITE_URL.rstrip("/") + "/" + path.lstrip("/")


def case_url_register(provider: Callable) -> None:
    """``provider(process) -> absolute URL`` of the case page of a process."""
    global _case_url
    _case_url = provider


def context_hook_register(hook: Callable[[dict], None]) -> None:
    """``hook(context)`` completes the context of a row written with plain data."""
    if hook not in _context_hooks:
        _context_hooks.append(hook)


def case_url(process) -> str:
    if _case_url is None:
        return absolute_url("/")
    return _case_url(process)


def context_complete(context: dict) -> None:
    for hook in _context_hooks:
        hook(context)
