"""The local stack's ports, defined once: the home's Prefect server, the web server, the demo's
simulator. Read from ZNS_PREFECT_PORT, ZNS_WEB_PORT and ZNS_SIMULATOR_PORT at each call (tests and
`zns up` in another home set them per process)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

PREFECT_PORT = 4200
WEB_PORT = 8700
SIMULATOR_PORT = 8765


class LocalPorts(BaseSettings):
    """`ZNS_<NAME>_PORT`; a value that is not a port is refused with the variable's name."""

    model_config = SettingsConfigDict(env_prefix="ZNS_", extra="ignore")

    prefect_port: int = PREFECT_PORT
    web_port: int = WEB_PORT
    simulator_port: int = SIMULATOR_PORT


def ports() -> LocalPorts:
    return LocalPorts()
