"""Handlers of openapi/facturascripts.yaml.

Model resources have no handler each: operationIds `list_<resource>`, `get_…`, `schema_…`,
`create_…`, `update_…`, `patch_…`, `delete_…` resolve (module `__getattr__`) to the generic
handlers below, bound to the model the contract describes.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from connexion.context import request
from starlette.responses import Response

from ...contracts import load_contract
from ...errors import ApiError
from ...responses import add_warning, current_sandbox, current_tenant, dumps
from ...tenants import Tenant
from ...validators import dumps_exact
from . import cron, documents, engine, files, plugins, routing, xls
from .doctypes import DocType, doc_types
from .models import Model, registry
from .query import FieldsNotAllowed, parse_query, run

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, PUT, DELETE, PATCH, OPTIONS",
}
JSON_BODY_WARNING = (
    "JSON body: a real FacturaScripts server reads only form bodies and would answer "
    "'Ningun dato recibido por formulario' (no data received); send application/x-www-form-urlencoded"
)
_FALSE_WORDS = {"false", "no", "off", "n", "f"}


def _tenant() -> Tenant:
    """The request's tenant, after the day's cron jobs of its installation (`cron`)."""
    tenant = current_tenant()
    cron.run_due(tenant)
    return tenant


def respond(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        dumps(body), status_code=status, media_type="application/json", headers={**CORS_HEADERS, **(headers or {})}
    )


# -- the resource list -------------------------------------------------------------------------
def served_resources() -> list[str]:
    spec = load_contract("facturascripts")
    names = set(registry())
    for path in spec["paths"]:
        parts = path.strip("/").split("/")  # ["3", resource, ...]
        if len(parts) > 1 and not parts[1].startswith("{"):
            names.add(parts[1])
    return sorted(names)


async def root() -> Response:
    return respond({"resources": served_resources()})


# -- bodies ---------------------------------------------------------------------------------------
def _body_values(m: Model, body: Any) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "")
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise engine.model_error(engine.NO_DATA)
    if "json" in content_type:
        add_warning(JSON_BODY_WARNING)
    for key, value in body.items():
        column = m.columns.get(key)
        is_false_word = isinstance(value, str) and value.strip().lower() in _FALSE_WORDS
        if column is not None and column.kind == "boolean" and is_false_word:
            add_warning(f"{key}={value!r} is true for a real FacturaScripts server (PHP truthiness): send 0 or ''")
    return body


def _save_error(exc: engine.SaveError, m: Model, record: dict[str, Any]) -> ApiError:
    message = " - ".join([engine.SAVE_ERROR, *exc.reasons])
    return engine.model_error(message, m.save_status, data=m.visible(record), with_data=True)


def upload_limit() -> int:
    return current_sandbox().settings.max_upload_bytes


def _attach(tenant: Tenant, m: Model, uploads: list[files.Upload], written: list[str]) -> dict[str, Any]:
    """The values a model's file part gives it; the real server keeps the last valid file.

    attachedfiles: the file is written under MyFiles and the record names it (`path`);
    productoimagenes: a valid image becomes an attached file and the record links it (`idfile`).
    Files that are not valid (or not images, for product images) are skipped, as the real
    server skips them.
    """
    limit = upload_limit()
    valid = [u for u in uploads if files.refusal(u, limit) is None]
    if m.uploads == "image":
        valid = [u for u in valid if files.is_image(u.content)]
    if not valid:
        return {}
    chosen = valid[-1]
    if m.uploads == "image":
        attached = files.store(tenant, chosen, limit)
        written.append(attached["path"])
        return {"idfile": attached["idfile"]}
    path = files.write(tenant, chosen)
    written.append(path)
    return {"path": path, "mimetype": chosen.mimetype}


# -- generic model handlers ----------------------------------------------------------------------
async def list_model(m: Model, **_: Any) -> Response:
    tenant = _tenant()
    query = parse_query(request.query_params.multi_items())
    try:
        page, total = run(m, engine.collection(tenant.store, m), query)
    except FieldsNotAllowed as exc:
        raise engine.model_error(str(exc)) from exc
    return respond([with_downloads(m, r) for r in page], headers={"X-Total-Count": str(total)})


async def get_model(m: Model, pk: Any = None, **_: Any) -> Response:
    record = engine.load(_tenant().store, m, pk)
    if record is None:
        raise engine.model_error(engine.NOT_FOUND, 404)
    return respond(with_downloads(m, record))


async def schema_model(m: Model, **_: Any) -> Response:
    return respond(
        {
            name: {"type": c.db_type, "default": c.default, "is_nullable": "YES" if c.nullable else "NO"}
            for name, c in m.columns.items()
            if not c.hidden
        }
    )


async def create_model(m: Model, body: Any = None, **arguments: Any) -> Response:
    tenant = _tenant()
    values = _body_values(m, body)
    if m.uploads and isinstance(values.get("file"), str):
        raise engine.model_error("file must be a file part (multipart/form-data with a filename)")
    # Read before the transaction: nothing may await while the tenant's lock is held.
    uploads = await files.read_uploads(arguments, upload_limit()) if m.uploads else []
    with files.removed_on_failure(tenant) as written, tenant.transaction():
        key = values.get(m.primary_key)
        if key not in (None, "", "null"):
            existing = engine.load(tenant.store, m, key)
            if existing is not None:
                raise engine.model_error(engine.DUPLICATE, m.duplicate_status, data=m.visible(existing), with_data=True)
        if not values and not uploads:
            raise engine.model_error(engine.NO_DATA)
        try:
            values = {**values, **_attach(tenant, m, uploads, written)}
            record = engine.insert(tenant, m, values)
        except engine.SaveError as exc:
            draft = engine.new_record(m)
            engine.assign(m, draft, values)
            raise _save_error(exc, m, draft) from exc
    return respond({"ok": engine.SAVED, "data": m.visible(record)})


async def update_model(m: Model, pk: Any = None, body: Any = None, **_: Any) -> Response:
    if pk == "schema":
        raise routing.schema_method_not_allowed()
    tenant = _tenant()
    values = _body_values(m, body)
    with tenant.transaction():
        # The server loads the record named by the body's primary key, else the URL's.
        key = values.get(m.primary_key, pk)
        current = engine.load(tenant.store, m, key)
        if current is None:
            raise engine.model_error(engine.NOT_FOUND, 404)
        if not values:
            raise engine.model_error(engine.NO_DATA)
        try:
            record = engine.update(tenant, m, current, values)
        except engine.SaveError as exc:
            raise _save_error(exc, m, current) from exc
    return respond({"ok": engine.SAVED, "data": m.visible(record)})


async def delete_model(m: Model, pk: Any = None, **_: Any) -> Response:
    if pk == "schema":
        raise routing.schema_method_not_allowed()
    tenant = _tenant()
    with tenant.transaction():
        current = engine.load(tenant.store, m, pk)
        if current is None:
            raise engine.model_error(engine.NOT_FOUND, 404)
        if not engine.delete(tenant, m, current):
            raise engine.model_error(engine.DELETE_ERROR)
    return respond({"ok": engine.DELETED, "data": m.visible(current)})


_GENERIC: dict[str, Callable[..., Awaitable[Response]]] = {
    "list": list_model,
    "get": get_model,
    "schema": schema_model,
    "create": create_model,
    "update": update_model,
    "patch": update_model,
    "delete": delete_model,
}
_OPERATION = re.compile(r"^(list|get|schema|create|update|patch|delete)_([a-z0-9]+)$")


def __getattr__(name: str) -> Callable[..., Awaitable[Response]]:
    custom = _CUSTOM.match(name)
    if custom is not None and custom.group(2) in doc_types():
        doc = doc_types()[custom.group(2)]
        if custom.group(1) != "pagar" or doc.invoice:
            handler = _CUSTOM_FACTORIES[custom.group(1)](doc)
            handler.__name__ = name
            return handler
    match = _OPERATION.match(name)
    if match is None or match.group(2) not in registry():
        raise AttributeError(name)
    generic = _GENERIC[match.group(1)]
    m = registry()[match.group(2)]

    async def generic_handler(**kwargs: Any) -> Response:
        return await generic(m, **kwargs)

    generic_handler.__name__ = name
    return generic_handler


# -- business documents (custom endpoints) -----------------------------------------------------------
def _form_value(value: Any) -> Any:
    """A JSON value as the form string a real server would read for it."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, (list, dict)):
        return dumps_exact(value)  # `lineas` sent as an array instead of the documented string
    return value


