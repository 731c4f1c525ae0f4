"""`python -m zns.web --port 8700`: what `zns up` runs as its web server process."""

from __future__ import annotations

import argparse

import uvicorn

from zns.ports import WEB_PORT


def main() -> None:
    parser = argparse.ArgumentParser(description="ZNS campaigns web server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=WEB_PORT)
    args = parser.parse_args()
    uvicorn.run("zns.web.app:app", host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
