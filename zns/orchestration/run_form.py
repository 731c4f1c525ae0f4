"""The run form's writer: the account's OAs, templates and brandnames as the dropdowns of the
campaign deployments' forms (`zns deploy` once, the `zns-refresh-form` flow hourly)."""

from __future__ import annotations

from collections.abc import Mapping

from zns.blocking import with_client
from zns.catalog import Catalog, read_catalog
from zns.form_schema import form_parameters, form_schema
from zns.orchestration.accounts import resolve_account

FORM_DEPLOYMENTS = ("zns-campaign/zns-campaign", "zns-campaign/birthday-greetings")


def apply_catalog(catalog: Catalog, names: tuple[str, ...] = FORM_DEPLOYMENTS) -> list[str]:
    """Write the choices into each deployment's form; one line per deployment, said or refused."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import DeploymentUpdate
    from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError

    lines = []
    with get_client(sync_client=True) as client:
        for name in names:
            try:
                deployment = client.read_deployment_by_name(name)
            except ObjectNotFound:
                continue
            schema = form_schema(deployment.parameter_openapi_schema or {}, catalog)
            params = dict(deployment.parameters or {})
            if isinstance(params.get("spec"), dict):
                params["spec"] = form_parameters(params["spec"], schema)
            try:
                client.update_deployment(
                    deployment.id, DeploymentUpdate(parameter_openapi_schema=schema, parameters=params)
                )
            except PrefectHTTPStatusError as exc:
                detail = exc.response.json().get("detail", "") if exc.response.content else ""
                lines.append(f"{name}: form left as it was: {str(detail)[:200]}")
                continue
            lines.append(
                f"{name}: form lists {len(catalog.oas)} OA, {len(catalog.templates)} ZNS templates, "
                f"{len(catalog.brandnames)} brandnames"
            )
    return lines


def refresh_run_form(account: str | None = None, environ: Mapping[str, str] | None = None) -> list[str]:
    """Read the account's catalog and write it into the forms (what `zns deploy` calls); the
    credentials are the block's, else ESMS_* of `environ` (the worker's, for `zns up`)."""
    catalog = with_client(resolve_account(account, environ), read_catalog)
    return [*apply_catalog(catalog), *(f"not listed: {p}" for p in catalog.problems)]
