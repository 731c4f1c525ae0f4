"""The one campaign-id rule (docs/architecture.md §5 "Campaign identity")."""

from __future__ import annotations

from zns.spec import CampaignSpec, slugify

DRY_RUN_SUFFIX = "-dry-run"


def base_campaign_id(spec: CampaignSpec, run_id: str | None = None) -> str:
    """The SPEC's own id; else stable per flow run (a retry of the run is the same campaign, a
    new scheduled run is not); outside a flow run, the SPEC's fingerprint (the same SPEC file
    run again is the same campaign)."""
    if spec.campaign_id:
        return spec.campaign_id
    suffix = run_id.replace("-", "")[:12] if run_id else spec.fingerprint()
    return f"{slugify(spec.campaign_name, 40)}-{suffix}"


def campaign_id_for(spec: CampaignSpec, run_id: str | None = None) -> str:
    """A dry run gets its own id, so checking a SPEC never mixes with the campaign it checks."""
    base = base_campaign_id(spec, run_id)
    return f"{base[:56]}{DRY_RUN_SUFFIX}" if spec.dry_run else base
