"""bench/quality.py's timing of graphaudit beside Splink: the two run alternately on the same
records, and the CPU seconds of each are printed side by side with their ratio (the issue's
target compares them; on a shared machine wall seconds follow the load). Splink itself is
replaced here: only the bench's bookkeeping is tested."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import quality  # noqa: E402


def _records(folder: Path) -> Path:
    folder.mkdir()
    stores = [f"S{i}" for i in range(6)]
    pd.DataFrame({"store_id": stores, "name": "", "status": "active"}).to_csv(
        folder / "stores.csv", index=False)
    pd.DataFrame({"store_id": stores, "account_number": ["6222001", "6222001", "6222002",
                                                         "6222002", "6222003", "6222004"],
                  "account_type": "bank"}).to_csv(folder / "payments.csv", index=False)
    pd.DataFrame({"store_id": stores, "operator_id": ["A", "A", "B", "B", "C", "D"],
                  "is_suspended": "false", "is_evader": "false", "evades_operator_id": ""}
                 ).to_csv(folder / "truth.csv", index=False)
    return folder


def test_graphaudit_and_splink_alternate_and_their_cpu_seconds_stand_side_by_side(
        tmp_path, monkeypatch):
    calls: list[str] = []
    real_analyze = quality.analyze

    def analyze(*args, **kwargs):
        calls.append("graphaudit")
        return real_analyze(*args, **kwargs)

    def splink_clusters(store_ids, links, *args, **kwargs):
        calls.append("splink")
        labels = np.arange(len(store_ids))
        return {t: labels for t in quality.peers.THRESHOLDS}, {}

    monkeypatch.setattr(quality, "analyze", analyze)
    monkeypatch.setattr(quality.peers, "splink_clusters", splink_clusters)
    rows = quality.measure(_records(tmp_path / "set"), "tiny", [5], splink=True, repeat=3)
    assert calls == ["graphaudit", "splink"] * 3
    frame = pd.DataFrame(rows)
    timed = frame[frame["method"].isin(["graphaudit", "splink p>=0.5"])]
    assert (timed["cpu_seconds"] >= 0).all() and len(timed) == 2
    table = quality.beside_splink(frame)
    line = next(row for row in table.splitlines() if row.startswith("| tiny "))
    ours, peer = (frame.loc[frame["method"] == m, "cpu_seconds"].item()
                  for m in ("graphaudit", "splink p>=0.5"))
    assert f"{ours:.2f} / {peer:.2f}" in line


def test_without_splink_there_is_no_side_by_side_table(tmp_path):
    rows = quality.measure(_records(tmp_path / "set"), "tiny", [5], splink=False)
    assert quality.beside_splink(pd.DataFrame(rows)) == ""
