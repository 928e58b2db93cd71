"""FacturaScripts' eight business document types, read from the contract's `x-fs-document`
(stated once in openapi/facturascripts/documents.yaml): every other module reads this table.

Read on first use, not at import: the contract build imports the vendor package, and must run
while the committed contract is stale.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from ...contracts import load_contract


@dataclass(frozen=True)
class DocType:
    name: str  # FacturaCliente: the model class and `tipodoc`
    header: str  # resource of the header model
    lines: str  # resource of the line model
    pk: str  # primary key of the header, and the line's foreign key
    party: str  # codcliente | codproveedor
    party_resource: str  # clientes | proveedores: the party column's foreign key
    party_name: str  # nombrecliente | nombre
    title: str  # for the PDF
    code_pattern: str  # of a new sequence (`secuenciadocumentos.patron`): F{EJE}{SERIE}{NUM}, …

    @property
    def customer(self) -> bool:
        return self.party == "codcliente"

    @property
    def invoice(self) -> bool:
        return self.name.startswith("Factura")


def from_contract(spec: dict[str, Any]) -> dict[str, DocType]:
    out = {}
    for schema in spec["components"]["schemas"].values():
        doc = schema.get("x-fs-document")
        if doc is None or doc["part"] != "header":
            continue
        party = next(fk["resource"] for fk in schema["x-foreign-keys"] if fk["columns"] == [doc["party"]])
        out[doc["type"]] = DocType(
            name=doc["type"],
            header=schema["x-fs-resource"],
            lines=doc["lines"],
            pk=schema["x-primary-key"],
            party=doc["party"],
            party_resource=party,
            party_name=doc["party_name"],
            title=doc["title"],
            code_pattern=doc["code_pattern"],
        )
    return out


@functools.cache
def doc_types() -> dict[str, DocType]:
    """By type name (FacturaCliente), in the contract's order."""
    return from_contract(load_contract("facturascripts"))


@functools.cache
def by_resource() -> dict[str, DocType]:
    """The document type of a header or line resource."""
    return {resource: doc for doc in doc_types().values() for resource in (doc.header, doc.lines)}


def is_header(resource: str) -> bool:
    doc = by_resource().get(resource)
    return doc is not None and doc.header == resource


def is_lines(resource: str) -> bool:
    doc = by_resource().get(resource)
    return doc is not None and doc.lines == resource
