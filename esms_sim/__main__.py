"""`python -m esms_sim --port N [--seed S]`: a standalone simulator (used by the benchmark)."""

from __future__ import annotations

import argparse

from esms_sim.server import serve


def main() -> None:
    parser = argparse.ArgumentParser(description="eSMS.vn / Zalo ZNS simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8800)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args()
    serve(args.host, args.port, seed=args.seed, log_level=args.log_level)


if __name__ == "__main__":
    main()
