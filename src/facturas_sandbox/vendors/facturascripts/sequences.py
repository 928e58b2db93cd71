"""Document codes from `secuenciadocumentos`, as Core/Lib/BusinessDocumentCode.php assigns them.

Each (document type, series, company, exercise) has a sequence row, created with the type's
pattern the first time a document of it gets a code (F{EJE}{SERIE}{NUM} for customer
invoices ...; `usarhuecos` on for customer invoices, as the core creates it). The row's
`numero` is the next number: a client that sets it (the wizard's "first invoice number")
moves the numbering on. A number a document of the sequence already holds is never given
again. Called inside the tenant's transaction, so concurrent creates never share a number.
"""

from __future__ import annotations

from typing import Any

from ...tenants import Tenant
from . import engine, hooks
from .doctypes import DocType
from .models import Model

MAX_NUMBER = 2**31 - 1  # the integer column `numero` of the sequence
LONGNUMERO = "longnumero-must-be-between-1-and-10: La longitud del número debe estar entre 1 y 10"
OUT_OF_NUMBERS = "La secuencia {patron} no tiene más números"


@hooks.before_save("secuenciadocumentos")
def before_save(tenant: Tenant, m: Model, record: dict[str, Any], previous: dict[str, Any] | None) -> None:
    """SecuenciaDocumento::test(): the start is at least 1, the next number not before it, and
    a padded number between 1 and 10 digits."""
    if not record.get("inicio") or record["inicio"] < 1:
        record["inicio"] = 1
    if record["inicio"] > (record.get("numero") or 0):
        record["numero"] = record["inicio"]
    if not 1 <= (record.get("longnumero") or 0) <= 10:
        raise engine.SaveError([LONGNUMERO])


def code(pattern: str, header: dict[str, Any], number: int, length: int) -> str:
    """CodePatterns::trans for the placeholders of the core's default patterns."""
    length = min(max(length, 1), 10)
    exercise = str(header.get("codejercicio") or "")
    return (
        pattern.replace("{EJE}", exercise)
        .replace("{EJE2}", exercise[-2:])
        .replace("{SERIE}", str(header.get("codserie") or ""))
        .replace("{0SERIE}", str(header.get("codserie") or "").rjust(2, "0"))
        .replace("{0NUM}", str(number).rjust(length, "0"))
        .replace("{NUM}", str(number))
    )


def _documents(tenant: Tenant, doc: DocType, header: dict[str, Any]) -> list[dict[str, Any]]:
    return engine.collection(tenant.store, engine.model(doc.header)).find(
        codserie=header.get("codserie"), codejercicio=header.get("codejercicio"), idempresa=header.get("idempresa")
    )


def sequence(tenant: Tenant, doc: DocType, header: dict[str, Any]) -> dict[str, Any]:
    """getSequence(): this exercise's row, else one for all exercises, else a new row."""
    model = engine.model("secuenciadocumentos")
    rows = [
        r
        for r in engine.collection(tenant.store, model).find(tipodoc=doc.name)
        if r.get("codserie") == header.get("codserie") and r.get("idempresa") == header.get("idempresa")
    ]
    for row in rows:
        if row.get("codejercicio") == header.get("codejercicio"):
            return row
    general = [r for r in rows if not r.get("codejercicio")]
    if general:
        return general[0]
    # Numbers already taken (documents of an earlier version of the sandbox) come first.
    taken = [int(d["numero"]) for d in _documents(tenant, doc, header) if str(d.get("numero") or "").isdigit()]
    return engine.insert(
        tenant,
        model,
        {
            "codejercicio": header.get("codejercicio"),
            "codserie": header.get("codserie"),
            "idempresa": header.get("idempresa"),
            "tipodoc": doc.name,
            "patron": doc.code_pattern,
            "usarhuecos": doc.name == "FacturaCliente",
            "numero": max(taken, default=0) + 1,
        },
    )


def assign(tenant: Tenant, doc: DocType, header: dict[str, Any]) -> None:
    """Set `numero` and `codigo` of a new document and move its sequence on."""
    row = sequence(tenant, doc, header)
    number = max(int(row.get("numero") or 1), int(row.get("inicio") or 1))
    length = int(row.get("longnumero") or 6)
    documents = engine.collection(tenant.store, engine.model(doc.header))
    scope = {k: header.get(k) for k in ("codserie", "codejercicio", "idempresa")}
    while documents.find(numero=str(number), **scope) or documents.find(
        codigo=code(row["patron"], header, number, length)
    ):
        number += 1  # a number a client gave a document by hand
    if number >= MAX_NUMBER:
        raise engine.SaveError([OUT_OF_NUMBERS.format(patron=row["patron"])])
    header["numero"] = str(number)
    header["codigo"] = code(row["patron"], header, number, length)
    engine.update(tenant, engine.model("secuenciadocumentos"), row, {"numero": number + 1})
