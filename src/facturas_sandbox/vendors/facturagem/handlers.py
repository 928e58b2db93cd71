"""Handlers of openapi/facturagem.yaml: sessions, accounts, clients, invoices, payments, countries."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ...credentials import CredentialTaken
from ...domain.money import ZERO, to_decimal
from ...domain.taxid import InvalidTaxId, validate_spanish
from ...errors import ApiError
from ...responses import current_sandbox, current_tenant
from ...store import Collection
from ...store.query import Compare, Field, Kind, Order, Query
from ...tenants import MAX_DRAWS, Tenant, new_secret
from . import records as rec
from .auth import API, LOGIN_ROLE, login_secret
from .countries import COUNTRIES, COUNTRY_IDS
from .representation import check_params, link, no_content, read_body, render, uri

PAGE_SIZE = 30  # will_paginate's default; sandbox assumption

ACCOUNT_FIELDS = (
    "name", "cif", "email", "phone", "street1", "street2", "city", "province", "postal_code", "country_id",
    "iva_percent", "irpf_percent", "invoice_number_format", "footer",
)  # fmt: skip
CLIENT_FIELDS = (
    "name", "cif", "email", "phone", "street1", "street2", "city", "province", "postal_code", "country_id",
    "discount_percent", "notes",
)  # fmt: skip
INVOICE_FIELDS = (
    "client_id", "number", "date", "due_date", "discount_percent", "iva_percent", "irpf_percent", "notes", "footer",
    "customer_name", "customer_cif", "customer_street1", "customer_street2", "customer_city", "customer_province",
    "customer_postal_code", "customer_country_id", "lines",
)  # fmt: skip
DECIMALS = frozenset(
    {"iva_percent", "irpf_percent", "discount_percent", "subtotal", "discount", "tax_base", "iva", "irpf", "total",
     "paid_amount", "due_amount", "amount", "price"}
)  # fmt: skip


class Invalid(Exception):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


def _dec(doc: dict[str, Any]) -> dict[str, Any]:
    """Stored amounts are strings; answers carry them as decimals."""
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if key in DECIMALS and isinstance(value, str):
            out[key] = to_decimal(value)
        elif isinstance(value, list):
            out[key] = [_dec(v) if isinstance(v, dict) else v for v in value]
        else:
            out[key] = value
    return out


def _invalid(format: str, root: str, resource: dict[str, Any], errors: dict[str, list[str]]) -> Response:
    return render(format, root, {**resource, "errors": errors}, 422)


def _now(tenant: Tenant) -> str:
    return tenant.clock.now().isoformat(timespec="seconds")


def _today(tenant: Tenant) -> str:
    return tenant.clock.now().date().isoformat()


def _check_cif(errors: dict[str, list[str]], field: str, value: Any, country: Any) -> Any:
    if value in (None, ""):
        return value
    if (country or "ES") != "ES":
        return value
    try:
        return validate_spanish(value)
    except InvalidTaxId:
        errors.setdefault(field, []).append("is not a valid Spanish NIF/CIF")
        return value


def _check_country(errors: dict[str, list[str]], field: str, value: Any) -> None:
    if value not in (None, "") and value not in COUNTRY_IDS:
        errors.setdefault(field, []).append("is not included in the list")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _or(value: Any, default: Any) -> Any:
    """A nil (XML `nil="true"` or an empty element) reads as the field's default."""
    return default if value is None else value


def _pct(errors: dict[str, list[str]], field: str, value: Any) -> Any:
    if value is None:
        return "0"
    number = to_decimal(value)
    if number < 0 or number > 100:
        errors.setdefault(field, []).append("must be between 0 and 100")
    return str(number)


# -- users and sessions ----------------------------------------------------------------------
def _own_account(tenant: Tenant, user: dict[str, Any]) -> dict[str, Any]:
    account = rec.accounts(tenant.store).get(user["account_id"])
    if account is None:
        raise ApiError(404, "not_found", "This user has no account")
    return account


def _user_json(tenant: Tenant, user: dict[str, Any], api_key: str, format: str) -> dict[str, Any]:
    account = _own_account(tenant, user)
    return {
        "id": user["id"],
        "login": user["login"],
        "name": user["name"],
        "email": user["email"],
        "api_key": api_key,
        "account_id": rec.account_param(account),
        "links": [link("self", "/session", format), link("account", "/accounts", format)],
    }


