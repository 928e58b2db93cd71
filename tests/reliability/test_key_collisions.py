"""No tenant can take over another tenant's credential (issue 13, finding 1).

Every secret the sandbox recognises has exactly one owner. Wherever a client chooses a secret
(FacturaScripts' `apikeyes.apikey`) a value that already opens anything in the sandbox —
another tenant's key, the public demo keys, another API's token, the tenant's own key — is
refused with the API's own save error, and afterwards every credential still means what it
meant. Where the sandbox mints the secret itself (tenant credentials, FACTURAgem session keys)
a collision is drawn again instead of stealing the existing owner's entry.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient
from support import bearer

from facturas_sandbox.app import create_app
from facturas_sandbox.settings import Settings
from facturas_sandbox.vendors.facturagem import DEMO_LOGIN, DEMO_PASSWORD
from facturas_sandbox.vendors.facturala import DEMO_TOKEN as FACTURALA_DEMO_TOKEN
from facturas_sandbox.vendors.facturascripts import DEMO_RESTRICTED_TOKEN, DEMO_TOKEN
from facturas_sandbox.vendors.facturascripts import engine as fs_engine
from facturas_sandbox.vendors.facturovia import DEMO_READ_WRITE

FS = "/facturascripts/api/3"
FG = "/facturagem/api/v1"
SAVE_ERROR = "Ha ocurrido un error mientras se guardaban los datos"
_ips = itertools.count(1)


def fs_headers(token: str) -> dict[str, str]:
    # Each call from its own client address: refused keys are incidents of the client's IP.
    n = next(_ips)
    return {"Token": token, "X-Forwarded-For": f"198.51.{100 + n // 250}.{n % 250 + 1}"}


def new_key(client: TestClient, token: str, apikey: str | None = None, **fields: str) -> Any:
    body = {"description": "clave", "enabled": "1", "fullaccess": "1", **fields}
    if apikey is not None:
        body["apikey"] = apikey
    return client.post(f"{FS}/apikeyes", headers=fs_headers(token), data=body)


def fs_count(client: TestClient, token: str, resource: str, **filters: str) -> int:
    params = {f"filter[{k}]": v for k, v in filters.items()}
    response = client.get(f"{FS}/{resource}", headers=fs_headers(token), params=params)
    assert response.status_code == 200, response.text
    return int(response.headers["x-total-count"])


@pytest.fixture
def attacker(client: TestClient) -> Iterator[dict[str, Any]]:
    tenant = client.post("/_sandbox/tenants", json={"name": "attacker"}).json()
    yield tenant
    client.delete(f"/_sandbox/tenants/{tenant['id']}", headers=bearer(tenant["admin_token"]))


@pytest.fixture
def victim(client: TestClient) -> Iterator[dict[str, Any]]:
    tenant = client.post("/_sandbox/tenants", json={"name": "victim"}).json()
    yield tenant
    client.delete(f"/_sandbox/tenants/{tenant['id']}", headers=bearer(tenant["admin_token"]))


def assert_opens_own_tenant(client: TestClient, token: str, other_token: str) -> str:
    """A customer created with `token` is seen with `token` and not with `other_token`; its name."""
    marker = "COLLISION-" + secrets.token_hex(5).upper()
    created = client.post(f"{FS}/clientes", headers=fs_headers(token), data={"nombre": marker, "cifnif": "B87654323"})
    assert created.status_code == 200, created.text
    assert fs_count(client, token, "clientes", nombre=marker) == 1
    assert fs_count(client, other_token, "clientes", nombre=marker) == 0
    return marker


def test_a_facturascripts_key_known_anywhere_is_refused_as_a_save_error(
    client: TestClient, attacker: dict[str, Any], victim: dict[str, Any]
) -> None:
    mine = attacker["credentials"]["facturascripts"]["token"]
    theirs = victim["credentials"]["facturascripts"]
    runtime_value = "VictimRuntimeKey" + secrets.token_hex(4)
    runtime = new_key(client, theirs["token"], runtime_value)
    assert runtime.status_code == 200, runtime.text
    session = client.post(f"{FG}/session.json", data=victim["credentials"]["facturagem"]).json()
    known = {
        "another tenant's full-access key": theirs["token"],
        "another tenant's restricted key": theirs["restricted_token"],
        "a key another tenant created at run time": runtime_value,
        "the public demo key": DEMO_TOKEN,
        "the public restricted demo key": DEMO_RESTRICTED_TOKEN,
        "the tenant's own key": mine,
        "another tenant's Facturovia key": victim["credentials"]["facturovia"]["read_write"],
        "another tenant's Facturala token": victim["credentials"]["facturala"]["token"],
        "another tenant's FACTURAgem session key": session["api_key"],
        "the demo Facturovia key": DEMO_READ_WRITE,
        "the demo Facturala token": FACTURALA_DEMO_TOKEN,
    }
    keys_before = fs_count(client, mine, "apikeyes")
    for what, value in known.items():
        refused = new_key(client, mine, value)
        assert refused.status_code == 400, f"{what}: {refused.status_code} {refused.text}"
        body = refused.json()
        assert body["error"].startswith(SAVE_ERROR), f"{what}: {body}"
        assert "apikey" in body["error"] and value not in refused.text, f"{what}: {body}"
        assert "apikey" not in body["data"], "the secret is a hidden field"
    assert fs_count(client, mine, "apikeyes") == keys_before, "a refused key left a row behind"
    # Every credential still opens its own tenant, and only it.
    victims_writes = [
        assert_opens_own_tenant(client, theirs["token"], mine),
        assert_opens_own_tenant(client, runtime_value, mine),
    ]
    assert_opens_own_tenant(client, mine, theirs["token"])
    assert client.get("/facturovia/api/invoices", headers=bearer(DEMO_READ_WRITE)).status_code == 200

    # The victim's writes are in the victim's journal, not in the attacker's.
    def posted(tenant: dict[str, Any]) -> str:
        url = f"/_sandbox/tenants/{tenant['id']}/journal"
        entries = client.get(url, params={"limit": 500}, headers=bearer(tenant["admin_token"])).json()["data"]
        return " ".join(e["request"]["body"] for e in entries if e["method"] == "POST")

    for marker in victims_writes:
        assert marker in posted(victim) and marker not in posted(attacker)


def test_a_refused_key_cannot_be_slipped_in_by_an_update(
    client: TestClient, attacker: dict[str, Any], victim: dict[str, Any]
) -> None:
    mine = attacker["credentials"]["facturascripts"]["token"]
    theirs = victim["credentials"]["facturascripts"]["token"]
    created = new_key(client, mine, "AttackerOwnKey" + secrets.token_hex(4))
    assert created.status_code == 200, created.text
    key_id = created.json()["data"]["id"]
    for method in (client.put, client.patch):
        answer = method(f"{FS}/apikeyes/{key_id}", headers=fs_headers(mine), data={"apikey": theirs})
        assert answer.status_code == 200, answer.text  # the secret is not editable: kept as it was
    assert_opens_own_tenant(client, theirs, mine)


def test_two_tenants_racing_for_one_new_key_cannot_both_win(
    client: TestClient, attacker: dict[str, Any], victim: dict[str, Any]
) -> None:
    wanted = "ContestedKey" + secrets.token_hex(6)
    first = new_key(client, victim["credentials"]["facturascripts"]["token"], wanted)
    second = new_key(client, attacker["credentials"]["facturascripts"]["token"], wanted)
    assert (first.status_code, second.status_code) == (200, 400), (first.text, second.text)
    assert_opens_own_tenant(client, wanted, attacker["credentials"]["facturascripts"]["token"])
    # Once the owner deletes it, the value is free: it exists nowhere any more.
    key_id = first.json()["data"]["id"]
    deleted = client.delete(
        f"{FS}/apikeyes/{key_id}", headers=fs_headers(victim["credentials"]["facturascripts"]["token"])
    )
    assert deleted.status_code == 200, deleted.text
    assert client.get(f"{FS}/clientes", headers=fs_headers(wanted)).status_code == 401
    again = new_key(client, attacker["credentials"]["facturascripts"]["token"], wanted)
    assert again.status_code == 200, again.text
    assert_opens_own_tenant(client, wanted, victim["credentials"]["facturascripts"]["token"])


def test_a_minted_tenant_credential_that_collides_is_drawn_again(client: TestClient, monkeypatch: Any) -> None:
    """Facturala tokens, Facturovia keys and FACTURAgem logins are minted by the sandbox; a
    draw that equals a credential in use must not take it over."""
    from facturas_sandbox.vendors import facturagem, facturala, facturovia

    real_hex, real_secret = secrets.token_hex, facturovia.new_secret
    draws = {"facturala": [FACTURALA_DEMO_TOKEN[:20]], "facturovia": [DEMO_READ_WRITE]}

    def facturala_hex(n: int = 16) -> str:
        return draws["facturala"].pop() if n == 10 and draws["facturala"] else real_hex(n)

    def facturovia_secret(prefix: str, nbytes: int = 16) -> str:
        return draws["facturovia"].pop() if draws["facturovia"] else real_secret(prefix, nbytes)

    monkeypatch.setattr(facturala.secrets, "token_hex", facturala_hex)
    monkeypatch.setattr(facturovia, "new_secret", facturovia_secret)
    created = client.post("/_sandbox/tenants", json={"name": "unlucky"}).json()
    try:
        assert not draws["facturala"] and not draws["facturovia"], "the colliding draws were not used"
        assert created["credentials"]["facturala"]["token"] != FACTURALA_DEMO_TOKEN
        assert created["credentials"]["facturovia"]["read_write"] != DEMO_READ_WRITE
        demo_fv = client.get("/facturovia/api/invoices", headers=bearer(DEMO_READ_WRITE))
        assert demo_fv.status_code == 200
        demo_company = client.get(
            "/facturala/facturala/api/companies/56491cd4e4b0c19ae3b74ed3/invoices",
            headers={"Authorization": FACTURALA_DEMO_TOKEN},
        )
        assert demo_company.status_code == 200, "the demo's Facturala token was taken over"
    finally:
        client.delete(f"/_sandbox/tenants/{created['id']}", headers=bearer(created["admin_token"]))

    # FACTURAgem: a second tenant drawing the first one's login and password gets others.
    fixed = iter(["aaaaaaaaaaaa", "b" * 24, "aaaaaaaaaaaa", "b" * 24])

    def facturagem_hex(n: int = 16) -> str:
        return next(fixed, None) or real_hex(n)

    monkeypatch.setattr(facturagem.secrets, "token_hex", facturagem_hex)
    first = client.post("/_sandbox/tenants", json={"name": "first"}).json()
    second = client.post("/_sandbox/tenants", json={"name": "second"}).json()
    try:
        assert first["credentials"]["facturagem"] != second["credentials"]["facturagem"]
        session = client.post(f"{FG}/session.json", data=first["credentials"]["facturagem"]).json()
        mine = client.get("/_sandbox/tenants/" + first["id"], headers=bearer(first["admin_token"])).json()
        assert mine["credentials"]["facturagem"].get("api_key") == session["api_key"]
    finally:
        for tenant in (first, second):
            client.delete(f"/_sandbox/tenants/{tenant['id']}", headers=bearer(tenant["admin_token"]))


def test_a_facturagem_session_key_that_collides_is_drawn_again(
    client: TestClient, attacker: dict[str, Any], victim: dict[str, Any], monkeypatch: Any
) -> None:
    from facturas_sandbox.vendors.facturagem import handlers

    theirs = client.post(f"{FG}/session.json", data=victim["credentials"]["facturagem"]).json()["api_key"]
    real = handlers.new_secret
    draws = [theirs]
    monkeypatch.setattr(handlers, "new_secret", lambda prefix, n=16: draws.pop() if draws else real(prefix, n))
    mine = client.post(f"{FG}/session.json", data=attacker["credentials"]["facturagem"]).json()["api_key"]
    assert not draws and mine != theirs
    victim_account = client.get(f"{FG}/accounts.json", params={"api_key": theirs})
    attacker_account = client.get(f"{FG}/accounts.json", params={"api_key": mine})
    assert victim_account.status_code == attacker_account.status_code == 200
    assert victim_account.json() != attacker_account.json() or victim["id"] != attacker["id"]
    # Logging out and in again replaces the key: the old one opens nothing any more.
    assert client.delete(f"{FG}/session.json", params={"api_key": mine}).status_code in (200, 204)
    renewed = client.post(f"{FG}/session.json", data=attacker["credentials"]["facturagem"]).json()["api_key"]
    assert renewed != mine
    assert client.get(f"{FG}/accounts.json", params={"api_key": mine}).status_code == 401
    assert client.get(f"{FG}/accounts.json", params={"api_key": renewed}).status_code == 200
    assert client.get(f"{FG}/accounts.json", params={"api_key": theirs}).status_code == 200


def test_control_plane_names_are_labels_and_ids_are_never_chosen(client: TestClient) -> None:
    """Two tenants may share a display name (two CI jobs called "ci"); nothing looks a tenant
    up by name, and a client cannot choose a tenant's id (not even "demo")."""
    one = client.post("/_sandbox/tenants", json={"name": "demo"}).json()
    two = client.post("/_sandbox/tenants", json={"name": "demo"}).json()
    try:
        assert one["id"] != two["id"] and one["id"] != "demo"
        assert one["credentials"] != two["credentials"]
        assert client.get("/_sandbox/tenants/demo", headers=bearer(one["admin_token"])).status_code == 404
        for body in ({"id": "demo"}, {"name": "x", "id": "t0000000000000001"}, {"tenant_id": "demo"}):
            answer = client.post("/_sandbox/tenants", json=body)
            assert answer.status_code in (400, 422), answer.text
    finally:
        for tenant in (one, two):
            client.delete(f"/_sandbox/tenants/{tenant['id']}", headers=bearer(tenant["admin_token"]))


