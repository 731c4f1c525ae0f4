"""FastAPI app of the product's web server (`zns up` serves it on 127.0.0.1:8700 by default).

It serves each campaign's workbooks from the data home so the Prefect UI's report links are
plain HTTP downloads (a browser refuses `file://` links), plus a small Vietnamese index.
"""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, HTMLResponse

from zns.home import reports_root

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _report_file(campaign_id: str, name: str) -> Path:
    """A file of the campaign's report folder; anything outside it (../, links) is refused."""
    root = reports_root().resolve()
    path = (root / campaign_id / name).resolve()
    if path.parent.parent != root or not path.is_file() or path.suffix != ".xlsx":
        raise HTTPException(status_code=404, detail="Không tìm thấy file báo cáo (report file not found)")
    return path


def create_app() -> FastAPI:
    app = FastAPI(title="ZNS campaigns", docs_url=None, redoc_url=None)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/reports/{campaign_id}/{name}")
    def report(campaign_id: str, name: str) -> FileResponse:
        path = _report_file(campaign_id, name)
        return FileResponse(path, media_type=XLSX, filename=path.name)

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        root = reports_root()
        folders = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime,
                         reverse=True) if root.is_dir() else []
        rows = "".join(
            f"<li>{html.escape(d.name)}: "
            + ", ".join(f'<a href="/reports/{html.escape(d.name)}/{html.escape(f.name)}">{html.escape(f.name)}</a>'
                        for f in sorted(d.glob("*.xlsx")))
            + "</li>"
            for d in folders[:200]
        )
        return ("<!doctype html><html lang='vi'><meta charset='utf-8'><title>Báo cáo chiến dịch ZNS</title>"
                f"<h1>Báo cáo chiến dịch (campaign reports)</h1><ul>{rows or '<li>Chưa có báo cáo</li>'}</ul>")

    return app


app = create_app()