def _form(body: Any) -> dict[str, Any]:
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise documents.error(400, "Ningún dato recibido por formulario")
    if "json" in request.headers.get("content-type", ""):
        add_warning(JSON_BODY_WARNING)
        body = {key: _form_value(value) for key, value in body.items() if value is not None}
    for key in ("pagada",):
        value = body.get(key)
        if isinstance(value, str) and value.strip().lower() in _FALSE_WORDS:
            add_warning(f"{key}={value!r} is true for a real FacturaScripts server (PHP truthiness): send 0 or ''")
    return body


def _document_body(doc: DocType, header: dict[str, Any], lines: list[dict[str, Any]]) -> Response:
    return respond(
        {
            "doc": registry()[doc.header].visible(header),
            "lines": [registry()[doc.lines].visible(line) for line in lines],
        }
    )


def _crear(doc: DocType) -> Callable[..., Awaitable[Response]]:
    async def handler(body: Any = None, **_: Any) -> Response:
        header, lines = documents.create(_tenant(), doc, _form(body))
        return _document_body(doc, header, lines)

    return handler


def _short_name(doc: DocType) -> str:
    # Factura_12.pdf, Albaran_3.pdf: the class name without the party, as the real server.
    return doc.name.removesuffix("Cliente").removesuffix("Proveedor")


