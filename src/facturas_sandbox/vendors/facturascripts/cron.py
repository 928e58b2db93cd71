"""The core's daily cron jobs that keep receipts and invoices current (Core/Controller/Cron.php).

A real installation runs `update-receipts` (unpaid receipts past due are saved again, so they
become `vencido`) and `update-unpaid-invoices` (each unpaid invoice's `pagada`/`vencida` from
its receipts) once a day, and records each run in `cronjobs`. The sandbox runs them on a
tenant's first request of each day of its clock, so a tenant whose clock moves on finds its
receipts overdue as a real installation would the next morning.
"""

from __future__ import annotations

from typing import Any

from ...tenants import Tenant
from . import engine, receipts
from .models import format_datetime, parse_datetime

JOBS = ("update-receipts", "update-unpaid-invoices")


def _job(tenant: Tenant, name: str) -> dict[str, Any] | None:
    rows = engine.collection(tenant.store, engine.model("cronjobes")).find(jobname=name, pluginname=None)
    return min(rows, key=lambda r: r["id"]) if rows else None  # the oldest, as Cron::job() loads it


def due(tenant: Tenant) -> bool:
    last = _job(tenant, JOBS[0])
    if last is None or not last.get("date"):
        return True
    return parse_datetime(last["date"]).date() < tenant.clock.today()


def run(tenant: Tenant) -> None:
    """Both jobs now, and their `cronjobs` rows."""
    with tenant.store.transaction():
        receipts.refresh_overdue(tenant)
        for kind in receipts.KINDS.values():
            for invoice in engine.collection(tenant.store, engine.model(kind.invoices)).find(pagada=False):
                receipts.update_invoice(tenant, kind, invoice["idfactura"])
        jobs = engine.model("cronjobes")
        now = format_datetime(tenant.clock.now().replace(tzinfo=None))
        for name in JOBS:
            values = {"jobname": name, "date": now, "done": True, "running": 0, "failed": False}
            current = _job(tenant, name)
            if current is None:
                engine.insert(tenant, jobs, values)
            else:
                engine.update(tenant, jobs, current, values)


def run_due(tenant: Tenant) -> None:
    if due(tenant):
        run(tenant)
