"""Production overlay on the project's Superset configuration: the same settings, plus Redis caching.

Loaded through ``SUPERSET_CONFIG_PATH`` in the Superset image; everything else (Russian locale, formats, secret
key and metadata URI from the environment) comes from ``dashboards/superset_config.py``.
"""

import os

from dashboards.superset_config import *  # noqa: F401,F403

_REDIS_URL = os.environ["SUPERSET_REDIS_URL"]  # e.g. redis://redis:6379/0 (docker-compose.yml)


def _cache(prefix: str, timeout: int) -> dict:
    return {
        "CACHE_TYPE": "RedisCache",
        "CACHE_DEFAULT_TIMEOUT": timeout,
        "CACHE_KEY_PREFIX": prefix,
        "CACHE_REDIS_URL": _REDIS_URL,
    }


CACHE_CONFIG = _cache("superset_", 300)
DATA_CACHE_CONFIG = _cache("superset_data_", 3600)  # the marts change nightly
FILTER_STATE_CACHE_CONFIG = _cache("superset_filter_", 86400)
EXPLORE_FORM_DATA_CACHE_CONFIG = _cache("superset_explore_", 86400)
RATELIMIT_STORAGE_URI = _REDIS_URL
ENABLE_PROXY_FIX = True
