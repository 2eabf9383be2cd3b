"""`make soak` (benchmarks/soak.py) for a few seconds: it serves, saturates, samples and
reports. The memory slope of so short a run is the warm-up's, so it is not judged here
(--max-slope is lifted); every other reason to fail still applies."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_soak_reports(tmp_path):
    out = tmp_path / "soak.json"
    run = subprocess.run([sys.executable, "-m", "benchmarks.soak", "--seconds", "6", "--sample", "1.5",
                          "--queries", "2000", "--max-slope", "1e9", "--json", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "soak report:" in run.stdout and "minute 1:" in run.stdout and run.stdout.rstrip().endswith("ok")
    report = json.loads(out.read_text())
    assert len(report["samples"]) == 4 and all(s["rss_mb"] > 50 for s in report["samples"])
    assert report["slope_mb_per_minute"] is not None and report["problems"] == []
    statuses = report["statuses"]
    assert statuses.get("200") and statuses.get("503") and statuses.get("429"), statuses  # saturated, rate-limited
    assert not any(int(k) >= 500 and k != "503" or k == "0" for k in statuses), statuses
    assert report["ledger_rows"] >= report["answers"] > 0
    assert report["per_minute"][0]["p99_ms"] >= report["per_minute"][0]["p50_ms"] > 0
