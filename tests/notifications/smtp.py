"""A real SMTP server on a free loopback port (aiosmtpd), for delivery tests."""

import asyncio
import email
import email.policy
import socket
import threading

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sink:
    """Keeps what it accepts. With ``hang`` set it stops in the middle of DATA, before
    accepting, until released, and then refuses: a client killed meanwhile has not
    delivered the message (SMTP accepts a message only with the final 250)."""

    def __init__(self):
        self.messages: list[email.message.Message] = []
        self.hang = False
        self.delay = 0.0  # seconds before each 250: a slow server keeps a batch in flight
        self.entered = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if self.hang:
            self.entered.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
            return "451 4.3.0 Aborted by the test"
        if self.delay:
            await asyncio.sleep(self.delay)
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"


class SmtpServer:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.sink = Sink()
        self._controller = None

    def start(self):
        self._controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def django_settings(self, settings):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = self.port
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 5
