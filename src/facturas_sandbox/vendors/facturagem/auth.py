"""FACTURAgem sessions: `login` + `password` open a session whose `api_key` is sent as a query
parameter on every other call.

The tenant registry indexes two kinds of FACTURAgem secrets: the pair `login\\npassword`
(role "login", used only by POST /session) and the session's api key (role "api_key").
"""

from __future__ import annotations

from typing import Any

from connexion.lifecycle import ConnexionRequest

API = "facturagem"
LOGIN_ROLE = "login"
API_KEY_ROLE = "api_key"


def login_secret(login: str, password: str) -> str:
    return f"{login}\n{password}"


def api_key_info(token: str, request: ConnexionRequest) -> dict[str, Any] | None:
    found = request.scope["sandbox"].tenants.resolve(API, token)
    if found is None or found[1] != API_KEY_ROLE:
        return None
    tenant, role = found
    return {"tenant": tenant.id, "role": role, "sub": tenant.credentials.get(API, {}).get("login", "")}
