"""The `zns-campaign` run form with choices: the account's OAs, templates, brandnames and CSKH
templates written into the deployment's parameter schema as dropdowns (Prefect renders an enum
as a searchable select). Plain dict transforms; flows/refresh_form.py applies them on the server."""

from __future__ import annotations

import copy
from typing import Any

from zns.catalog import Catalog
from zns.choices import choice_ids, choice_label

Schema = dict[str, Any]


def _defs(schema: Schema) -> dict[str, Schema]:
    return schema.get("definitions") or schema.get("$defs") or {}


def _string_or_enum(prop: Schema, choices: list[str]) -> None:
    """Turn a string property (or the string half of `str | None`) into a select of `choices`."""
    target = next((o for o in prop.get("anyOf", []) if o.get("type") == "string"), prop)
    target.pop("enum", None)
    if choices:
        target["enum"] = choices
        if target is not prop and "title" in prop:  # the select's label, read by screen readers too
            target["title"] = prop["title"]


def oa_choices(catalog: Catalog) -> list[str]:
    return [choice_label(name, oa_id) for oa_id, name in catalog.oas.items()]


def template_choices(catalog: Catalog) -> list[str]:
    several = len(catalog.oas) > 1
    labels = []
    for t in catalog.templates:
        name = t.name or t.template_id
        if several:
            name = f"{name} · {catalog.oas.get(t.oa_id) or t.oa_id}"
        labels.append(choice_label(name, t.template_id))
    return list(dict.fromkeys(labels))


def sms_template_choices(catalog: Catalog) -> list[str]:
    labels = []
    for brandname, templates in catalog.sms_templates.items():
        for t in templates:
            content = " ".join(t.content.split())
            content = content if len(content) <= 70 else content[:69] + "…"
            labels.append(choice_label(f"{brandname}: {content}", *(t.ids or (t.template_id,))))
    return labels


def sms_variables(catalog: Catalog) -> list[str]:
    names = (v.name for ts in catalog.sms_templates.values() for t in ts for v in t.variables)
    return sorted(set(names), key=lambda n: (len(n), n))


def _row_key_enum(prop: Schema, choices: list[str]) -> None:
    """The `variable` field of a mapping's rows becomes a select of the known variable names."""
    items = prop.get("items") or {}
    key = (items.get("properties") or {}).get("variable")
    if key is not None:
        _string_or_enum(key, choices)


def _recipient_values(prop: Schema, variables: list[str]) -> Schema:
    """Manual recipients: one text field per template variable (the form shows an object's fields)."""
    if not variables:
        return prop
    fields = {name: {"type": "string", "title": name} for name in variables}
    keep = {k: prop[k] for k in ("title", "description") if k in prop}
    return {**keep, "type": "object", "properties": fields, "additionalProperties": False}


def form_schema(schema: Schema, catalog: Catalog) -> Schema:
    """A copy of the flow's parameter schema with the catalog's choices; idempotent."""
    out = copy.deepcopy(schema)
    defs = _defs(out)
    spec = defs.get("CampaignSpec", {}).get("properties", {})
    if "oa_id" in spec:
        _string_or_enum(spec["oa_id"], oa_choices(catalog))
    if "template_id" in spec:
        _string_or_enum(spec["template_id"], template_choices(catalog))
    if "columns" in spec:
        _row_key_enum(spec["columns"], catalog.variables())
    fallback = defs.get("FallbackSpec", {}).get("properties", {})
    if "brandname" in fallback:
        _string_or_enum(fallback["brandname"], list(catalog.brandnames))
    if "sms_template_id" in fallback:
        _string_or_enum(fallback["sms_template_id"], sms_template_choices(catalog))
    if "columns" in fallback:
        _row_key_enum(fallback["columns"], sms_variables(catalog))
    manual = defs.get("ManualRecipient", {}).get("properties", {})
    if "values" in manual:
        manual["values"] = _recipient_values(manual["values"], catalog.variables())
    return out


def _enum_of(prop: Schema | None) -> list[Any]:
    if not prop:
        return []
    target = next((o for o in prop.get("anyOf", []) if "enum" in o), prop)
    return list(target.get("enum") or [])


def _as_choice(value: Any, prop: Schema | None) -> Any:
    """An id as the form's choice that carries it, when the form offers one."""
    for choice in _enum_of(prop):
        if isinstance(choice, str) and value is not None and str(value) in choice_ids(choice):
            return choice
    return value


def _as_rows(mapping: Any, key: str, value: str) -> Any:
    if isinstance(mapping, dict):
        return [{key: k, value: v} for k, v in mapping.items()]
    return mapping


def _values_shape(values: Any, prop: Schema | None) -> Any:
    if (prop or {}).get("type") == "object":
        return dict(values) if isinstance(values, dict) else values
    return _as_rows(values, "variable", "value")


def form_parameters(spec: dict[str, Any], schema: Schema) -> dict[str, Any]:
    """A SPEC (as JSON) in the shape the deployment's form takes, so Prefect's own parameter check
    accepts a run started from the CLI, the campaign page or a deployment default."""
    defs = _defs(schema)
    props = defs.get("CampaignSpec", {}).get("properties", {})
    out = dict(spec)
    for name in ("oa_id", "template_id"):
        if name in out:
            out[name] = _as_choice(out[name], props.get(name))
    if "columns" in out:
        out["columns"] = _as_rows(out["columns"], "variable", "column")
    if isinstance(out.get("recipients"), list):
        values_prop = defs.get("ManualRecipient", {}).get("properties", {}).get("values")
        out["recipients"] = [
            {**r, "values": _values_shape(r.get("values", {}), values_prop)} if isinstance(r, dict) else r
            for r in out["recipients"]
        ]
    if isinstance(out.get("fallback"), dict):
        fb_props = defs.get("FallbackSpec", {}).get("properties", {})
        fallback = dict(out["fallback"])
        if "sms_template_id" in fallback:
            fallback["sms_template_id"] = _as_choice(fallback["sms_template_id"], fb_props.get("sms_template_id"))
        if "columns" in fallback:
            fallback["columns"] = _as_rows(fallback["columns"], "variable", "column")
        out["fallback"] = fallback
    return out
