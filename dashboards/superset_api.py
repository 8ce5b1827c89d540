"""A small client for Superset's REST API: JWT login, CSRF token, JSON calls, chart data.

Used by tests and by provisioning steps that need a running server (roles, row-level security later).
"""

from __future__ import annotations

import json
from typing import Any

import requests

from dashboards import superset


class SupersetApi:
    def __init__(self, base_url: str | None = None, username: str | None = None, password: str | None = None):
        login = superset.admin_login()
        self.base_url = (base_url or login.url).rstrip("/")
        self.session = requests.Session()
        self.session.headers["Referer"] = self.base_url
        response = self.session.post(
            f"{self.base_url}/api/v1/security/login",
            json={
                "username": username or login.username,
                "password": password or login.password,
                "provider": "db",
                "refresh": False,
            },
            timeout=30,
        )
        if response.status_code != 200:
            raise superset.SupersetError(
                f"Superset на {self.base_url} отклонил вход (код {response.status_code}): "
                "проверьте SUPERSET_ADMIN_PASSWORD или файл секрета в каталоге состояния."
            )
        self.session.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        csrf = self.session.get(f"{self.base_url}/api/v1/security/csrf_token/", timeout=30)
        csrf.raise_for_status()
        self.session.headers["X-CSRFToken"] = csrf.json()["result"]

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        if "q" in params and not isinstance(params["q"], str):
            params["q"] = _rison(params["q"])
        response = self.session.get(f"{self.base_url}{path}", params=params, timeout=60)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, payload: dict[str, Any]) -> requests.Response:
        return self.session.post(f"{self.base_url}{path}", json=payload, timeout=120)

    def dashboard(self, slug_or_id: str | int) -> dict[str, Any]:
        return self.get(f"/api/v1/dashboard/{slug_or_id}")["result"]

    def dashboard_charts(self, slug_or_id: str | int) -> list[dict[str, Any]]:
        return self.get(f"/api/v1/dashboard/{slug_or_id}/charts")["result"]

    def chart(self, chart_id: int) -> dict[str, Any]:
        return self.get(f"/api/v1/chart/{chart_id}")["result"]

    def chart_data(self, query_context: dict[str, Any]) -> list[dict[str, Any]]:
        """POST /api/v1/chart/data; return each query's result (data, rowcount, error …), or raise."""
        response = self.post("/api/v1/chart/data", query_context)
        if response.status_code != 200:
            raise superset.SupersetError(
                f"/api/v1/chart/data ответил кодом {response.status_code}: {response.text[:500]}"
            )
        return response.json()["result"]

    def saved_query_context(self, chart_id: int) -> dict[str, Any]:
        return json.loads(self.chart(chart_id)["query_context"])


def _rison(value: Any) -> str:
    """Just enough Rison for Superset's ``q`` parameter (dicts, lists, strings, numbers, booleans)."""
    if isinstance(value, dict):
        return "(" + ",".join(f"{k}:{_rison(v)}" for k, v in value.items()) + ")"
    if isinstance(value, list):
        return "!(" + ",".join(_rison(v) for v in value) + ")"
    if isinstance(value, bool):
        return "!t" if value else "!f"
    if value is None:
        return "!n"
    if isinstance(value, int | float):
        return str(value)
    return "'" + str(value).replace("!", "!!").replace("'", "!'") + "'"
