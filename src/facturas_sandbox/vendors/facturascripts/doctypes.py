"""FacturaScripts' eight business document types: one table every other module reads."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DocType:
    name: str  # FacturaCliente: the model class and `tipodoc`
    header: str  # resource of the header model
    lines: str  # resource of the line model
    pk: str  # primary key of the header, and the line's foreign key
    party: str  # codcliente | codproveedor
    party_resource: str
    party_name: str  # nombrecliente | nombre
    prefix: str  # code prefix: F, FP, ALB, …
    title: str  # for the PDF

    @property
    def customer(self) -> bool:
        return self.party == "codcliente"

    @property
    def invoice(self) -> bool:
        return self.name.startswith("Factura")


def _doc(name: str, header: str, pk: str, prefix: str, title: str) -> DocType:
    customer = name.endswith("Cliente")
    return DocType(
        name=name,
        header=header,
        lines=f"linea{header}",
        pk=pk,
        party="codcliente" if customer else "codproveedor",
        party_resource="clientes" if customer else "proveedores",
        party_name="nombrecliente" if customer else "nombre",
        prefix=prefix,
        title=title,
    )


DOC_TYPES = {
    d.name: d
    for d in (
        _doc("FacturaCliente", "facturaclientes", "idfactura", "F", "Factura"),
        _doc("FacturaProveedor", "facturaproveedores", "idfactura", "FP", "Factura de proveedor"),
        _doc("AlbaranCliente", "albaranclientes", "idalbaran", "ALB", "Albarán"),
        _doc("AlbaranProveedor", "albaranproveedores", "idalbaran", "ALBP", "Albarán de proveedor"),
        _doc("PedidoCliente", "pedidoclientes", "idpedido", "PED", "Pedido"),
        _doc("PedidoProveedor", "pedidoproveedores", "idpedido", "PEDP", "Pedido de proveedor"),
        _doc("PresupuestoCliente", "presupuestoclientes", "idpresupuesto", "PRE", "Presupuesto"),
        _doc("PresupuestoProveedor", "presupuestoproveedores", "idpresupuesto", "PREP", "Presupuesto de proveedor"),
    )
}