async def create_session(format: str, body: Any = None) -> Response:
    data = read_body(format, body, "session")
    check_params(data)
    login, password = data.get("login"), data.get("password")
    sandbox = current_sandbox()
    found = sandbox.tenants.resolve(API, login_secret(str(login or ""), str(password or "")))
    if found is None or found[1] != LOGIN_ROLE or _blank(login) or _blank(password):
        raise ApiError(401, "unauthorized", "Invalid login or password")
    tenant = found[0]
    api_key = tenant.credentials[API].get("api_key") or _open_session(tenant)
    user = rec.users(tenant.store).find(login=login)
    if not user:
        raise ApiError(401, "unauthorized", "Invalid login or password")
    return render(format, "user", _user_json(tenant, user[0], api_key, format))


def _open_session(tenant: Tenant) -> str:
    """A new session key for the tenant's user, claimed in the credential index (drawn again
    in the unlikely case that the value is already a credential)."""
    tenants = current_sandbox().tenants
    for _ in range(MAX_DRAWS):
        try:
            # Another login (on any replica) may have opened the session meanwhile: its key.
            return tenants.find_or_set_credential(tenant.id, API, "api_key", new_secret("fg_", 20))
        except CredentialTaken:
            continue
    raise ApiError(503, "unavailable", "No session key could be drawn; try again")


async def delete_session(format: str) -> Response:
    check_params()
    tenant = current_tenant()
    credentials = dict(tenant.credentials[API])
    if credentials.pop("api_key", None):
        current_sandbox().tenants.set_credentials(tenant.id, API, credentials)
    return no_content()


# -- accounts --------------------------------------------------------------------------------
def _current_user(tenant: Tenant) -> dict[str, Any]:
    login = tenant.credentials[API]["login"]
    found = rec.users(tenant.store).find(login=login)
    if not found:
        raise ApiError(401, "unauthorized", "The session's user no longer exists")
    return found[0]


def _account_or_404(tenant: Tenant, param: str) -> dict[str, Any]:
    key = rec.account_key(param)
    account = rec.accounts(tenant.store).get(key) if key is not None else None
    if account is None or account["user_id"] != _current_user(tenant)["id"]:
        raise ApiError(404, "not_found", f"No account {param} for this user")
    return account


def _in_account(param: str, data: dict[str, Any] | None = None) -> tuple[Tenant, dict[str, Any]]:
    """The request's tenant and its user's account `param`, once the query's parameters and
    the body's (`data`) pass the strict check."""
    check_params(data)
    tenant = current_tenant()
    return tenant, _account_or_404(tenant, param)


def _account_json(account: dict[str, Any], format: str) -> dict[str, Any]:
    param = rec.account_param(account)
    body = {"id": param, **{f: account.get(f) for f in ACCOUNT_FIELDS}}
    body["created_at"], body["updated_at"] = account["created_at"], account["updated_at"]
    body["links"] = [
        link("self", f"/accounts/{param}", format),
        link("clients", f"/accounts/{param}/clients", format),
        link("invoices", f"/accounts/{param}/invoices", format),
        link("new_invoice", f"/accounts/{param}/invoices/new", format),
    ]
    return _dec(body)


async def get_current_account(format: str) -> Response:
    check_params()
    tenant = current_tenant()
    user = _current_user(tenant)
    return render(format, "account", _account_json(_own_account(tenant, user), format))


async def get_account(format: str, id: str) -> Response:
    _, account = _in_account(id)
    return render(format, "account", _account_json(account, format))


async def update_account(format: str, id: str, body: Any = None) -> Response:
    data = read_body(format, body, "account")
    tenant, account = _in_account(id, data)
    changed = {**account, **{k: v for k, v in data.items() if k in ACCOUNT_FIELDS}}
    errors: dict[str, list[str]] = {}
    if _blank(changed.get("name")):
        errors.setdefault("name", []).append("can't be blank")
    changed["cif"] = _check_cif(errors, "cif", changed.get("cif"), changed.get("country_id"))
    _check_country(errors, "country_id", changed.get("country_id"))
    for f in ("iva_percent", "irpf_percent"):
        changed[f] = _pct(errors, f, changed.get(f))
    pattern = changed.get("invoice_number_format") or rec.DEFAULT_NUMBER_FORMAT
    if not rec.NUMBER_FORMAT.match(pattern):
        errors.setdefault("invoice_number_format", []).append("must contain YYYY and a run of N (e.g. YYYY_NNNN)")
    if errors:
        return _invalid(format, "account", _account_json(changed, format), errors)
    with tenant.store.transaction():
        rec.accounts(tenant.store).replace({**changed, "updated_at": _now(tenant)})
    return no_content()