def test_fault_rules_are_found_only_under_their_own_tenant(
    client: TestClient, attacker: dict[str, Any], victim: dict[str, Any]
) -> None:
    theirs = client.post(
        f"/_sandbox/tenants/{victim['id']}/faults", json={"status": 503}, headers=bearer(victim["admin_token"])
    ).json()["id"]
    mine = bearer(attacker["admin_token"])
    assert client.delete(f"/_sandbox/tenants/{attacker['id']}/faults/{theirs}", headers=mine).status_code == 404
    assert client.delete(f"/_sandbox/tenants/{victim['id']}/faults/{theirs}", headers=mine).status_code == 404
    listed = client.get(f"/_sandbox/tenants/{victim['id']}/faults", headers=bearer(victim["admin_token"])).json()
    assert [r["id"] for r in listed["data"]] == [theirs]


def test_a_takeover_stored_before_a_restart_does_not_survive_it(tmp_path: Any) -> None:
    """Data written before the sandbox refused collisions may hold another tenant's key in a
    tenant's `apikeyes`: on start, the tenants' own credentials win and the copy opens nothing."""
    settings = Settings(data_dir=tmp_path, validate_responses=True)
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        tenants = app.sandbox.tenants
        victim, _ = tenants.create(name="victim")
        attacker, _ = tenants.create(name="attacker")
        victim_token = victim.credentials["facturascripts"]["token"]
        attacker_token = attacker.credentials["facturascripts"]["token"]
        # As an unguarded write would have stored it (straight into the attacker's store).
        with attacker.store.transaction():
            fs_engine.collection(attacker.store, fs_engine.model("apikeyes")).insert(
                {"id": 99, "apikey": victim_token, "description": "stolen", "enabled": True, "fullaccess": True,
                 "creationdate": "01-01-2026", "nick": None, "lastactivity": None, "lastip": None}
            )  # fmt: skip
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert_opens_own_tenant(client, victim_token, attacker_token)
        refused = new_key(client, attacker_token, victim_token)
        assert refused.status_code == 400, refused.text
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert_opens_own_tenant(client, victim_token, attacker_token)


