"""Numbers: strings "1", "2", … per company, never reused or skipped, also under concurrency."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from .conftest import PREFIX, Company, invoice_body


def test_numbers_follow_the_fixtures(company: Company) -> None:
    existing = company.get("/invoices").json()
    first = company.create()["number"]
    second = company.create()["number"]
    assert (first, second) == (str(len(existing) + 1), str(len(existing) + 2))


def test_rejected_invoice_does_not_use_a_number(company: Company) -> None:
    first = int(company.create()["number"])
    bad = invoice_body(customer={"name": "X", "idType": "NIT", "idNumber": "900373115-4"})
    assert company.post("/invoices", bad).status_code == 400
    assert int(company.create()["number"]) == first + 1


def test_concurrent_creations_get_distinct_consecutive_numbers(app: Any, company: Company) -> None:
    before = len(company.get("/invoices").json())
    n = 60

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await asyncio.gather(
                *(
                    client.post(f"{company.base}/invoices", json=invoice_body(), headers=company.headers)
                    for _ in range(n)
                )
            )

    responses = asyncio.run(run())
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses if r.status_code != 201][:1]
    numbers = sorted(int(r.json()["number"]) for r in responses)
    assert numbers == list(range(before + 1, before + n + 1))
    listed = [i["number"] for i in company.get("/invoices").json()]
    assert listed == [str(k) for k in range(1, before + n + 1)]
    assert PREFIX in responses[0].json()["invoicePDFUrl"]


def test_each_company_has_its_own_sequence(company: Company, other: Company) -> None:
    a = int(company.create()["number"])
    b = int(other.create()["number"])
    assert a == b  # both follow the same fixtures, independently
    assert int(company.create()["number"]) == a + 1
    assert int(other.create()["number"]) == b + 1