# -- clients ---------------------------------------------------------------------------------
def _of_account(collection: Collection, account: dict[str, Any], id: int, what: str) -> dict[str, Any]:
    """The document `id` of the collection where it belongs to the account; a 404 otherwise."""
    found = collection.get(id)
    if found is None or found["account_id"] != account["id"]:
        raise ApiError(404, "not_found", f"No {what} {id} in this account")
    return found


def _client_or_404(tenant: Tenant, account: dict[str, Any], id: int) -> dict[str, Any]:
    return _of_account(rec.clients(tenant.store), account, id, "client")


def _client_json(account: dict[str, Any], client: dict[str, Any], format: str) -> dict[str, Any]:
    param = rec.account_param(account)
    body = {"id": client.get("id"), "account_id": param, **{f: client.get(f) for f in CLIENT_FIELDS}}
    body["created_at"], body["updated_at"] = client.get("created_at"), client.get("updated_at")
    base = f"/accounts/{param}/clients/{client.get('id')}"
    if client.get("id") is not None:
        base = f"/accounts/{param}/clients/{client['id']}"
        new = uri(f"/accounts/{param}/invoices/new", format) + f"?client_id={client['id']}"
        body["links"] = [
            link("self", base, format),
            link("account", f"/accounts/{param}", format),
            link("invoices", f"{base}/invoices", format),
            {"rel": "new_invoice", "uri": new},
        ]
    else:
        body["links"] = [
            link("account", f"/accounts/{param}", format),
            link("clients", f"/accounts/{param}/clients", format),
        ]
    return _dec(body)


def _client_summary(account: dict[str, Any], client: dict[str, Any], format: str) -> dict[str, Any]:
    param = rec.account_param(account)
    return {
        "id": client["id"],
        "name": client["name"],
        "cif": client.get("cif"),
        "links": [link("self", f"/accounts/{param}/clients/{client['id']}", format)],
    }