def _exportar(doc: DocType) -> Callable[..., Awaitable[Response]]:
    async def handler(id: Any = None, type: str = "PDF", **_: Any) -> Response:
        tenant = _tenant()
        header = engine.load(tenant.store, registry()[doc.header], id)
        if header is None and not str(id).lstrip("-").isdigit():
            # The documentation says "code or ID"; the real server's load() reads the key only.
            found = engine.collection(tenant.store, registry()[doc.header]).find(codigo=str(id))
            header = found[0] if found else None
            if header is not None:
                add_warning(
                    f"exportar{doc.name}/{id}: a real FacturaScripts server loads documents by {doc.pk} only "
                    f"and would answer 404 record-not-found; use /{header[doc.pk]}"
                )
        if header is None:
            raise documents.error(404, "record-not-found")
        id = header[doc.pk]
        lines = documents.lines_of(tenant, doc, header[doc.pk])
        if (type or "PDF").upper() == "XLS":
            return Response(
                xls.export_xlsx(doc, registry()[doc.header].visible(header), lines),
                media_type=xls.MEDIA_TYPE,
                headers={**CORS_HEADERS, "Content-Disposition": f"attachment; filename={_short_name(doc)}_{id}.xlsx"},
            )
        if (type or "PDF").upper() == "CSV":
            return Response(
                documents.export_csv(doc, header, lines),
                media_type="text/csv; charset=utf-8",
                headers={**CORS_HEADERS, "Content-Disposition": f"attachment; filename={doc.name}_{id}.csv"},
            )
        return Response(
            documents.export_pdf(tenant, doc, header, lines),
            media_type="application/pdf",
            headers={
                **CORS_HEADERS,
                "Content-Disposition": f"inline; filename={_short_name(doc)}_{id}.pdf",
            },
        )

    return handler


def _pagar(doc: DocType) -> Callable[..., Awaitable[Response]]:
    async def handler(id: Any = None, body: Any = None, **_: Any) -> Response:
        message, invoice = documents.pay(_tenant(), doc, id, _form(body))
        return respond({"ok": message, "data": registry()[doc.header].visible(invoice)})

    return handler


def _editar(doc: DocType) -> Callable[..., Awaitable[Response]]:
    async def handler(id: Any = None, body: Any = None, **_: Any) -> Response:
        header, lines = documents.edit(_tenant(), doc, id, _form(body))
        return _document_body(doc, header, lines)

    return handler


async def crear_factura_rectificativa_cliente(body: Any = None, **_: Any) -> Response:
    header, lines = documents.rectify(_tenant(), _form(body))
    return _document_body(doc_types()["FacturaCliente"], header, lines)


