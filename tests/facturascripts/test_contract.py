import json
from pathlib import Path

import yaml

from facturas_sandbox.contracts import load_contract, openapi_dir
from facturas_sandbox.vendors.facturascripts import contract
from facturas_sandbox.vendors.facturascripts.models import models_from_contract

REFERENCE = Path(__file__).resolve().parents[2] / "openapi" / "facturascripts" / "models.yaml"


def test_committed_contract_is_the_build_output():
    committed = (openapi_dir() / "facturascripts.yaml").read_text(encoding="utf-8")
    assert committed == contract.render(), "run python -m facturas_sandbox.vendors.facturascripts.contract"


def test_engine_models_agree_with_the_model_data_field_by_field():
    data = yaml.safe_load(REFERENCE.read_text(encoding="utf-8"))["models"]
    models = models_from_contract(load_contract("facturascripts"))
    assert set(models) == {m["resource"] for m in data}
    for raw in data:
        m = models[raw["resource"]]
        assert m.primary_key == raw["primary_key"]
        assert m.table == raw["table"]
        assert [(c.name, c.db_type, c.nullable, c.default) for c in m.columns.values()] == [
            (c["name"], c["type"], c.get("nullable", True), c.get("default")) for c in raw["columns"]
        ]
        assert m.hidden == frozenset(raw.get("hidden", []))


def test_every_core_model_resource_of_the_real_server_is_described():
    listed = json.loads(
        (Path(__file__).resolve().parents[2] / "tests" / "facturascripts" / "resources.json").read_text()
    )["resources"]
    models = models_from_contract(load_contract("facturascripts"))
    custom = {r for r in listed if r != r.lower()}  # crearFacturaCliente, uploadFiles, ...
    missing = set(listed) - set(models) - custom - {"plugins"}
    assert missing == set()


def test_hidden_fields_are_write_only_and_apikey_is_hidden():
    spec = load_contract("facturascripts")
    assert spec["components"]["schemas"]["ApiKey"]["properties"]["apikey"]["writeOnly"] is True
    assert "password" in spec["components"]["schemas"]["User"]["x-hidden"]
