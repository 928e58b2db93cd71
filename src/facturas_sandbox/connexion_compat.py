"""Connexion's per-operation work done once per operation instead of on every request.

Connexion 3.3 rebuilds, on every request, objects that depend only on the operation
(spec-first/connexion#2045, "Performance of the Server tanked after upgrading to Connexion
3.x"): the handler's decorator chain with an `inspect.signature` of the handler
(`AsyncOperation.fn`), a URI parser, a parameter validator that deep-copies each parameter's
schema and compiles a fresh `Draft4Validator` for it, the media-type table of the operation,
the body validator (so its compiled schema too), and two more `inspect.signature` calls of the
security function (`AbstractSecurityHandler._generic_check`). A profile of GET by id put
about a third of the CPU there (bench/RESULTS.md).

Each piece is replaced through one of Connexion's own extension points, with the same inputs
and the same errors, only built once:

* `OnceAsyncApp`: the AsyncApp's inner ASGI app makes operations that decorate the handler
  once (`AsyncApp` takes no option for it, so the subclass sets `_middleware_app`), with a
  parameter decorator that holds its operation instead of reading it through a context proxy;
* `OnceRequestValidationMiddleware`: goes in the `middlewares` list in place of
  `RequestValidationMiddleware`;
* `CompiledParameterValidator`: the `"parameter"` entry of `validator_map`;
* `security_map()`: the same handler classes, inspecting the security function once.

These subclasses lean on internals of the pinned Connexion (3.3.x). `internals_changed()`
compares the source of every internal they replace or rely on with the source they were
written against; on any difference (an upgrade) `enabled()` is False, `create_app` uses stock
Connexion, and a warning says so. tests/test_connexion_compat.py fails in that case, so an
upgrade cannot slip through without someone re-checking this module.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import inspect
import logging
import typing as t
import warnings
from importlib.metadata import version

from connexion import AsyncApp
from connexion.apps.abstract import AbstractApp
from connexion.apps.asynchronous import AsyncApi, AsyncASGIApp, AsyncOperation
from connexion.context import _context, _receive, _scope
from connexion.datastructures import MediaTypeDict
from connexion.decorators.main import ASGIDecorator, BaseDecorator, StarletteDecorator
from connexion.decorators.parameter import (
    CONTEXT_NAME,
    AsyncParameterDecorator,
    get_arguments,
    inspect_function_arguments,
    prep_kwargs,
    unwrap_decorators,
)
from connexion.exceptions import OAuthResponseProblem, UnsupportedMediaTypeProblem
from connexion.frameworks.starlette import Starlette as StarletteFramework
from connexion.http_facts import FORM_CONTENT_TYPES
from connexion.middleware.request_validation import (
    RequestValidationAPI,
    RequestValidationMiddleware,
    RequestValidationOperation,
)
from connexion.operations import Swagger2Operation
from connexion.security import (
    NO_VALUE,
    AbstractSecurityHandler,
    ApiKeySecurityHandler,
    BasicSecurityHandler,
    BearerSecurityHandler,
    OAuthSecurityHandler,
)
from connexion.utils import is_null, is_nullable
from connexion.validators.parameter import ParameterValidator, draft4_format_checker
from jsonschema import Draft4Validator, ValidationError
from starlette.types import Receive, Scope, Send

log = logging.getLogger("facturas_sandbox")

CONNEXION_VERSION = "3.3."  # the minor release this module was written against
# SHA-256 (first 16 hex digits) of the source of each Connexion internal this module replaces
# or relies on, as in connexion 3.3.0. Recompute with `python -m facturas_sandbox.connexion_compat`.
INTERNALS: dict[str, str] = {
    "AsyncOperation.__init__": "09b0d7fdd70326ed",
    "AsyncOperation.fn": "9cad70e32840c9ec",
    "AsyncOperation.__call__": "5435ed498983193d",
    "AsyncApp.__init__": "624f5070177b0d80",
    "BaseDecorator.decorate": "ecc6529a18274fda",
    "ASGIDecorator.__call__": "7397ac94437e4d7e",
    "RequestValidationOperation.__init__": "d21eda3fde4a2734",
    "RequestValidationOperation.__call__": "af472716211911b9",
    "RequestValidationOperation.validate_mime_type": "cdb95c7df215a7dd",
    "ParameterValidator.validate_parameter": "2d9293659a1c1ea5",
    "AbstractSecurityHandler._generic_check": "28e23fb07ef65fb6",
    "AsyncApi.make_operation": "555eaf3ca12397b1",
    "RequestValidationAPI.make_operation": "55b32cb8b0ab229e",
    "StarletteFramework.get_request": "0e2625a06664e504",
    "AsyncParameterDecorator.__call__": "c3223e31eb92742e",
    "BaseParameterDecorator._maybe_get_body": "18183067248151ee",
    "prep_kwargs": "46eb57dd9685e1c4",
    "StarletteDecorator._parameter_decorator_cls": "9d959264f117dae9",
}
# At most this many (media type, charset) pairs get a cached body validator per operation:
# both come from the client's Content-Type, so an unbounded cache would be a memory leak.
BODY_VALIDATORS_PER_OPERATION = 16


def _internals() -> dict[str, t.Any]:
    return {
        "AsyncOperation.__init__": AsyncOperation.__init__,
        "AsyncOperation.fn": AsyncOperation.fn.fget,
        "AsyncOperation.__call__": AsyncOperation.__call__,
        "AsyncApp.__init__": AsyncApp.__init__,
        "BaseDecorator.decorate": BaseDecorator.decorate,
        "ASGIDecorator.__call__": ASGIDecorator.__call__,
        "RequestValidationOperation.__init__": RequestValidationOperation.__init__,
        "RequestValidationOperation.__call__": RequestValidationOperation.__call__,
        "RequestValidationOperation.validate_mime_type": RequestValidationOperation.validate_mime_type,
        "ParameterValidator.validate_parameter": ParameterValidator.validate_parameter,
        "AbstractSecurityHandler._generic_check": AbstractSecurityHandler._generic_check,
        "AsyncApi.make_operation": AsyncApi.make_operation,
        "RequestValidationAPI.make_operation": RequestValidationAPI.make_operation,
        "StarletteFramework.get_request": StarletteFramework.get_request,
        "AsyncParameterDecorator.__call__": AsyncParameterDecorator.__call__,
        "BaseParameterDecorator._maybe_get_body": AsyncParameterDecorator._maybe_get_body,
        "prep_kwargs": prep_kwargs,
        "StarletteDecorator._parameter_decorator_cls": StarletteDecorator._parameter_decorator_cls.fget,
    }


def fingerprints() -> dict[str, str]:
    out = {}
    for name, obj in _internals().items():
        try:
            source = inspect.getsource(obj)
        except (OSError, TypeError):
            source = ""  # no source to compare: counts as changed
        out[name] = hashlib.sha256(source.encode()).hexdigest()[:16]
    return out


def internals_changed() -> list[str]:
    """What differs from the Connexion this module was written against (empty: nothing)."""
    changed = []
    installed = version("connexion")
    if not installed.startswith(CONNEXION_VERSION):
        changed.append(f"connexion {installed} (written for {CONNEXION_VERSION}x)")
    found = fingerprints()
    changed += [name for name, digest in INTERNALS.items() if found.get(name) != digest]
    return changed


@functools.cache
def enabled() -> bool:
    changed = internals_changed()
    if changed:
        message = (
            "Connexion's internals differ from those facturas_sandbox.connexion_compat was written "
            f"for ({', '.join(changed)}): serving with stock Connexion, correct but slower"
        )
        warnings.warn(message, RuntimeWarning, stacklevel=2)
        log.warning(message)
    return not changed


# -- the handler's decorators, once per operation ------------------------------------------------
class _OnceParameterDecorator(AsyncParameterDecorator):
    """`AsyncParameterDecorator` bound to its operation.

    The stock one reads the operation through the `connexion.context.operation` proxy about
    fifteen times a request and sanitises each argument name with three regular expressions;
    this one holds the operation and remembers sanitised names. `_maybe_get_body` and
    `prep_kwargs` are the stock ones with the proxy replaced by the operation itself.
    """

    def __init__(self, operation: t.Any, **kwargs: t.Any) -> None:
        super().__init__(**kwargs)
        self._operation = operation
        # Names come from the contract and from the query string (the client's): bounded.
        self.sanitize_fn: t.Callable[[str], str] = functools.lru_cache(maxsize=512)(self.sanitize_fn)

    def __call__(self, function: t.Callable) -> t.Callable:
        arguments, has_kwargs = inspect_function_arguments(unwrap_decorators(function))
        operation, sanitize = self._operation, self.sanitize_fn

        @functools.wraps(function)
        async def wrapper(request: t.Any) -> t.Any:
            body_name = sanitize(operation.body_name(request.content_type))
            request_body = None
            if (body_name in arguments or has_kwargs) or (
                request.mimetype in FORM_CONTENT_TYPES and isinstance(operation, Swagger2Operation)
            ):
                request_body = request.get_body()
            while asyncio.iscoroutine(request_body):
                request_body = await request_body
            kwargs = get_arguments(
                operation,
                path_params=request.path_params,
                query_params=request.query_params,
                body=request_body,
                files=await request.files(),
                arguments=arguments,
                has_kwargs=has_kwargs,
                sanitize=sanitize,
                content_type=request.mimetype,
            )
            kwargs = {sanitize(k): v for k, v in kwargs.items()}
            context = _context.get()
            for key, value in context.items():
                if has_kwargs or key in arguments:
                    kwargs[key] = value
            if CONTEXT_NAME in arguments:
                kwargs[CONTEXT_NAME] = context
            return await function(**kwargs)

        return wrapper


class _OnceDecorator(StarletteDecorator):
    """`StarletteDecorator` whose decoration and URI parser are built when the operation is."""

    def __init__(self, operation: t.Any, **kwargs: t.Any) -> None:
        super().__init__(**kwargs)
        self._operation = operation
        parser_cls = self.uri_parser_class or operation.uri_parser_class
        self._parser = parser_cls(operation.parameters, operation.body_definition())

    @property
    def _parameter_decorator_cls(self) -> t.Callable[..., AsyncParameterDecorator]:
        return functools.partial(_OnceParameterDecorator, self._operation)

    def __call__(self, function: t.Callable) -> t.Callable:
        decorated = self.decorate(function)
        framework, parser = self.framework, self._parser

        @functools.wraps(function)
        async def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
            # The stock wrapper passes the `scope` and `receive` proxies of connexion.context;
            # these are the objects behind them.
            request = framework.get_request(uri_parser=parser, scope=_scope.get(), receive=_receive.get())
            return await decorated(request)

        return wrapper


class OnceAsyncOperation(AsyncOperation):
    def __init__(self, fn: t.Callable, *, operation: t.Any, **kwargs: t.Any) -> None:
        super().__init__(fn, **kwargs)
        decorator = _OnceDecorator(operation, pythonic_params=self.pythonic_params, jsonifier=self.jsonifier)
        self._decorated = decorator(self._fn)

    @classmethod
    def from_operation(cls, operation: t.Any, *, pythonic_params: bool, jsonifier: t.Any) -> OnceAsyncOperation:
        return cls(
            operation.function,
            operation=operation,
            jsonifier=jsonifier,
            operation_id=operation.operation_id,
            pythonic_params=pythonic_params,
        )

    @property
    def fn(self) -> t.Callable:
        return self._decorated


class OnceAsyncApi(AsyncApi):
    def make_operation(self, operation: t.Any) -> AsyncOperation:
        return OnceAsyncOperation.from_operation(
            operation, pythonic_params=self.pythonic_params, jsonifier=self.jsonifier
        )


class OnceAsyncASGIApp(AsyncASGIApp):
    api_cls = OnceAsyncApi


class OnceAsyncApp(AsyncApp):
    """`AsyncApp` with `OnceAsyncASGIApp` inside (AsyncApp.__init__ does only this and the
    AbstractApp call, for its own AsyncASGIApp)."""

    def __init__(self, import_name: str, **kwargs: t.Any) -> None:
        self._middleware_app = OnceAsyncASGIApp()
        AbstractApp.__init__(self, import_name, **kwargs)


# -- request validation, once per operation ------------------------------------------------------
class OnceRequestValidationOperation(RequestValidationOperation):
    def __init__(self, next_app: t.Any, *, operation: t.Any, **kwargs: t.Any) -> None:
        super().__init__(next_app, operation=operation, **kwargs)
        parser = operation._uri_parser_class(operation.parameters, operation.body_definition())
        self._parameter_validator = self._validator_map["parameter"](
            operation.parameters,
            uri_parser=parser,
            strict_validation=self.strict_validation,
            security_query_params=self.security_query_params,
        )
        consumes = operation.consumes
        self._consumes = MediaTypeDict([(c.lower(), None) for c in consumes]) if consumes else None
        self._body_validators: dict[tuple[str, str], t.Any] = {}

    def validate_mime_type(self, mime_type: str) -> None:
        if self._consumes is not None and mime_type.lower() not in self._consumes:
            raise UnsupportedMediaTypeProblem(
                detail=f"Invalid Content-type ({mime_type}), expected {self._operation.consumes}"
            )

    def _body_validator(self, mime_type: str, encoding: str) -> t.Any:
        key = (mime_type, encoding)
        found = self._body_validators.get(key, NO_VALUE)
        if found is not NO_VALUE:
            return found
        operation = self._operation
        validator = None
        schema = operation.body_schema(mime_type)
        if schema:
            try:
                validator_cls = self._validator_map["body"][mime_type]
            except KeyError:
                log.info("Skipping validation. No validator registered for content type: %s.", mime_type)
            else:
                validator = validator_cls(
                    schema=schema,
                    required=operation.request_body.get("required", False),
                    nullable=is_nullable(operation.body_definition(mime_type)),
                    encoding=encoding,
                    strict_validation=self.strict_validation,
                    uri_parser=operation.uri_parser_class(operation.parameters, operation.body_definition()),
                )
        if len(self._body_validators) < BODY_VALIDATORS_PER_OPERATION:
            self._body_validators[key] = validator
        return validator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._parameter_validator.validate(scope)
        mime_type, encoding = self.extract_content_type(scope["headers"])
        self.validate_mime_type(mime_type)
        validator = self._body_validator(mime_type, encoding)
        if validator is not None:
            receive, scope = await validator.wrap_receive(receive, scope=scope)
        await self.next_app(scope, receive, send)


class OnceRequestValidationAPI(RequestValidationAPI):
    def make_operation(self, operation: t.Any) -> RequestValidationOperation:
        return OnceRequestValidationOperation(
            self.next_app,
            operation=operation,
            strict_validation=self.strict_validation,
            validator_map=self.validator_map,
        )


class OnceRequestValidationMiddleware(RequestValidationMiddleware):
    api_cls = OnceRequestValidationAPI


class CompiledParameterValidator(ParameterValidator):
    """`ParameterValidator` with each parameter's schema compiled when the operation is built.

    Stock Connexion deep-copies the parameter and compiles a `Draft4Validator` for every
    parameter of every request; the validator and the error text are the same either way.
    """

    def __init__(self, parameters: t.Any, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(parameters, *args, **kwargs)
        self._compiled: dict[int, tuple[dict, Draft4Validator]] = {}
        for param in parameters:
            schema = param.get("schema", param)
            self._compiled[id(param)] = (param, Draft4Validator(schema, format_checker=draft4_format_checker))

    def validate_parameter(self, parameter_type: str, value: t.Any, param: dict, param_name: t.Any = None) -> t.Any:
        # The stock staticmethod's three branches; only the middle one differs (no copy, no
        # compilation).
        if is_nullable(param) and is_null(value):
            return None
        if value is not None:
            found = self._compiled.get(id(param))
            if found is None or found[0] is not param:
                return ParameterValidator.validate_parameter(parameter_type, value, param, param_name)
            try:
                found[1].validate(value)
            except ValidationError as exception:
                return str(exception)
            return None
        return ParameterValidator.validate_parameter(parameter_type, value, param, param_name)


def validator_map(base: dict[str, t.Any]) -> dict[str, t.Any]:
    """`base` with the compiled parameter validator, when Connexion's stock one is in it."""
    if not enabled() or base.get("parameter") is not ParameterValidator:
        return base
    return {**base, "parameter": CompiledParameterValidator}