def _validate_client(changed: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if _blank(changed.get("name")):
        errors.setdefault("name", []).append("can't be blank")
    changed["country_id"] = changed.get("country_id") or "ES"
    _check_country(errors, "country_id", changed["country_id"])
    changed["cif"] = _check_cif(errors, "cif", changed.get("cif"), changed["country_id"])
    changed["discount_percent"] = _pct(errors, "discount_percent", changed.get("discount_percent"))
    return errors


def _page(collection: Collection, field: str, value: int, order: tuple[Order, ...], page: int | None) -> list[Any]:
    """One page of the documents whose `field` is `value`, in `order`: the store reads only
    that page (an index serves the filter), so a page costs the same at any size."""
    number = max(page or 1, 1)
    where = Compare(Field(field, Kind.NUMBER), "=", value)
    return collection.query(Query(where, order, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)).documents


_BY_ID = (Order(Field("id", Kind.NUMBER)),)
# Invoices by date, then id: `date` is ISO text, so its text order is its date order.
_BY_DATE = (Order(Field("date", Kind.TEXT)), Order(Field("id", Kind.NUMBER)))


def _collection_links(path: str, format: str, page: int | None, count: int) -> list[dict[str, str]]:
    number = page or 1
    here = uri(path, format)
    links = [{"rel": "self", "uri": f"{here}?page={number}"}]
    if count:
        links.append({"rel": "next", "uri": f"{here}?page={number + 1}"})
    if number > 1:
        links.append({"rel": "prev", "uri": f"{here}?page={number - 1}"})
    return links


async def list_clients(format: str, account_id: str, page: int | None = None) -> Response:
    tenant, account = _in_account(account_id)
    found = _page(rec.clients(tenant.store), "account_id", account["id"], _BY_ID, page)
    items = [_client_summary(account, c, format) for c in found]
    path = f"/accounts/{rec.account_param(account)}/clients"
    links = _collection_links(path, format, page, len(items))
    links.append(link("account", f"/accounts/{rec.account_param(account)}", format))
    return render(format, "hash", {"clients": items, "page": page or 1, "links": links})


async def create_client(format: str, account_id: str, body: Any = None) -> Response:
    data = read_body(format, body, "client")
    tenant, account = _in_account(account_id, data)
    changed = {k: v for k, v in data.items() if k in CLIENT_FIELDS}
    errors = _validate_client(changed)
    if errors:
        return _invalid(format, "client", _client_json(account, changed, format), errors)
    with tenant.store.transaction():
        now = _now(tenant)
        client = {
            **{f: changed.get(f) for f in CLIENT_FIELDS},
            "id": rec.next_id(tenant.store, "clients"),
            "account_id": account["id"],
            "created_at": now,
            "updated_at": now,
        }
        rec.clients(tenant.store).insert(client)
    return render(format, "client", _client_json(account, client, format))


async def get_client(format: str, account_id: str, id: int) -> Response:
    tenant, account = _in_account(account_id)
    return render(format, "client", _client_json(account, _client_or_404(tenant, account, id), format))


async def update_client(format: str, account_id: str, id: int, body: Any = None) -> Response:
    data = read_body(format, body, "client")
    tenant, account = _in_account(account_id, data)
    client = _client_or_404(tenant, account, id)
    changed = {**client, **{k: v for k, v in data.items() if k in CLIENT_FIELDS}}
    errors = _validate_client(changed)
    if errors:
        return _invalid(format, "client", _client_json(account, changed, format), errors)
    with tenant.store.transaction():
        rec.clients(tenant.store).replace({**changed, "updated_at": _now(tenant)})
    return no_content()


async def delete_client(format: str, account_id: str, id: int) -> Response:
    tenant, account = _in_account(account_id)
    client = _client_or_404(tenant, account, id)
    with tenant.store.transaction():
        # Invoices keep their copy of the customer's data (Rails `dependent: :nullify`).
        for invoice in rec.invoices(tenant.store).find(client_id=client["id"]):
            rec.invoices(tenant.store).update(invoice["id"], {"client_id": None})
        rec.clients(tenant.store).delete(client["id"])
    return no_content()


# -- invoices --------------------------------------------------------------------------------
def _invoice_or_404(tenant: Tenant, account: dict[str, Any], id: int) -> dict[str, Any]:
    return _of_account(rec.invoices(tenant.store), account, id, "invoice")


def _invoice_json(account: dict[str, Any], invoice: dict[str, Any], format: str) -> dict[str, Any]:
    param = rec.account_param(account)
    body = {"id": invoice.get("id"), "account_id": param, **{f: invoice.get(f) for f in INVOICE_FIELDS}}
    body["lines"] = [
        {"amount": line["amount"], "description": line["description"], "price": line["price"], "total": line["total"]}
        for line in invoice.get("lines") or []
    ]
    for f in ("subtotal", "discount", "tax_base", "iva", "irpf", "total", "paid_amount"):
        body[f] = invoice.get(f)
    body["due_amount"] = str(rec.due(invoice))
    body["paid"] = invoice.get("paid", False)
    body["payments"] = [
        {"id": p["id"], "amount": p["amount"], "date": p["date"], "notes": p.get("notes")}
        for p in invoice.get("payments") or []
    ]
    body["created_at"], body["updated_at"] = invoice.get("created_at"), invoice.get("updated_at")
    links = [link("account", f"/accounts/{param}", format)]
    if invoice.get("id") is not None:
        base = f"/accounts/{param}/invoices/{invoice['id']}"
        links = [link("self", base, format), *links, link("payments", f"{base}/payments", format)]
    else:
        links.append(link("invoices", f"/accounts/{param}/invoices", format))
    if invoice.get("client_id") is not None:
        links.append(link("client", f"/accounts/{param}/clients/{invoice['client_id']}", format))
    body["links"] = links
    return _dec(body)


def _invoice_summary(account: dict[str, Any], invoice: dict[str, Any], format: str) -> dict[str, Any]:
    param = rec.account_param(account)
    return _dec(
        {
            "id": invoice["id"],
            "number": invoice["number"],
            "date": invoice["date"],
            "customer_name": invoice.get("customer_name"),
            "total": invoice["total"],
            "paid": invoice["paid"],
            "links": [link("self", f"/accounts/{param}/invoices/{invoice['id']}", format)],
        }
    )


async def _list(
    format: str, account: dict[str, Any], found: list[dict[str, Any]], path: str, page: int | None
) -> Response:
    items = [_invoice_summary(account, i, format) for i in found]
    links = _collection_links(path, format, page, len(items))
    links.append(link("account", f"/accounts/{rec.account_param(account)}", format))
    return render(format, "hash", {"invoices": items, "page": page or 1, "links": links})


async def list_invoices(format: str, account_id: str, page: int | None = None) -> Response:
    tenant, account = _in_account(account_id)
    found = _page(rec.invoices(tenant.store), "account_id", account["id"], _BY_DATE, page)
    return await _list(format, account, found, f"/accounts/{rec.account_param(account)}/invoices", page)


async def list_client_invoices(format: str, account_id: str, client_id: int, page: int | None = None) -> Response:
    tenant, account = _in_account(account_id)
    client = _client_or_404(tenant, account, client_id)
    found = _page(rec.invoices(tenant.store), "client_id", client["id"], _BY_DATE, page)
    path = f"/accounts/{rec.account_param(account)}/clients/{client['id']}/invoices"
    return await _list(format, account, found, path, page)


def _prefill(account: dict[str, Any], client: dict[str, Any] | None) -> dict[str, Any]:
    invoice: dict[str, Any] = {
        "client_id": client["id"] if client else None,
        "number": None,
        "date": None,
        "due_date": None,
        "discount_percent": (client or {}).get("discount_percent") or "0",
        "iva_percent": account.get("iva_percent") or "21",
        "irpf_percent": account.get("irpf_percent") or "0",
        "notes": None,
        "footer": account.get("footer"),
        "lines": [],
        "payments": [],
    }
    invoice.update(rec.customer_copy(client))
    return rec.compute(invoice)


async def new_invoice(
    format: str, account_id: str, client_id: int | None = None, invoice_id: int | None = None
) -> Response:
    tenant, account = _in_account(account_id)
    if invoice_id is not None:
        original = _invoice_or_404(tenant, account, invoice_id)
        copy = {k: v for k, v in original.items() if k not in ("id", "number", "date", "created_at", "updated_at")}
        invoice = rec.compute({**copy, "number": None, "date": None, "payments": []})
    else:
        client = _client_or_404(tenant, account, client_id) if client_id is not None else None
        invoice = _prefill(account, client)
    return render(format, "invoice", _invoice_json(account, invoice, format))


def _build_invoice(
    tenant: Tenant, account: dict[str, Any], base: dict[str, Any], data: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    changed = {**base, **{k: v for k, v in data.items() if k in INVOICE_FIELDS}}
    if "client_id" in data and data["client_id"] is not None and data["client_id"] != base.get("client_id"):
        client = rec.clients(tenant.store).get(data["client_id"])
        if client is None or client["account_id"] != account["id"]:
            errors.setdefault("client_id", []).append("does not exist in this account")
        else:
            changed.update(rec.customer_copy(client))
            changed.update({k: v for k, v in data.items() if k.startswith("customer_")})
            if "discount_percent" not in data and base.get("id") is None:
                changed["discount_percent"] = client.get("discount_percent") or "0"
    if _blank(changed.get("customer_name")):
        errors.setdefault("customer_name", []).append("can't be blank")
    changed["customer_cif"] = _check_cif(
        errors, "customer_cif", changed.get("customer_cif"), changed.get("customer_country_id")
    )
    _check_country(errors, "customer_country_id", changed.get("customer_country_id"))
    for f in ("discount_percent", "iva_percent", "irpf_percent"):
        changed[f] = _pct(errors, f, changed.get(f))
    lines = []
    for n, given in enumerate(changed.get("lines") or []):
        line = given or {}  # an empty <line/> is nil
        if _blank(line.get("description")):
            errors.setdefault(f"lines[{n}].description", []).append("can't be blank")
        lines.append(
            {
                "description": line.get("description") or "",
                "amount": str(to_decimal(_or(line.get("amount"), 1))),
                "price": str(to_decimal(_or(line.get("price"), 0))),
            }
        )
    changed["lines"] = lines
    changed["date"] = changed.get("date") or _today(tenant)
    if changed.get("due_date") and changed["due_date"] < changed["date"]:
        errors.setdefault("due_date", []).append("can't be before the invoice date")
    if changed.get("number") is not None:
        number = str(changed["number"]).strip()
        # A blank number keeps the invoice's own, or draws the next one for a new invoice.
        changed["number"] = number or base.get("number")
        clash = [
            i
            for i in rec.invoices(tenant.store).find(account_id=account["id"])
            if i["number"] == number
            and i["id"] != base.get("id")
            and rec.year_of(i["date"]) == rec.year_of(changed["date"])
        ]
        if clash:
            errors.setdefault("number", []).append("has already been taken")
    computed = rec.compute(changed)
    if to_decimal(computed["paid_amount"]) > to_decimal(computed["total"]):
        errors.setdefault("total", []).append("can't be lower than the amount already paid")
    return computed, errors


async def create_invoice(format: str, account_id: str, body: Any = None) -> Response:
    data = read_body(format, body, "invoice")
    tenant, account = _in_account(account_id, data)
    start: dict[str, Any] = {
        "client_id": None,
        "iva_percent": account.get("iva_percent") or "21",
        "irpf_percent": account.get("irpf_percent") or "0",
        "footer": account.get("footer"),
        "payments": [],
    }
    invoice, errors = _build_invoice(tenant, account, start, data)
    if errors:
        return _invalid(format, "invoice", _invoice_json(account, invoice, format), errors)
    try:
        with tenant.store.transaction():
            now = _now(tenant)
            if not invoice.get("number"):
                invoice["number"] = rec.draw_number(tenant.store, account, rec.year_of(invoice["date"]))
            invoice.update(
                id=rec.next_id(tenant.store, "invoices"), account_id=account["id"], created_at=now, updated_at=now
            )
            rec.invoices(tenant.store).insert(invoice)
    except rec.NumberTooLong:
        # As Rails' length validation of a number given explicitly: the account's format has
        # run out of room; a shorter format (or more N) numbers again from the same counter.
        too_long = [f"is too long (maximum is {rec.NUMBER_MAX_LENGTH} characters)"]
        return _invalid(format, "invoice", _invoice_json(account, invoice, format), {"number": too_long})
    return render(format, "invoice", _invoice_json(account, invoice, format))


async def get_invoice(format: str, account_id: str, id: int) -> Response:
    tenant, account = _in_account(account_id)
    return render(format, "invoice", _invoice_json(account, _invoice_or_404(tenant, account, id), format))


async def update_invoice(format: str, account_id: str, id: int, body: Any = None) -> Response:
    data = read_body(format, body, "invoice")
    tenant, account = _in_account(account_id, data)
    current = _invoice_or_404(tenant, account, id)
    if "number" in data and data["number"] is None:
        data = {k: v for k, v in data.items() if k != "number"}
    invoice, errors = _build_invoice(tenant, account, current, data)
    if errors:
        return _invalid(format, "invoice", _invoice_json(account, invoice, format), errors)
    with tenant.store.transaction():
        rec.invoices(tenant.store).replace({**invoice, "updated_at": _now(tenant)})
    return no_content()


async def delete_invoice(format: str, account_id: str, id: int) -> Response:
    tenant, account = _in_account(account_id)
    invoice = _invoice_or_404(tenant, account, id)
    with tenant.store.transaction():
        rec.invoices(tenant.store).delete(invoice["id"])
    return no_content()


# -- payments --------------------------------------------------------------------------------
async def create_payment(format: str, account_id: str, id: int, body: Any = None) -> Response:
    data = read_body(format, body, "payment")
    tenant, account = _in_account(account_id, data)
    invoice = _invoice_or_404(tenant, account, id)
    amount = to_decimal(_or(data.get("amount"), 0))
    payment = {"amount": str(amount), "date": data.get("date") or _today(tenant), "notes": data.get("notes")}
    param = rec.account_param(account)
    errors: dict[str, list[str]] = {}
    owed = rec.due(invoice)
    if amount <= ZERO:
        errors["amount"] = ["must be greater than 0"]
    elif invoice["paid"] or owed <= ZERO:
        errors["base"] = ["The invoice is already paid"]
    elif amount > owed:
        errors["amount"] = [f"exceeds the amount due ({owed})"]
    if errors:
        body_out = {"id": None, **payment, "invoice_id": invoice["id"]}
        body_out["links"] = [link("invoice", f"/accounts/{param}/invoices/{invoice['id']}", format)]
        return _invalid(format, "payment", _dec(body_out), errors)
    with tenant.store.transaction():
        payment["id"] = rec.next_id(tenant.store, "payments")
        updated = rec.compute({**invoice, "payments": [*invoice.get("payments", []), payment]})
        rec.invoices(tenant.store).replace({**updated, "updated_at": _now(tenant)})
    out = {
        "id": payment["id"],
        **{k: payment[k] for k in ("amount", "date", "notes")},
        "invoice_id": invoice["id"],
        "invoice_paid": updated["paid"],
        "due_amount": str(rec.due(updated)),
        "links": [
            link("invoice", f"/accounts/{param}/invoices/{invoice['id']}", format),
            link("account", f"/accounts/{param}", format),
        ],
    }
    return render(format, "payment", _dec(out))


# -- countries -------------------------------------------------------------------------------
async def list_countries(format: str) -> Response:
    check_params()
    return render(
        format,
        "hash",
        {
            "countries": [{"id": code, "name": name} for code, name in COUNTRIES],
            "links": [link("self", "/countries", format), link("session", "/session", format)],
        },
    )
