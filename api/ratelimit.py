"""A fixed-window rate limit per API client, counted in Django's cache.

``API_RATE_LIMIT_PER_MINUTE`` requests per client and minute; the next one is refused
with 429 and ``Retry-After`` (seconds to the next window). With several web processes
the cache must be shared (``API_RATE_LIMIT_CACHE`` naming a Redis cache) for the
limit to hold across them; with the local-memory default it holds per process.
"""

import math

from django.conf import settings
from django.core.cache import caches
from django.utils import timezone

WINDOW_SECONDS = 60


def rate_limit_check(*, client_id: int) -> int | None:
    """Count one request; None when allowed, else the seconds to wait."""
    limit = settings.API_RATE_LIMIT_PER_MINUTE
    if not limit:
        return None
    cache = caches[settings.API_RATE_LIMIT_CACHE]
    now = timezone.now().timestamp()
    window = int(now // WINDOW_SECONDS)
    key = f"api-rate:{client_id}:{window}"
    cache.add(key, 0, timeout=WINDOW_SECONDS * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS * 2)
        count = 1
    if count <= limit:
        return None
    return max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
