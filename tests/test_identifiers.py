"""Extracting identifier links from records."""

from __future__ import annotations

from conftest import SAMPLE_DATA

from graphaudit import identifiers
from graphaudit.identifiers import extract_identifiers
from graphaudit.records import RejectsWriter, read_records


def test_prepare_rewrites_and_parallel_normalizing_change_no_key(monkeypatch):
    """The shortcuts (pre-cleaning, forked workers) give exactly the plain keys."""
    records = read_records(SAMPLE_DATA, RejectsWriter(None))
    fast = extract_identifiers(records, RejectsWriter(None)).links
    monkeypatch.setattr(identifiers, "PREPARE", {})
    monkeypatch.setattr(identifiers, "PARALLEL_THRESHOLD", 10)
    plain = extract_identifiers(records, RejectsWriter(None)).links
    columns = ["store_id", "kind", "key", "raw"]
    assert fast[columns].equals(plain[columns])
    assert len(fast) > 5000


def test_unnormalizable_values_are_dropped_with_a_reject(tmp_path):
    data = tmp_path / "d"
    data.mkdir()
    (data / "stores.csv").write_text("store_id\nS1\n", encoding="utf-8")
    (data / "identities.csv").write_text(
        "store_id,id_number,email\nS1,11010519491231002X,not-an-email\n", encoding="utf-8")
    rejects_path = tmp_path / "rejects.csv"
    with RejectsWriter(rejects_path) as rejects:
        records = read_records(data, rejects)
        links = extract_identifiers(records, rejects).links
    assert list(links["kind"]) == ["id_document"]
    text = rejects_path.read_text(encoding="utf-8")
    assert "identities.csv,2,email" in text and "rest of row kept" in text
