"""The package layout holds: the import-linter layers contract passes and no import circle is
left anywhere in the product (issue 18 found flows.campaign <-> flows.shard and
zns.report.ratings <-> zns.report.volume)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]


def test_the_layers_contract_is_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-logo", "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "2 kept, 0 broken" in result.stdout


def test_no_import_circle() -> None:
    graph = grimp.build_graph("zns", "flows", "esms", "esms_sim")
    circles = []
    for module in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back:
                circles.append((module, *back))
    assert circles == []
