"""The pytest plugin and the context managers an integrator uses in their own tests."""

from __future__ import annotations

import httpx
import pytest

from facturas_sandbox.testing import running_sandbox, sandbox_tenant

pytest_plugins = ["pytester"]

EXAMPLE = """
import httpx


def test_a_draft_invoice_is_issued_with_the_next_number(sandbox_tenant):
    api = sandbox_tenant.api("facturovia")
    auth = sandbox_tenant.auth("facturovia")
    client_id = httpx.get(f"{api}/clients", headers=auth).json()["data"][0]["id"]
    draft = httpx.post(f"{api}/invoices", headers=auth, json={
        "client_id": client_id,
        "items": [{"description": "Revisión", "quantity": 1, "unit_price": 60, "vat_rate": 21}],
    }).json()
    assert draft["status"] == "draft" and draft["total"] == 72.6
    issued = httpx.post(f"{api}/invoices/{draft['id']}/issue", headers=auth).json()
    assert issued["number"].endswith("-0007")


def test_each_test_gets_its_own_tenant(sandbox_tenant, facturas_sandbox):
    assert sandbox_tenant.base_url == facturas_sandbox.base_url
    api = sandbox_tenant.api("facturovia")
    invoices = httpx.get(f"{api}/invoices", headers=sandbox_tenant.auth("facturovia")).json()["data"]
    assert len([i for i in invoices if i["status"] == "issued" and not i["is_corrective"]]) == 6
"""


@pytest.mark.slow
def test_the_plugin_serves_a_private_sandbox_and_a_tenant_per_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_integration=EXAMPLE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=2)


@pytest.mark.slow
def test_the_context_managers_clean_up_after_themselves() -> None:
    with running_sandbox() as sandbox:
        with sandbox_tenant(sandbox, name="ctx") as tenant:
            url = tenant.api("facturovia") + "/invoices"
            assert httpx.get(url, headers=tenant.auth("facturovia")).status_code == 200
        assert httpx.get(url, headers=tenant.auth("facturovia")).status_code == 401  # tenant deleted
    with pytest.raises(httpx.ConnectError):
        httpx.get(sandbox.base_url + "/_sandbox/health", timeout=2)