# -- security functions inspected once -----------------------------------------------------------
class _OnceChecked(AbstractSecurityHandler):
    def _generic_check(self, func: t.Callable, exception_msg: str) -> t.Callable:
        pass_scopes = self._accepts_kwarg(func, self.required_scopes_kw)
        pass_request = self._accepts_kwarg(func, self.request_kw)

        async def wrapper(request: t.Any, *args: t.Any, required_scopes: t.Any = None) -> t.Any:
            kwargs = {}
            if pass_scopes:
                kwargs[self.required_scopes_kw] = required_scopes
            if pass_request:
                kwargs[self.request_kw] = request
            token_info = func(*args, **kwargs)
            while asyncio.iscoroutine(token_info):
                token_info = await token_info
            if token_info is NO_VALUE:
                return NO_VALUE
            if token_info is None:
                raise OAuthResponseProblem(detail=exception_msg)
            return token_info

        return wrapper


class OnceBasic(_OnceChecked, BasicSecurityHandler):
    pass


class OnceBearer(_OnceChecked, BearerSecurityHandler):
    pass


class OnceApiKey(_OnceChecked, ApiKeySecurityHandler):
    pass


class OnceOAuth(_OnceChecked, OAuthSecurityHandler):
    pass


def security_map() -> dict[str, type] | None:
    if not enabled():
        return None
    return {"basic": OnceBasic, "bearer": OnceBearer, "apiKey": OnceApiKey, "oauth2": OnceOAuth}


def app_class() -> type[AsyncApp]:
    return OnceAsyncApp if enabled() else AsyncApp


def request_validation_middleware() -> type:
    return OnceRequestValidationMiddleware if enabled() else RequestValidationMiddleware


if __name__ == "__main__":
    for name, digest in fingerprints().items():
        print(f'    "{name}": "{digest}",')
