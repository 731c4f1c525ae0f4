"""The `zns-refresh-form` flow: keeps the campaign run form's dropdowns in step with the account.

`zns deploy` runs it once after deploying (a deploy resets the form to the flow's own schema);
its deployment runs it hourly, so an OA or template approved since shows up in the form.
"""

from __future__ import annotations

from prefect import flow, get_run_logger

from zns.orchestration.run_form import refresh_run_form


@flow(
    name="zns-refresh-form",
    description="Cập nhật danh sách OA, template, brandname trong form chạy chiến dịch (refresh run form choices)",
    validate_parameters=True,
)
def zns_refresh_form(account: str | None = None) -> list[str]:
    logger = get_run_logger()
    lines = refresh_run_form(account)
    for line in lines:
        logger.info("%s", line)
    return lines
