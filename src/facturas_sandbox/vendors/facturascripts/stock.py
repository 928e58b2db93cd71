"""Stock per warehouse, moved by document lines as the core moves it.

- `stocks` holds a row per reference and warehouse; saving one recomputes `stockfis` of its
  variant (that reference in every warehouse) and its product (every reference), as
  Stock::updateProductStock() does. A new variant with stock opens its row in the default
  warehouse (Variante::saveInsert).
- A document line moves stock by its `actualizastock` (BusinessDocumentLine::updateStock):
  -1 takes `cantidad` out and 1 puts it in (delivery notes, invoices), -2 reserves it
  (customer orders), 2 expects it (supplier orders), 0 nothing (quotes). Each save undoes
  what the line moved before and applies what it moves now; a deleted line gives it back.
  The line's `actualizastock` is its document state's, set when the line is created and
  again when the document changes state (TransformerDocument::onChange('idestado')).
- Selling what is not there is refused (`not-enough-stock`) unless the product allows
  selling without stock; products without stock control (`nostock`) move nothing.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from ...domain.money import to_decimal
from ...tenants import Tenant
from . import engine, hooks, settings
from .models import Model, format_datetime

NOT_ENOUGH = "not-enough-stock: No hay suficiente stock de {reference}"
_THREE = Decimal("0.001")


def _d(value: Any) -> Decimal:
    return to_decimal(value) if value not in (None, "") else Decimal(0)


def _n(value: Decimal) -> int | float:
    try:
        value = value.quantize(_THREE)  # Stock::test(): three decimals
    except InvalidOperation:
        return float(value)  # too many digits to round: stored as the double it is
    return int(value) if value == value.to_integral_value() else float(value)


def _changes(mode: int, quantity: Decimal, served: Decimal) -> dict[str, Decimal]:
    """BusinessDocumentLine::applyStockChanges."""
    if quantity < 0 and served < quantity:
        served = quantity
    if mode in (1, -1):
        return {"cantidad": mode * (quantity - served)}
    if mode == 2:
        return {"pterecibir": quantity - served}
    if mode == -2:
        return {"reservada": quantity - served}
    return {}


def _mode(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def move_line(
    tenant: Tenant,
    codalmacen: Any,
    previous: dict[str, Any] | None,
    line: dict[str, Any] | None,
) -> None:
    """Undo what `previous` moved and apply what `line` moves, in the document's warehouse.
    Raises SaveError when a sale would leave the warehouse below zero."""
    current = line or previous
    if current is None or not current.get("referencia"):
        return
    before = _mode(previous.get("actualizastock")) if previous else 0
    after = _mode(line.get("actualizastock")) if line else 0
    if before == 0 and after == 0:
        return
    variants = engine.collection(tenant.store, engine.model("variantes")).find(referencia=current["referencia"])
    if not variants:
        return
    product = engine.load(tenant.store, engine.model("productos"), variants[0].get("idproducto")) or {}
    if product.get("nostock"):
        return
    stock = find(tenant, codalmacen, current["referencia"])
    values = {k: _d(stock.get(k)) for k in ("cantidad", "pterecibir", "reservada")} if stock else {}
    deltas: dict[str, Decimal] = {}
    if previous:
        for k, v in _changes(before, -_d(previous.get("cantidad")), -_d(previous.get("servido"))).items():
            deltas[k] = deltas.get(k, Decimal(0)) + v
    if line:
        for k, v in _changes(after, _d(line.get("cantidad")), _d(line.get("servido"))).items():
            deltas[k] = deltas.get(k, Decimal(0)) + v
    for k, v in deltas.items():
        values[k] = values.get(k, Decimal(0)) + v
    if not product.get("ventasinstock") and after == -1 and values.get("cantidad", Decimal(0)) < 0:
        raise engine.SaveError([NOT_ENOUGH.format(reference=current["referencia"])])
    stocks = engine.model("stocks")
    changes = {k: _n(v) for k, v in values.items()}
    if stock is None:
        engine.insert(
            tenant,
            stocks,
            {
                "codalmacen": codalmacen,
                "referencia": current["referencia"],
                "idproducto": product.get("idproducto"),
                **changes,
            },
        )
    else:
        engine.update(tenant, stocks, stock, changes)


def find(tenant: Tenant, codalmacen: Any, referencia: Any) -> dict[str, Any] | None:
    rows = engine.collection(tenant.store, engine.model("stocks")).find(referencia=referencia, codalmacen=codalmacen)
    return rows[0] if rows else None


# -- the stock row's own rules --------------------------------------------------------------------
@hooks.before_save("stocks")
def before_save(tenant: Tenant, m: Model, record: dict[str, Any], previous: dict[str, Any] | None) -> None:
    """Stock::test(): three decimals, `disponible` = what is not reserved, the product from the reference."""
    for name in ("cantidad", "reservada", "pterecibir"):
        record[name] = _n(_d(record.get(name)))
    record["disponible"] = _n(max(Decimal(0), _d(record["cantidad"]) - _d(record["reservada"])))
    if not record.get("idproducto") and record.get("referencia"):
        variants = engine.collection(tenant.store, engine.model("variantes")).find(referencia=record["referencia"])
        if variants:
            record["idproducto"] = variants[0].get("idproducto")


@hooks.after_insert("stocks")
@hooks.after_delete("stocks")
def after_save(tenant: Tenant, m: Model, record: dict[str, Any]) -> None:
    """Stock::updateProductStock(): the product's and the variant's `stockfis`, by SQL in the core."""
    stocks = engine.collection(tenant.store, engine.model("stocks")).find(idproducto=record.get("idproducto"))
    products = engine.collection(tenant.store, engine.model("productos"))
    product = products.get(record.get("idproducto"))
    if product is not None:
        total = _n(sum((_d(s.get("cantidad")) for s in stocks), Decimal(0)))
        now = format_datetime(tenant.clock.now().replace(tzinfo=None))
        products.replace({**product, "stockfis": total, "actualizado": now})
    variants = engine.collection(tenant.store, engine.model("variantes"))
    for variant in variants.find(referencia=record.get("referencia")):
        own = [s for s in stocks if s.get("referencia") == record.get("referencia")]
        variants.replace({**variant, "stockfis": _n(sum((_d(s.get("cantidad")) for s in own), Decimal(0)))})


@hooks.after_update("stocks")
def _after_update(tenant: Tenant, m: Model, previous: dict[str, Any], record: dict[str, Any]) -> None:
    after_save(tenant, m, record)


@hooks.after_insert("variantes")
def variant_inserted(tenant: Tenant, m: Model, variant: dict[str, Any]) -> None:
    """Variante::saveInsert(): a new variant's stock is counted in the default warehouse."""
    if _d(variant.get("stockfis")) == 0:
        return
    engine.insert(
        tenant,
        engine.model("stocks"),
        {
            "cantidad": variant.get("stockfis"),
            "codalmacen": settings.default(tenant, "codalmacen"),
            "idproducto": variant.get("idproducto"),
            "referencia": variant.get("referencia"),
        },
    )


def product_without_stock(tenant: Tenant, record: dict[str, Any], previous: dict[str, Any] | None) -> None:
    """Producto::test(): a product without stock control has no stock, and sells without it."""
    if not record.get("nostock"):
        return
    if previous is not None and _d(previous.get("stockfis")) != 0:
        stocks = engine.collection(tenant.store, engine.model("stocks"))
        for row in stocks.find(idproducto=record.get("idproducto")):
            stocks.delete(row["idstock"])
        variants = engine.collection(tenant.store, engine.model("variantes"))
        for variant in variants.find(idproducto=record.get("idproducto")):
            variants.replace({**variant, "stockfis": 0})
    record["stockfis"] = 0
    record["ventasinstock"] = True
