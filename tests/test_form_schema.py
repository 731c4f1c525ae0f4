"""The run form's choices (zns/form_schema.py) against the flow's real parameter schema and
Prefect's own parameter check: what the form offers, the CLI's SPECs still pass, ids round-trip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from prefect.utilities.callables import parameter_schema
from prefect.utilities.schema_tools import ValidationError, validate

from esms.models import ParamType, ZnsParam, ZnsTemplate
from esms.sms_templates import SmsTemplate
from flows.campaign import zns_campaign
from zns.catalog import Catalog
from zns.form_schema import form_parameters, form_schema
from zns.spec import CampaignSpec

OA = "4097311281936189049"
CATALOG = Catalog(
    oas={OA: "ZNS Demo Shop"},
    templates=[
        ZnsTemplate(template_id="210002", oa_id=OA, name="Chúc mừng sinh nhật", params=(
            ZnsParam(name="customer_name", order=1), ZnsParam(name="voucher_code", order=2),
            ZnsParam(name="expiry_date", order=3, type=ParamType.DATE))),
        ZnsTemplate(template_id="205644", oa_id=OA, name="OTP", params=(ZnsParam(name="otp", order=1),)),
    ],
    brandnames=["ZNSDEMO"],
    sms_templates={"ZNSDEMO": [SmsTemplate("91021", "ZNSDEMO", "Chuc mung sinh nhat {P1,30}! Ma {P2,20}.",
                                           ("91021", "91022"))]},
)
SPEC = {
    "campaign_name": "Sinh nhật", "oa_id": OA, "template_id": "210002", "source": "/data/khach.xlsx",
    "columns": {"customer_name": "Tên khách hàng", "voucher_code": "Mã quà tặng"},
    "fallback": {"brandname": "ZNSDEMO", "sms_template_id": "91022", "columns": {"P1": "customer_name"}},
}


@pytest.fixture(scope="module")
def base() -> dict[str, Any]:
    return parameter_schema(zns_campaign.fn).model_dump_for_openapi()


def _props(schema: dict[str, Any], model: str) -> dict[str, Any]:
    return schema["definitions"][model]["properties"]


def test_the_form_without_a_catalog_has_mapping_rows_and_no_second_send_at(base: dict[str, Any]) -> None:
    spec = _props(base, "CampaignSpec")
    assert "send_at" not in spec  # "Start: Later" is the form's one way to say it
    assert spec["columns"]["type"] == "array"
    assert set(spec["columns"]["items"]["properties"]) == {"variable", "column"}
    assert _props(base, "FallbackSpec")["columns"]["type"] == "array"


def test_the_form_offers_the_accounts_oas_templates_and_sms_templates_by_name(base: dict[str, Any]) -> None:
    schema = form_schema(base, CATALOG)
    spec, fallback = _props(schema, "CampaignSpec"), _props(schema, "FallbackSpec")
    assert spec["oa_id"]["enum"] == [f"ZNS Demo Shop ({OA})"]
    assert spec["template_id"]["enum"] == ["Chúc mừng sinh nhật (210002)", "OTP (205644)"]
    assert spec["columns"]["items"]["properties"]["variable"]["enum"] == [
        "customer_name", "voucher_code", "expiry_date", "otp"]
    assert fallback["brandname"]["enum"] == ["ZNSDEMO"]
    sms_choice = next(o for o in fallback["sms_template_id"]["anyOf"] if o.get("type") == "string")
    assert sms_choice["enum"] == ["ZNSDEMO: Chuc mung sinh nhat {P1,30}! Ma {P2,20}. (91021/91022)"]
    assert fallback["columns"]["items"]["properties"]["variable"]["enum"] == ["P1", "P2"]
    values = _props(schema, "ManualRecipient")["values"]
    assert values["type"] == "object" and list(values["properties"]) == [
        "customer_name", "voucher_code", "expiry_date", "otp"]
    assert form_schema(schema, CATALOG) == schema  # a refresh of a refreshed form changes nothing


def test_a_cli_spec_passes_prefects_check_of_the_form_and_comes_back_the_same(base: dict[str, Any]) -> None:
    schema = form_schema(base, CATALOG)
    spec = CampaignSpec.model_validate(SPEC)
    params = {"spec": form_parameters(spec.model_dump(mode="json", exclude={"send_at"}), schema)}
    validate(params, schema, raise_on_error=True)
    assert params["spec"]["oa_id"] == f"ZNS Demo Shop ({OA})"
    assert params["spec"]["columns"][0] == {"variable": "customer_name", "column": "Tên khách hàng"}
    assert params["spec"]["fallback"]["sms_template_id"].endswith("(91021/91022)")  # the content's choice
    back = CampaignSpec.model_validate(params["spec"])
    assert back.oa_id == OA and back.template_id == "210002" and back.columns == spec.columns
    assert back.fallback is not None and back.fallback.sms_template_id == "91021"
    assert back.fallback.columns == {"P1": "customer_name"}


def test_the_fingerprint_does_not_depend_on_how_the_mapping_was_written() -> None:
    as_rows = {**SPEC, "columns": [{"variable": k, "column": v} for k, v in SPEC["columns"].items()]}
    assert CampaignSpec.model_validate(as_rows).fingerprint() == CampaignSpec.model_validate(SPEC).fingerprint()


def test_manual_recipients_from_the_form_fields_become_the_same_values(base: dict[str, Any]) -> None:
    schema = form_schema(base, CATALOG)
    data = {**SPEC, "source": None,
            "recipients": [{"phone": "0912345678", "values": {"customer_name": "Lan", "voucher_code": "A1"}}]}
    params = {"spec": form_parameters(CampaignSpec.model_validate(data).model_dump(mode="json"), schema)}
    params["spec"].pop("send_at")
    validate(params, schema, raise_on_error=True)
    rows = {**SPEC, "source": None, "recipients": [
        {"phone": "0912345678", "values": [{"variable": "customer_name", "value": "Lan"},
                                           {"variable": "voucher_code", "value": "A1"}]}]}
    assert CampaignSpec.model_validate(rows).recipients[0].values == {"customer_name": "Lan", "voucher_code": "A1"}


def test_an_oa_the_account_does_not_have_is_refused_by_the_form_check(base: dict[str, Any]) -> None:
    schema = form_schema(base, CATALOG)
    params = {"spec": form_parameters({**SPEC, "oa_id": "1111"}, schema)}
    with pytest.raises(ValidationError):
        validate(params, schema, raise_on_error=True)


def test_a_mapping_row_twice_for_one_variable_is_refused_with_its_name() -> None:
    rows = [{"variable": "customer_name", "column": "A"}, {"variable": "customer_name", "column": "B"}]
    with pytest.raises(ValueError, match="customer_name"):
        CampaignSpec.model_validate({**SPEC, "columns": rows})


def test_a_spec_keeps_its_fingerprint_across_versions() -> None:
    """The fingerprint names a SPEC's campaign (its id, its RequestIds): new fields with their default
    must not change it, or the same SPEC run after an upgrade would send again under a new id."""
    import yaml

    data = yaml.safe_load((Path(__file__).parents[1] / "data" / "samples" / "campaign.yaml").read_text("utf-8"))
    data["source"] = "/x/customers.xlsx"
    assert CampaignSpec.model_validate(data).fingerprint() == "b5e084bb638f"  # as computed by 0.1.0
