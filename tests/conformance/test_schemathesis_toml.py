"""The repository's schemathesis.toml is what the generator writes from conform's own sources."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from facturas_sandbox.conformance import schemathesis_toml
from facturas_sandbox.conformance.profiles import operation_overrides
from facturas_sandbox.contracts import load_contract

ROOT = Path(__file__).resolve().parents[2]
ENVIRONMENT = {
    "FACTUROVIA_TOKEN",
    "FACTURASCRIPTS_TOKEN",
    "FACTURALA_TOKEN",
    "FACTURALA_COMPANY_ID",
    "FACTURAGEM_API_KEY",
    "SANDBOX_ADMIN_TOKEN",
}


def test_the_committed_file_is_not_stale() -> None:
    committed = (ROOT / schemathesis_toml.FILE_NAME).read_text(encoding="utf-8")
    assert committed == schemathesis_toml.render(), (
        "schemathesis.toml is stale: run python -m facturas_sandbox.conformance.schemathesis_toml"
    )


def test_one_project_per_contract_matched_by_title_with_conform_s_adaptations() -> None:
    data = tomllib.loads(schemathesis_toml.render())
    projects = {p["title"]: p for p in data["project"]}
    for api in ("facturovia", "facturascripts", "facturala", "facturagem", "sandbox"):
        contract = load_contract(api)
        project = projects[contract["info"]["title"]]
        assert set(project["auth"]["openapi"]) <= set(contract["components"]["securitySchemes"])
        assert project.get("operations", []) == operation_overrides(api)
    text = schemathesis_toml.render()
    named = {name for name in ENVIRONMENT if "${" + name + "}" in text}
    assert named == ENVIRONMENT


def test_schemathesis_reads_it_and_resolves_the_credentials(monkeypatch: Any) -> None:
    import schemathesis

    for name in ENVIRONMENT:
        monkeypatch.setenv(name, f"value-of-{name}")
    config = schemathesis.Config.from_str(schemathesis_toml.render())
    project = config.projects.get(load_contract("facturala"))
    assert project.parameters["companyId"] == "value-of-FACTURALA_COMPANY_ID"
    assert "value-of-FACTURALA_TOKEN" in str(project.auth.openapi)


def test_check_mode_fails_on_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "schemathesis.toml"
    stale.write_text("# old\n")
    assert schemathesis_toml.main(["--output", str(stale), "--check"]) == 1
    assert schemathesis_toml.main(["--output", str(stale)]) == 0
    assert schemathesis_toml.main(["--output", str(stale), "--check"]) == 0
