"""`facturas-sandbox conform` and `proxy` against a sandbox served over HTTP on free ports."""

from __future__ import annotations

import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sandbox_variants import VARIANTS, BrokenApp, credentials
from starlette.testclient import TestClient

from facturas_sandbox.app import create_app
from facturas_sandbox.cli import main
from facturas_sandbox.conformance.proxy import VIOLATIONS_HEADER, create_proxy
from facturas_sandbox.settings import Settings

FACTURALA = "/facturala/facturala/api"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Served:
    """An ASGI app served by uvicorn in a thread."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="error"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, str, Any]]:
    """(intact base URL, broken base URL, tenant): one app, two servers."""
    app = create_app(Settings(data_dir=None, validate_responses=True, operator_token="conform-tests-operator"))
    with TestClient(app):
        tenant, _ = app.sandbox.tenants.create(name="conform-cli")
        broken_variant = next(v for v in VARIANTS if v.name == "fl-total-off-by-a-cent")
        broken = BrokenApp(app, broken_variant, credentials(tenant, "facturala")[2])
        with Served(app) as intact_url, Served(broken) as broken_url:
            yield intact_url, broken_url, tenant


def _conform(base: str, tenant: Any, tmp_path: Path, *extra: str) -> int:
    creds = tenant.credentials["facturala"]
    return main(
        [
            "conform",
            "facturala",
            "--url",
            base + FACTURALA,
            "--token",
            creds["token"],
            "--company-id",
            creds["company_id"],
            "--max-examples",
            "3",
            "--seed",
            "7",
            "--no-stateful",
            "--quiet",
            "--junit",
            str(tmp_path / "report.xml"),
            "--html",
            str(tmp_path / "report.html"),
            *extra,
        ]
    )


def test_conform_passes_the_sandbox_and_writes_both_reports(served: Any, tmp_path: Path, capsys: Any) -> None:
    intact, _, tenant = served
    assert _conform(intact, tenant, tmp_path) == 0
    out = capsys.readouterr().out
    assert "facturala: CONFORMS" in out and "POST /companies/{companyId}/invoices" in out
    suite = ET.parse(tmp_path / "report.xml").getroot().find("testsuite")
    assert suite is not None and int(suite.get("tests")) > 20 and suite.get("failures") == "0"
    names = {case.get("name") for case in suite.iter("testcase")}
    assert {"totals_reconcile", "numbering_unique_correlative", "response_schema_conformance"} <= names
    html = (tmp_path / "report.html").read_text()
    assert "CONFORMS" in html and "Score 100.0 %" in html and "GET /companies/{companyId}/invoices" in html


def test_conform_opens_a_facturagem_session_itself(served: Any, tmp_path: Path, capsys: Any) -> None:
    intact, _, tenant = served
    creds = tenant.credentials["facturagem"]
    argv = [
        "conform",
        "facturagem",
        "--url",
        intact + "/facturagem/api/v1",
        "--login",
        creds["login"],
        f"--password={creds['password']}",
        "--max-examples",
        "3",
        "--seed",
        "7",
        "--quiet",
        "--junit",
        str(tmp_path / "facturagem.xml"),
    ]
    assert main(argv) == 0
    assert "facturagem: CONFORMS" in capsys.readouterr().out
    suite = ET.parse(tmp_path / "facturagem.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "0" and int(suite.get("tests")) > 20
    wrong = [*argv[:6], "--password=not-the-password", *argv[7:]]
    assert main(wrong) == 2  # the session cannot be opened: a usage error, said in one line


def test_conform_flags_a_broken_server_in_the_junit_report(served: Any, tmp_path: Path, capsys: Any) -> None:
    _, broken, tenant = served
    assert _conform(broken, tenant, tmp_path, "--operation-id", "listInvoices") == 1
    assert "DOES NOT CONFORM" in capsys.readouterr().out
    suite = ET.parse(tmp_path / "report.xml").getroot().find("testsuite")
    failures = [(case.get("classname"), case.get("name"), case.find("failure")) for case in suite.iter("testcase")]
    failed = [(cls, name, f) for cls, name, f in failures if f is not None]
    assert failed and all(cls == "facturala.GET /companies/{companyId}/invoices" for cls, _, _ in failed)
    rule = next(f for _, name, f in failed if name == "totals_reconcile")
    assert "Business rule `totals_reconcile` broken" in rule.text and "curl -X GET" in rule.text
    assert "Reproduce with" in (tmp_path / "report.html").read_text()


def test_conform_exits_2_with_one_line_when_the_url_does_not_answer(tmp_path: Path, capsys: Any) -> None:
    code = main(["conform", "facturovia", "--url", f"http://127.0.0.1:{free_port()}/api", "--token", "x"])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("facturas-sandbox conform: cannot reach")


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["conform", "nosuchapi", "--url", "http://127.0.0.1:1"], "unknown API"),
        (["conform", "facturala", "--url", "ftp://x"], "--url must be"),
    ],
)
def test_conform_usage_errors_exit_2(argv: list[str], reason: str, capsys: Any) -> None:
    assert main(argv) == 2
    assert reason in capsys.readouterr().err


def test_conform_needs_a_company_for_facturala(served: Any, capsys: Any) -> None:
    intact, _, _ = served
    assert main(["conform", "facturala", "--url", intact + FACTURALA, "--token", "t"]) == 2
    assert "--company-id" in capsys.readouterr().err


# -- proxy ------------------------------------------------------------------------------------
PROXIED = "/facturala/api"  # the proxy serves the contract's own base path


def _proxy_client(upstream: str, strict: bool = False) -> TestClient:
    return TestClient(create_proxy("facturala", upstream + FACTURALA, strict=strict))


def test_proxy_forwards_conforming_traffic_without_violations(served: Any) -> None:
    intact, _, tenant = served
    creds = tenant.credentials["facturala"]
    with _proxy_client(intact) as proxy:
        response = proxy.get(
            f"{PROXIED}/companies/{creds['company_id']}/invoices", headers={"Authorization": creds["token"]}
        )
    assert response.status_code == 200 and response.json()[0]["number"] == "1"
    assert VIOLATIONS_HEADER not in response.headers


def test_proxy_flags_a_request_without_credentials(served: Any) -> None:
    intact, _, tenant = served
    creds = tenant.credentials["facturala"]
    path = f"{PROXIED}/companies/{creds['company_id']}/settings"
    with _proxy_client(intact) as proxy:
        documented = proxy.get(path.replace("/settings", "/invoices/999999"), headers={"Authorization": creds["token"]})
        anonymous = proxy.get(path)
    assert documented.status_code == 404 and VIOLATIONS_HEADER not in documented.headers  # a documented 404
    assert anonymous.status_code == 401  # forwarded: the upstream refused it too
    assert anonymous.headers[VIOLATIONS_HEADER].startswith("request:")


def test_proxy_flags_a_bad_request_and_strict_refuses_it_in_the_vendor_shape(served: Any, caplog: Any) -> None:
    intact, _, tenant = served
    creds = tenant.credentials["facturala"]
    path = f"{PROXIED}/companies/{creds['company_id']}/invoices"
    bad = {"customer": {"name": "X"}, "items": "not a list"}
    with _proxy_client(intact) as proxy:
        forwarded = proxy.post(path, json=bad, headers={"Authorization": creds["token"]})
    assert forwarded.status_code == 400  # the upstream itself refused it
    assert "request:" in forwarded.headers[VIOLATIONS_HEADER] and "items" in forwarded.headers[VIOLATIONS_HEADER]
    assert any("items" in r.getMessage() for r in caplog.records if r.name == "facturas_sandbox.proxy")
    with _proxy_client(f"http://127.0.0.1:{free_port()}", strict=True) as strict:  # nothing listens there
        refused = strict.post(path, json=bad, headers={"Authorization": creds["token"]})
    assert refused.status_code == 400  # answered by the proxy: the upstream was never called
    body = refused.json()
    assert body["status"] == 400 and body["code"] == "invalid_request" and VIOLATIONS_HEADER in refused.headers


def test_proxy_flags_a_non_conforming_upstream_response(served: Any) -> None:
    _, _, tenant = served
    creds = tenant.credentials["facturala"]

    def wrong_type(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[{"number": 1}], headers={"content-type": "application/json"})

    app = create_proxy("facturala", "http://upstream.test" + FACTURALA, transport=httpx.MockTransport(wrong_type))
    with TestClient(app) as proxy:
        response = proxy.get(
            f"{PROXIED}/companies/{creds['company_id']}/invoices", headers={"Authorization": creds["token"]}
        )
        journal = proxy.get("/_proxy/journal", params={"conforms": "false"}).json()["data"]
    assert response.status_code == 200
    assert "response:" in response.headers[VIOLATIONS_HEADER]
    (entry,) = journal
    assert entry["conforms"] is False and entry["violations"][0].startswith("response:")
    assert entry["request"]["headers"]["authorization"] == "***"


def test_proxy_violations_are_plain_words_and_the_journal_names_the_operation(served: Any) -> None:
    intact, _, tenant = served
    creds = tenant.credentials["facturala"]
    path = f"{PROXIED}/companies/{creds['company_id']}/invoices"
    with _proxy_client(intact) as proxy:
        response = proxy.post(path, json={"items": [{"quantity": "two"}]}, headers={"Authorization": creds["token"]})
        anonymous = proxy.get(path)
        (refused, listed) = proxy.get("/_proxy/journal").json()["data"][:2][::-1]
    header = response.headers[VIOLATIONS_HEADER]
    assert header.startswith("request: request body: ") and "<" not in header and "ValidationError" not in header
    assert "'customer' is a required property" in header and " at items[0]" in header
    assert (
        anonymous.headers[VIOLATIONS_HEADER]
        == "request: credentials missing or not accepted (the contract accepts Token)"
    )
    assert refused["operation_id"] == "createInvoice" and listed["operation_id"] == "listInvoices"
    assert refused["violations"] == [header]