crear_factura_rectificativa_cliente_put = crear_factura_rectificativa_cliente

_CUSTOM = re.compile(r"^(crear|editar|exportar|pagar)([A-Z][A-Za-z]+?)(Put|Patch)?$")
_CUSTOM_FACTORIES = {"crear": _crear, "editar": _editar, "exportar": _exportar, "pagar": _pagar}


# -- files --------------------------------------------------------------------------------------------
def _download_url(idfile: Any) -> str:
    mount = request.scope.get("sandbox.mount")
    prefix = mount.prefix if mount is not None else ""
    base = str(request.url).split("://", 1)
    host = base[1].split("/", 1)[0] if len(base) > 1 else ""
    return f"{base[0]}://{host}{prefix}/3/attachedfiles/{idfile}/download"


def with_downloads(m: Model, record: dict[str, Any]) -> dict[str, Any]:
    """A file record with its `download` URLs (attachedfiles, and product images via their file)."""
    visible = m.visible(record)
    if m.resource == "attachedfiles":
        url = _download_url(record["idfile"])
    elif m.resource == "productoimagenes":
        url = _download_url(record["idfile"]) if record.get("idfile") is not None else ""
    else:
        return visible
    visible["download"] = url
    visible["download-permanent"] = url
    return visible


async def download_attachedfile(pk: Any = None, **_: Any) -> Response:
    tenant = _tenant()
    record = engine.load(tenant.store, registry()["attachedfiles"], pk)
    content = files.content_of(tenant, record) if record is not None else None
    if record is None or content is None:
        raise engine.model_error(engine.NOT_FOUND, 404)
    return Response(
        content,
        media_type="application/octet-stream",
        # `filename` is editable (an update may set anything): the header gets its safe form,
        # so no CR/LF, quote or `;` of a client's reaches it.
        headers={**CORS_HEADERS, "Content-Disposition": f'attachment; filename="{files.sanitize(record["filename"])}"'},
    )


async def upload_files(body: Any = None, **arguments: Any) -> Response:
    """ApiUploadFiles: every valid file part becomes an attached file; invalid ones are dropped."""
    tenant = _tenant()
    limit = upload_limit()
    if isinstance(body, dict) and ({"files", "files[]"} & set(body)):
        # A text part where the contract wants files: the real server would ignore it silently.
        raise documents.error(400, "files[] must be file parts (multipart/form-data with a filename)")
    uploads = await files.read_uploads(arguments, limit)
    stored = []
    with files.removed_on_failure(tenant) as written, tenant.store.transaction():
        for upload in uploads:
            reason = files.refusal(upload, limit)
            if reason is not None:
                add_warning(f"{files.sanitize(upload.filename)!r} dropped ({reason}): a real server drops it too")
                continue
            record = files.store(tenant, upload, limit)
            written.append(record["path"])
            stored.append(registry()["attachedfiles"].visible(record))
    return respond({"files": stored})


upload_files_put = upload_files


# -- plugins ------------------------------------------------------------------------------------------
def _plugin_headers() -> dict[str, str]:
    return {"X-Core-Version": plugins.CORE_VERSION}


async def list_plugins(**_: Any) -> Response:
    items = plugins.listing(_tenant())
    # The same PHP parsing of `filter[...]` / `sort[...]` as the model lists; the operators differ.
    query = parse_query(request.query_params.multi_items())
    selected = plugins.select(items, query.filters)
    return respond(plugins.sort(selected, query.sort.items()), headers=_plugin_headers())


async def get_plugin(name: str, **_: Any) -> Response:
    return respond(plugins.find(_tenant(), name), headers=_plugin_headers())


async def enable_plugin(name: str, **_: Any) -> Response:
    message, plugin = plugins.enable(_tenant(), name)
    return respond({"status": "ok", "message": message, "data": plugin}, headers=_plugin_headers())


async def disable_plugin(name: str, **_: Any) -> Response:
    message, plugin = plugins.disable(_tenant(), name)
    return respond({"status": "ok", "message": message, "data": plugin}, headers=_plugin_headers())
