"""Superset configuration for Kontingent Analytics, loaded by Superset through ``SUPERSET_CONFIG_PATH``.

It runs inside ``.venv-superset`` (not the main environment), so it imports only ``pipelines.settings``,
which needs nothing but the standard library. Everything instance-specific comes from the environment:

SUPERSET_SECRET_KEY      signing key (else generated once under ``<state>/secrets``, demo only)
SUPERSET_DATABASE_URI    metadata database (PostgreSQL in production; else SQLite under ``<state>/superset``)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

_PROJECT_DIR = Path(__file__).resolve().parent.parent
if str(_PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(_PROJECT_DIR))

from pipelines import settings  # noqa: E402

_SUPERSET_STATE = settings.state_dir() / "superset"
_SUPERSET_STATE.mkdir(parents=True, exist_ok=True)

SECRET_KEY = settings.read_or_create_secret("superset_secret.key", "SUPERSET_SECRET_KEY", nbytes=48)
SQLALCHEMY_DATABASE_URI = os.environ.get("SUPERSET_DATABASE_URI") or (
    f"sqlite:///{_SUPERSET_STATE / 'superset.db'}?check_same_thread=false"
)
DATA_DIR = str(_SUPERSET_STATE)

# Officials read Russian. Superset's front end needs the LANGUAGES entry as well as the default locale,
# otherwise it crashes on start with a blank page (see ../shared/STACK.md).
BABEL_DEFAULT_LOCALE = "ru"
LANGUAGES = {
    "ru": {"flag": "ru", "name": "Русский"},
    "en": {"flag": "us", "name": "English"},
}
# Russian number and date formats in every chart: «12 345,6» and «20.09.2024».
D3_FORMAT = {
    "decimal": ",",
    "thousands": "\u00a0",
    "grouping": [3],
    "currency": ["", "\u00a0₽"],
}
D3_TIME_FORMAT = {
    "dateTime": "%A, %e %B %Y г. %X",
    "date": "%d.%m.%Y",
    "time": "%H:%M:%S",
    "periods": ["AM", "PM"],
    "days": ["воскресенье", "понедельник", "вторник", "среда", "четверг", "пятница", "суббота"],
    "shortDays": ["вс", "пн", "вт", "ср", "чт", "пт", "сб"],
    "months": [
        "января", "февраля", "марта", "апреля", "мая", "июня",
        "июля", "августа", "сентября", "октября", "ноября", "декабря",
    ],
    "shortMonths": ["янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"],
}  # fmt: skip

APP_NAME = "Контингент: аналитика"
FAVICONS = [{"href": "/static/assets/images/favicon.png"}]

# Native filters and the cross-filters officials expect on a dashboard.
FEATURE_FLAGS = {
    "DASHBOARD_NATIVE_FILTERS": True,
    "DASHBOARD_CROSS_FILTERS": True,
    "ALERT_REPORTS": False,
    "TAGGING_SYSTEM": False,
}

# The demo runs on one machine behind no proxy; production sets these through its own config overlay.
TALISMAN_ENABLED = False
ENABLE_PROXY_FIX = bool(os.environ.get("SUPERSET_ENABLE_PROXY_FIX"))
RATELIMIT_STORAGE_URI = "memory://"
SUPERSET_WEBSERVER_TIMEOUT = 120
ROW_LIMIT = 50_000

# The warehouse connection is read-only by its database role as well; never let Superset upload files into it.
PREVENT_UNSAFE_DB_CONNECTIONS = False  # the embedded warehouse is reached through a Unix socket
CSV_EXTENSIONS: set[str] = set()
EXCEL_EXTENSIONS: set[str] = set()
COLUMNAR_EXTENSIONS: set[str] = set()

# No example data, no telemetry, no calls home.
SUPERSET_LOAD_EXAMPLES = False
SCARF_ANALYTICS = False
