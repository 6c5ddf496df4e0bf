"""Serve Kardborre for the page audits (scripts/audit.sh): the production settings of the
environment, static files from the finders, and gzip on text responses, as the production
front (reverse proxy or static-file middleware) compresses them.

    python scripts/audit_server.py PORT
"""

import gzip
import os
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")


def gzipped(app):
    """Compress whole text responses when the client accepts gzip."""

    def wrapped(environ, start_response):
        if "gzip" not in environ.get("HTTP_ACCEPT_ENCODING", ""):
            return app(environ, start_response)
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None  # the write() callable; Django never uses it

        body = b"".join(app(environ, capture))
        headers = captured["headers"]
        kind = next((v for k, v in headers if k.lower() == "content-type"), "")
        already = any(k.lower() == "content-encoding" for k, _ in headers)
        if kind.startswith(COMPRESSIBLE) and not already and len(body) > 256:
            body = gzip.compress(body, compresslevel=6)
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            headers += [
                ("Content-Encoding", "gzip"),
                ("Content-Length", str(len(body))),
                ("Vary", "Accept-Encoding"),
            ]
        start_response(captured["status"], headers)
        return [body]

    return wrapped


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 -- the base class's signature
        pass


def main():
    import django
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.wsgi import get_wsgi_application

    django.setup()
    app = gzipped(StaticFilesHandler(get_wsgi_application()))
    port = int(sys.argv[1])
    server = make_server(
        "127.0.0.1", port, app, server_class=ThreadingWSGIServer, handler_class=QuietHandler
    )
    print(f"audit server on http://127.0.0.1:{port}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
