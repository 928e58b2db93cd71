"""Load workers and checks shared by the load tests: what each API's clients do, what the
server acknowledged, and the checks that nothing acknowledged was lost.

`run_load` spreads the workers over one or more servers (replicas) and, if told, kills one
of them mid-run: a worker whose server died carries on against a surviving one.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
from support import FACTURALA_CUSTOMER, FACTURALA_ITEMS

from facturas_sandbox.domain.money import round_cents

FACTURALA_INVOICE = {"customer": FACTURALA_CUSTOMER, "items": FACTURALA_ITEMS}


@dataclass
class Ledger:
    """What the server acknowledged, per tenant and API."""

    acknowledged: dict[tuple[str, str], set[Any]] = field(default_factory=lambda: defaultdict(set))
    server_errors: list[str] = field(default_factory=list)
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ack(self, tenant: str, api: str, key: Any) -> None:
        with self.lock:
            self.acknowledged[(tenant, api)].add(key)

    def seen(self, response: httpx.Response) -> httpx.Response:
        with self.lock:
            self.requests += 1
            if response.status_code >= 500:
                self.server_errors.append(f"{response.request.method} {response.request.url} {response.status_code}")
        return response


def _facturovia_worker(http: httpx.Client, tenant: dict[str, Any], ledger: Ledger, stop: threading.Event) -> None:
    auth = {"Authorization": f"Bearer {tenant['credentials']['facturovia']['read_write']}"}
    client_id = http.get("/facturovia/api/clients", headers=auth).json()["data"][0]["id"]
    n = 0
    while not stop.is_set():
        n += 1
        items = [
            {"description": "Filtro", "reference": "F1", "quantity": 3, "unit_price": 15.99, "vat_rate": 21},
            {"description": "Libro", "reference": "L1", "quantity": 1, "unit_price": 24.5, "vat_rate": 4},
        ]
        created = ledger.seen(
            http.post("/facturovia/api/invoices", json={"client_id": client_id, "items": items}, headers=auth)
        )
        if created.status_code != 201:
            continue
        invoice_id = created.json()["id"]
        ledger.ack(tenant["id"], "facturovia", invoice_id)
        issued = ledger.seen(http.post(f"/facturovia/api/invoices/{invoice_id}/issue", headers=auth))
        if issued.status_code == 200 and n % 3 == 0:
            refund = {"items": [{"reference": "F1", "quantity": 1}], "causa_rectificacion": "R4"}
            rectified = ledger.seen(
                http.post(f"/facturovia/api/invoices/{invoice_id}/rectify", json=refund, headers=auth)
            )
            if rectified.status_code == 201:
                ledger.ack(tenant["id"], "facturovia", rectified.json()["invoice"]["id"])


def _facturala_worker(http: httpx.Client, tenant: dict[str, Any], ledger: Ledger, stop: threading.Event) -> None:
    creds = tenant["credentials"]["facturala"]
    auth = {"Authorization": creds["token"]}
    base = f"/facturala/facturala/api/companies/{creds['company_id']}/invoices"
    while not stop.is_set():
        created = ledger.seen(http.post(base, json=FACTURALA_INVOICE, headers=auth))
        if created.status_code != 201:
            continue
        number = created.json()["number"]
        ledger.ack(tenant["id"], "facturala", number)
        ledger.seen(http.put(f"{base}/{number}/state", json={"state": "PAID"}, headers=auth))


def _facturagem_worker(http: httpx.Client, tenant: dict[str, Any], ledger: Ledger, stop: threading.Event) -> None:
    session = http.post("/facturagem/api/v1/session.json", data=tenant["credentials"]["facturagem"]).json()
    base = f"/facturagem/api/v1/accounts/{session['account_id']}"
    key = {"api_key": session["api_key"]}
    client_id = http.get(f"{base}/clients.json", params=key).json()["clients"][0]["id"]
    while not stop.is_set():
        body = {"client_id": client_id, "lines": [{"description": "Consultoría", "amount": 2, "price": 450}]}
        created = ledger.seen(http.post(f"{base}/invoices.json", params=key, json=body))
        if created.status_code not in (200, 201):
            continue
        invoice = created.json()
        ledger.ack(tenant["id"], "facturagem", invoice["id"])
        ledger.seen(
            http.post(f"{base}/invoices/{invoice['id']}/payments.json", params=key, json={"amount": invoice["total"]})
        )


FS = "/facturascripts/api/3"
FS_LINES = [
    {"descripcion": "Instalación", "cantidad": 2, "pvpunitario": 37.45, "codimpuesto": "IVA21", "dtopor": 5},
    {"descripcion": "Manual", "cantidad": 1, "pvpunitario": 12.3, "codimpuesto": "IVA4"},
]


def _facturascripts_worker(http: httpx.Client, tenant: dict[str, Any], ledger: Ledger, stop: threading.Event) -> None:
    auth = {"X-Auth-Token": tenant["credentials"]["facturascripts"]["token"]}
    n = 0
    while not stop.is_set():
        n += 1
        form = {"codcliente": "1", "lineas": json.dumps(FS_LINES), "pagada": "1" if n % 2 else ""}
        created = ledger.seen(http.post(f"{FS}/crearFacturaCliente", data=form, headers=auth))
        if created.status_code != 200:
            continue
        invoice = created.json()["doc"]
        ledger.ack(tenant["id"], "facturascripts", invoice["idfactura"])
        if n % 2 == 0:
            ledger.seen(
                http.post(f"{FS}/pagarFacturaCliente/{invoice['idfactura']}", data={"pagada": "1"}, headers=auth)
            )
        if n % 3 == 0:
            refund = {"idfactura": str(invoice["idfactura"]), "fecha": invoice["fecha"]}
            rectified = ledger.seen(http.post(f"{FS}/crearFacturaRectificativaCliente", data=refund, headers=auth))
            if rectified.status_code == 200:
                ledger.ack(tenant["id"], "facturascripts", rectified.json()["doc"]["idfactura"])


WORKERS = {
    "facturovia": _facturovia_worker,
    "facturala": _facturala_worker,
    "facturagem": _facturagem_worker,
    "facturascripts": _facturascripts_worker,
}


def run_load(
    bases: str | Sequence[str],
    tenants: list[dict[str, Any]],
    ledger: Ledger,
    *,
    seconds: float,
    workers_per_api: int,
    kill: tuple[int, Callable[[], None]] | None = None,
) -> None:
    """Every worker of every API for each tenant, `workers_per_api` times, for `seconds`; the
    workers take the servers in turn. `kill` = (index, function): half-way, the function kills
    that server, whose workers then go on against the next one."""
    bases = [bases] if isinstance(bases, str) else list(bases)
    stop = threading.Event()
    dead: set[int] = set()
    failures: list[BaseException] = []

    def run(worker: Any, tenant: dict[str, Any], index: int) -> None:
        while not stop.is_set():
            server = index % len(bases)
            try:
                with httpx.Client(base_url=bases[server], timeout=30) as http:
                    worker(http, tenant, ledger, stop)
                return
            except httpx.TransportError as exc:
                if server not in dead:
                    failures.append(exc)
                    return
                index += 1  # its server was killed: on to a live one
            except BaseException as exc:  # surfaced after the join
                if index % len(bases) not in dead:
                    failures.append(exc)
                    return
                index += 1

    threads = [
        threading.Thread(target=run, args=(worker, tenant, n))
        for n, (tenant, worker, _) in enumerate(
            (t, w, i) for t in tenants for w in WORKERS.values() for i in range(workers_per_api)
        )
    ]
    for thread in threads:
        thread.start()
    time.sleep(seconds / 2)
    if kill is not None:
        dead.add(kill[0])  # first: its workers' errors from now on are expected
        kill[1]()
    time.sleep(seconds / 2)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures[:3]


def check_everything(http: httpx.Client, tenant: dict[str, Any], ledger: Ledger) -> None:
    """Everything acknowledged is there, numbers are gapless and unique, totals reconcile."""
    _check_facturovia(http, tenant, ledger.acknowledged[(tenant["id"], "facturovia")])
    _check_facturala(http, tenant, ledger.acknowledged[(tenant["id"], "facturala")])
    _check_facturagem(http, tenant, ledger.acknowledged[(tenant["id"], "facturagem")])
    _check_facturascripts(http, tenant, ledger.acknowledged[(tenant["id"], "facturascripts")])


def _check_facturovia(http: httpx.Client, tenant: dict[str, Any], acknowledged: set[str]) -> None:
    auth = {"Authorization": f"Bearer {tenant['credentials']['facturovia']['read_write']}"}
    invoices = http.get("/facturovia/api/invoices", headers=auth).json()["data"]
    stored = {i["id"]: i for i in invoices}
    assert acknowledged <= set(stored), f"lost {len(acknowledged - set(stored))} acknowledged invoices"
    by_series: dict[str, list[int]] = defaultdict(list)
    for invoice in invoices:
        if invoice["number"]:
            series_year, _, n = invoice["number"].rpartition("-")
            by_series[series_year].append(int(n))
        nets = sum((Decimal(str(i["net"])) for i in invoice["items"]), Decimal(0))
        vat = sum((Decimal(str(g["vat"])) for g in invoice["vat_breakdown"]), Decimal(0))
        assert Decimal(str(invoice["subtotal"])) == nets
        assert Decimal(str(invoice["total"])) == nets + vat
        for group in invoice["vat_breakdown"]:
            expected = round_cents(Decimal(str(group["base"])) * Decimal(str(group["vat_rate"])) / 100)
            assert Decimal(str(group["vat"])) == expected
    for series, numbers in by_series.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), f"series {series} has gaps or duplicates"


def _check_facturala(http: httpx.Client, tenant: dict[str, Any], acknowledged: set[str]) -> None:
    creds = tenant["credentials"]["facturala"]
    base = f"/facturala/facturala/api/companies/{creds['company_id']}/invoices"
    invoices = http.get(base, headers={"Authorization": creds["token"]}).json()
    numbers = [int(i["number"]) for i in invoices]
    assert {int(n) for n in acknowledged} <= set(numbers)
    assert sorted(numbers) == list(range(1, len(numbers) + 1))
    for invoice in invoices:
        totals = invoice["totals"]
        assert abs(
            Decimal(str(totals["subTotalNoDiscounts"])) + Decimal(str(totals["taxes"])) - Decimal(str(totals["total"]))
        ) <= Decimal("0.01")


def _check_facturagem(http: httpx.Client, tenant: dict[str, Any], acknowledged: set[int]) -> None:
    session = http.post("/facturagem/api/v1/session.json", data=tenant["credentials"]["facturagem"]).json()
    base = f"/facturagem/api/v1/accounts/{session['account_id']}"
    stored: list[dict[str, Any]] = []
    page = 1
    while True:
        batch = http.get(f"{base}/invoices.json", params={"api_key": session["api_key"], "page": page}).json()[
            "invoices"
        ]
        if not batch:
            break
        stored.extend(batch)
        page += 1
    ids = {i["id"] for i in stored}
    assert acknowledged <= ids
    numbers = [i["number"] for i in stored]
    assert len(numbers) == len(set(numbers)), "FACTURAgem numbers repeated"


def _check_facturascripts(http: httpx.Client, tenant: dict[str, Any], acknowledged: set[int]) -> None:
    auth = {"X-Auth-Token": tenant["credentials"]["facturascripts"]["token"]}
    invoices = http.get(f"{FS}/facturaclientes", params={"limit": 0}, headers=auth).json()
    assert acknowledged <= {i["idfactura"] for i in invoices}, "lost acknowledged FacturaScripts invoices"
    by_series: dict[tuple[str, str], list[int]] = defaultdict(list)
    for invoice in invoices:
        by_series[(invoice["codserie"], invoice["codejercicio"])].append(int(invoice["numero"]))
        assert invoice["codigo"] == f"F{invoice['codejercicio']}{invoice['codserie']}{invoice['numero']}"
        parts = sum(Decimal(str(invoice[k])) for k in ("neto", "totaliva", "totalrecargo", "totalsuplidos"))
        assert Decimal(str(invoice["total"])) == parts - Decimal(str(invoice["totalirpf"])), invoice["codigo"]
    for series, numbers in by_series.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), f"series {series} has gaps or duplicates"
    receipts = http.get(f"{FS}/reciboclientes", params={"limit": 0}, headers=auth).json()
    paid_by_invoice: dict[int, list[bool]] = defaultdict(list)
    for receipt in receipts:
        paid_by_invoice[receipt["idfactura"]].append(bool(receipt["pagado"]))
    for invoice in invoices:
        if invoice["idfactura"] in acknowledged:
            assert paid_by_invoice[invoice["idfactura"]], f"{invoice['codigo']} has no receipt"
            assert invoice["pagada"] == all(paid_by_invoice[invoice["idfactura"]]), invoice["codigo"]