def test_facturagem_demo_login_is_not_another_tenants(client: TestClient) -> None:
    session = client.post(f"{FG}/session.json", data={"login": DEMO_LOGIN, "password": DEMO_PASSWORD})
    assert session.status_code == 200
    tenants = client.app.sandbox.tenants  # type: ignore[attr-defined]
    assert tenants.resolve("facturagem", session.json()["api_key"])[0].id == "demo"


def test_a_key_write_that_fails_claims_nothing_and_a_failed_delete_keeps_the_key(
    client: TestClient, attacker: dict[str, Any], victim: dict[str, Any], monkeypatch: Any
) -> None:
    from facturas_sandbox.store import StoreError

    tenants = client.app.sandbox.tenants  # type: ignore[attr-defined]
    mine = attacker["credentials"]["facturascripts"]["token"]
    theirs = victim["credentials"]["facturascripts"]["token"]
    wanted = "FailedWriteKey" + secrets.token_hex(5)

    def disk_full(ops: Any) -> None:
        raise StoreError("No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(tenants.get(attacker["id"]).store.storage, "append", disk_full)
        assert new_key(client, mine, wanted).status_code == 503
    assert client.get(f"{FS}/clientes", headers=fs_headers(wanted)).status_code == 401
    created = new_key(client, theirs, wanted)  # nobody holds it: the failed write claimed nothing
    assert created.status_code == 200, created.text
    assert_opens_own_tenant(client, wanted, mine)

    with monkeypatch.context() as patch:
        patch.setattr(tenants.get(victim["id"]).store.storage, "append", disk_full)
        key_id = created.json()["data"]["id"]
        assert client.delete(f"{FS}/apikeyes/{key_id}", headers=fs_headers(theirs)).status_code == 503
    # The row is still there, so the key still opens its tenant and is still nobody else's.
    assert_opens_own_tenant(client, wanted, mine)
    assert new_key(client, mine, wanted).status_code == 400


def test_a_reset_frees_the_keys_clients_created_and_keeps_the_tenants_own(
    client: TestClient, attacker: dict[str, Any], victim: dict[str, Any]
) -> None:
    theirs = victim["credentials"]["facturascripts"]["token"]
    created_at_run_time = "ResetKey" + secrets.token_hex(6)
    assert new_key(client, theirs, created_at_run_time).status_code == 200
    admin = bearer(victim["admin_token"])
    assert client.post(f"/_sandbox/tenants/{victim['id']}/reset", headers=admin).status_code == 200
    assert client.get(f"/_sandbox/tenants/{victim['id']}", headers=admin).status_code == 200
    assert client.get(f"{FS}/clientes", headers=fs_headers(created_at_run_time)).status_code == 401
    assert_opens_own_tenant(client, theirs, attacker["credentials"]["facturascripts"]["token"])
    assert new_key(client, attacker["credentials"]["facturascripts"]["token"], created_at_run_time).status_code == 200


def test_a_minted_admin_token_that_collides_is_drawn_again(
    client: TestClient, victim: dict[str, Any], monkeypatch: Any
) -> None:
    from facturas_sandbox import tenants

    real = tenants.new_secret
    draws = [victim["admin_token"]]
    monkeypatch.setattr(tenants, "new_secret", lambda prefix, n=16: draws.pop() if draws else real(prefix, n))
    created = client.post("/_sandbox/tenants", json={"name": "unlucky admin"})
    assert created.status_code == 201, created.text
    unlucky = created.json()
    try:
        assert not draws and unlucky["admin_token"] != victim["admin_token"]
        mine = client.get("/_sandbox/tenants", headers=bearer(victim["admin_token"])).json()["data"]
        assert [t["id"] for t in mine] == [victim["id"]]
    finally:
        client.delete(f"/_sandbox/tenants/{unlucky['id']}", headers=bearer(unlucky["admin_token"]))
