"""Local simulator of the eSMS.vn gateway (ZNS, SMS CSKH, lookups, callbacks) for tests and demos.

Python API: `SimulatorServer(state=None, host, port=0)` (context manager; `.base_url`,
`.root_url`, `.state`; outages with `go_down()`, `come_up()`, `restart(down_seconds)`),
`serve(host, port, seed)` (blocking), `create_app(state)` (ASGI),
`SimState(seed, **config)` with `configure()`, `reset()`, `advance(seconds)`, `counts()`.
HTTP control (same keys): POST /_sim/config, POST /_sim/reset, POST /_sim/advance
{"seconds": N}, GET /_sim/counts, GET /_sim/callbacks. Config keys are in
`esms_sim.outcomes.SimConfig` plus `quota` and `balance`; seed ids are in `esms_sim.seed`.
The gateway's rules live in this package only (never imported from `esms` or `zns`), so tests
check the product against an independent model; see docs/simulator.md.
"""

from esms_sim.app import create_app
from esms_sim.server import SimulatorServer, serve
from esms_sim.state import SimState

__all__ = ["SimState", "SimulatorServer", "create_app", "serve"]
