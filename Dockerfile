# Kardborre: one image for web (gunicorn), Celery worker and beat.
# Build: docker build -t kardborre .   Run: see compose.yaml and docs/deploy.md.

# --- build: the virtualenv from uv.lock, and the collected static files ---------------
FROM python:3.11-slim-bookworm AS build
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN pip install --no-cache-dir "uv==0.13.9"
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
# Static files are collected at build time (whitenoise serves them, compressed and hashed).
# The key below only lets settings load for collectstatic; it is not in the final image.
RUN DEBUG=false SECRET_KEY=collectstatic-only STATIC_ROOT=/app/staticfiles \
    KARDBORRE_VAR_DIR=/tmp/kardborre .venv/bin/python manage.py collectstatic --noinput -v0 \
    && rm -rf /tmp/kardborre var .tools .git tests bench

# --- runtime: slim, non-root, with the pango libraries WeasyPrint needs ---------------
FROM python:3.11-slim-bookworm AS runtime
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --gid 0 --home-dir /app --shell /usr/sbin/nologin kardborre \
    && mkdir -p /var/lib/kardborre \
    && chown 10001:0 /var/lib/kardborre
WORKDIR /app
COPY --from=build /app /app
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=config.settings \
    STATIC_ROOT=/app/staticfiles \
    KARDBORRE_VAR_DIR=/var/lib/kardborre \
    LOG_FORMAT=json \
    XDG_CACHE_HOME=/tmp/cache \
    PORT=8000
USER 10001
EXPOSE 8000
# Liveness of the web process (the endpoint comes with the health checks; compose.yaml
# overrides this for the worker and beat).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health/live' % os.environ.get('PORT', '8000'), timeout=4)"]
CMD ["gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"]
