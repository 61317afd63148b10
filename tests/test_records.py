"""Reading and validating record files: formats, encodings, and the bad-input corpus."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from click.testing import CliRunner

from graphaudit import records
from graphaudit.cli import main
from graphaudit.errors import DataError
from graphaudit.records import BLOCK_SIZE, RejectsWriter, find_files, read_records
from graphaudit.records.dates import all_iso_dates

STORES = ("store_id,name,brand,status,opened_on\n"
          "S1,Alpha,mpow,active,2021-03-04\nS2,Beta,,suspended,2020-01-01\n")


def write(folder: Path, name: str, text: str | bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def read_rejects(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def run_validate(data: Path, tmp_path: Path, *args: str):
    rejects = tmp_path / "rejects.csv"
    result = CliRunner().invoke(
        main, ["validate", str(data), "--rejects", str(rejects), "--format", "json", *args]
    )
    return result, read_rejects(rejects)


def summary(result) -> dict[str, dict]:
    """The files of validate's JSON: the table, or the stop's ``files`` after a stop."""
    document = json.loads(result.stdout)
    rows = document["files"] if isinstance(document, dict) else document
    return {row["file"]: row for row in rows}


def test_good_directory_reads_all_rows(tmp_path):
    data = tmp_path / "d"
    write(data, "stores.csv", STORES)
    write(data, "identities.csv", "store_id,id_number,holder_name\nS1,11010519491231002X,张三\n")
    result, rejects = run_validate(data, tmp_path)
    assert result.exit_code == 0, result.stderr
    rows = summary(result)
    assert rows["stores.csv"]["read"] == rows["stores.csv"]["accepted"] == 2
    assert rows["identities.csv"]["accepted"] == 1
    assert rejects == []


def test_missing_required_column_stops_with_file_name(tmp_path):
    data = tmp_path / "d"
    write(data, "stores.csv", STORES)
    write(data, "payments.csv", "store_id,institution\nS1,ICBC\n")
    result, _ = run_validate(data, tmp_path)
    assert result.exit_code == 1
    assert "payments.csv" in result.stderr and "account_number" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_undecodable_bytes_name_file_and_line(tmp_path):
    data = tmp_path / "d"
    write(data, "stores.csv", b"store_id,name\nS1,ok\nS2,\xff\xfe\xfa\xfb\n")
    result, _ = run_validate(data, tmp_path)
    assert result.exit_code == 1
    assert "stores.csv" in result.stderr and "line 3" in result.stderr
    assert "--encoding" in result.stderr


def test_duplicate_unknown_impossible_ragged_are_rejected(tmp_path):
    data = tmp_path / "d"
    write(data, "stores.csv", STORES + "S1,Again,,,\nS3,Bad date,,,2021-02-30\nS4,ragged\n")
    write(data, "addresses.csv", "store_id,address\nS1,Rm 1 Bldg 2\nS9,nowhere\n")
    result, rejects = run_validate(data, tmp_path)
    # two of five rows lost: past validate's 10% (docs/input.md), so it fails
    assert result.exit_code == 1
    rows = summary(result)
    stores = rows["stores.csv"]
    # the impossible date is dropped from its row, which is kept
    assert stores["read"] == 5 and stores["accepted"] == 3 and stores["rejected"] == 2
    assert stores["read"] == stores["accepted"] + stores["rejected"]
    by_line = {(r["file"], r["line"]): r for r in rejects}
    assert by_line[("stores.csv", "4")]["reason"] == (
        "duplicate store_id, differing from the first row in name, brand, opened_on (the first "
        "row is kept)")
    assert "first on line 2" in by_line[("stores.csv", "4")]["value"]
    assert by_line[("stores.csv", "5")]["field"] == "opened_on"
    assert by_line[("stores.csv", "5")]["reason"] == (
        "not a real calendar date; value dropped, rest of row kept")
    assert by_line[("stores.csv", "6")]["reason"] == "malformed row"
    assert by_line[("addresses.csv", "3")]["field"] == "store_id"
    assert rows["addresses.csv"]["rejected"] == 1


def test_strict_fails_on_any_reject(tmp_path):
    data = tmp_path / "d"
    write(data, "stores.csv", STORES + "S1,dup,,,\n")
    result, rejects = run_validate(data, tmp_path, "--strict")
    assert result.exit_code == 1
    assert len(rejects) == 1 and "--strict" in result.stderr


def test_header_only_and_empty_files(tmp_path):
    data = tmp_path / "d"
    write(data, "stores.csv", STORES)
    write(data, "payments.csv", "store_id,account_number\n")
    result, _ = run_validate(data, tmp_path)
    assert result.exit_code == 0
    assert summary(result)["payments.csv"]["read"] == 0
    # an optional file of no bytes is an empty kind, said (REPORT9 item 11); stores stop
    write(data, "payments.csv", "")
    result, _ = run_validate(data, tmp_path)
    assert result.exit_code == 0 and "payments.csv: an empty file" in result.stderr
    write(data, "stores.csv", "")
    result, _ = run_validate(data, tmp_path)
    assert result.exit_code == 1 and "stores.csv" in result.stderr and "empty" in result.stderr


def test_no_stores_file(tmp_path):
    data = tmp_path / "d"
    write(data, "identities.csv", "store_id,id_number\nS1,1\n")
    result, _ = run_validate(data, tmp_path)
    assert result.exit_code == 1 and "no stores file" in result.stderr


def test_no_stores_file_names_the_workbook_beside_it(tmp_path):
    """REPORT8 item 3: a team's export saved as stores.xlsx was "no stores file (stores.csv,
    .tsv, .jsonl or .parquet)", the workbook unnamed (the other kinds' unread files are named
    in a warning); the error names it and says how to save it."""
    data = tmp_path / "d"
    write(data, "stores.xlsx", "PK")
    write(data, "identities.csv", "store_id,id_number\nS1,1\n")
    result, _ = run_validate(data, tmp_path)
    assert result.exit_code == 1
    error = json.loads(result.stdout)["error"]
    assert error == (f"{data}: no stores file (stores.csv, .tsv, .jsonl or .parquet); not "
                     f"read: {data / 'stores.xlsx'} (a spreadsheet workbook: save it as CSV "
                     "UTF-8)"), error


def test_bom_with_upper_case_headers(tmp_path):
    data = tmp_path / "d"
    write(data, "stores.csv", "\ufeffSTORE_ID,NAME,Status\nS1,One,ACTIVE\n".encode())
    records = read_records(data, RejectsWriter(None))
    assert list(records.stores["store_id"]) == ["S1"]
    assert records.stores["status"].iloc[0] == "active"


def test_gb18030_chinese_names(tmp_path):
    data = tmp_path / "d"
    write(data, "stores.csv", "store_id,name\nS1,深圳优品贸易有限公司\n".encode("gb18030"))
    write(data, "identities.csv",
          "store_id,id_number,holder_name\nS1,11010519491231002X,欧阳娜娜\n".encode("gb18030"))
    records = read_records(data, RejectsWriter(None))
    assert records.stores["name"].iloc[0] == "深圳优品贸易有限公司"
    assert records.identities["holder_name"].iloc[0] == "欧阳娜娜"
    assert records.reports[0].encoding == "gb18030"


def test_unknown_columns_warned_once(tmp_path):
    data = tmp_path / "d"
    write(data, "stores.csv", "store_id,colour,size\nS1,red,XL\nS2,blue,S\n")
    result, _ = run_validate(data, tmp_path)
    assert result.exit_code == 0
    assert result.stderr.count("unknown columns") == 1
    assert "colour" in result.stderr


def test_column_map_renames(tmp_path):
    data = tmp_path / "d"
    write(data, "stores.csv", "Shop ID,Shop Name\nS1,One\n")
    write(tmp_path, "map.toml", '[stores]\n"Shop ID" = "store_id"\n"shop name" = "name"\n')
    result, _ = run_validate(data, tmp_path, "--columns", str(tmp_path / "map.toml"))
    assert result.exit_code == 0, result.stderr
    assert summary(result)["stores.csv"]["accepted"] == 1


def test_a_header_typed_in_full_width_is_named_by_the_column_map(tmp_path):
    """REPORT8 item 2: a Chinese export's header typed with an input method (`店铺ＩＤ`,
    full-width letters, an ideographic space) was `missing required column store_id` under a
    column map naming `店铺ID`, the two looking the same in the error. Header names, JSONL keys
    and the map's names are compared after NFKC, in CSV and JSONL alike."""
    write(tmp_path, "map.toml", '[all]\n"店铺ID" = "store_id"\n[stores]\n"店铺 名称" = "name"\n')
    data = tmp_path / "d"
    write(data, "stores.csv", "店铺ＩＤ　,店铺　名称,ｂｒａｎｄ\nS1,One,B\n")
    write(data, "identities.jsonl", '{"店铺ＩＤ": "S1", "ｉｄ＿ｎｕｍｂｅｒ": "X1234567"}\n')
    result, _ = run_validate(data, tmp_path, "--columns", str(tmp_path / "map.toml"))
    assert result.exit_code == 0, result.output
    rows = summary(result)
    assert rows["stores.csv"]["accepted"] == rows["identities.jsonl"]["accepted"] == 1
    assert "unknown columns" not in result.stderr
    records_read = read_records(data, RejectsWriter(None),
                                column_map=records.load_column_map(tmp_path / "map.toml"))
    stores = records_read.stores[["store_id", "name", "brand"]]
    assert stores.values.tolist() == [["S1", "One", "B"]]


def test_a_semicolon_separated_export_is_named_as_such(tmp_path):
    """qk/semi: a .csv separated by ';' is not "missing store_id" (its header has it): the
    error says the separator, on one line naming the file and line 1, exit 1."""
    data = tmp_path / "semi"
    write(data, "stores.csv", "store_id;name;brand;opened_on\nS1;One;B;2020-01-01\n")
    result, _ = run_validate(data, tmp_path)
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    assert lines[0].startswith(f"Error: {data / 'stores.csv'}: line 1: the columns are "
                               "separated by ';'"), lines
    assert "missing required column" not in lines[0]


def test_two_columns_mapped_to_one_name_say_so(tmp_path):
    data = tmp_path / "d"
    write(data, "stores.csv", "Shop ID,Seller,Shop Name\nS1,X,One\n")
    write(tmp_path, "map.toml", '[stores]\n"Shop ID" = "store_id"\nseller = "store_id"\n')
    result, _ = run_validate(data, tmp_path, "--columns", str(tmp_path / "map.toml"))
    assert result.exit_code == 1
    assert ("line 1: columns 'Shop ID' and 'Seller' are both read as 'store_id' (check the "
            "column map)") in result.stderr
    write(data, "stores.csv", "store_id,STORE_ID\nS1,S2\n")
    result, _ = run_validate(data, tmp_path)
    assert result.exit_code == 1 and "column 'store_id' appears twice" in result.stderr


def test_a_broken_jsonl_line_is_placed_within_its_own_line(tmp_path):
    """qk/jl: the decoder's "line 2 column 1" on the file's line 5 read as a wrong line; the
    reason places the fault within the line, and says what a non-object is."""
    data = tmp_path / "jl"
    write(data, "stores.jsonl", '{"store_id":"S1"}\nnot json\n[1,2]\n{"store_id":"S2"}\n'
          '{"store_id":"S3","name":"C"\n')
    result, rejected = run_validate(data, tmp_path)
    assert [(r["line"], r["value"]) for r in rejected] == [
        ("2", "not a JSON object (Expecting value at column 1)"),
        ("3", "not a JSON object (a JSON array)"),
        ("5", "not a JSON object (Expecting ',' delimiter at the end of the line)")], (
        result.output)


def test_a_jsonl_object_with_a_key_written_twice_is_rejected(tmp_path):
    """hfx item 4 (REPORT3 leftovers): json keeps the last of two equal keys without a word, so
    `{"store_id": "S2", "store_id": "S3"}` was store S3 and S2 vanished. Such an object, or one
    whose two keys read as one column (`Phone` and `phone`), is a malformed row naming them."""
    data = tmp_path / "jd"
    lines = ['{"store_id": "S1", "name": "A"}', '{"store_id": "S2", "store_id": "S3"}',
             '{"store_id": "S4", "name": "B", "Name": "C"}',
             '{"store_id": "S5", "x": {"a": 1, "a": 2}}',
             '{"store_id": "S6", "name": "D"}']
    write(data, "stores.jsonl", "\n".join(lines) + "\n")
    result, rejected = run_validate(data, tmp_path)
    assert [(r["line"], r["reason"]) for r in rejected] == [
        ("2", "malformed row"), ("3", "malformed row"), ("4", "malformed row")], result.output
    assert "'store_id' written twice" in rejected[0]["value"]
    assert "'name' and 'Name' both read as column name" in rejected[1]["value"]
    assert "'a' written twice" in rejected[2]["value"]
    frame = read_records(data).stores
    assert frame["store_id"].tolist() == ["S1", "S6"]


def test_two_files_of_one_kind_is_an_error(tmp_path):
    data = tmp_path / "d"
    write(data, "stores.csv", STORES)
    write(data, "stores.jsonl", '{"store_id": "S1"}\n')
    with pytest.raises(DataError, match="more than one stores file"):
        find_files(data)


def test_every_format_and_encoding_reads_the_same(tmp_path):
    """CSV, TSV, gzip, JSONL, Parquet, UTF-8 BOM and GB18030 give identical accepted rows."""
    rows = pd.DataFrame({
        "store_id": ["S1", "S2", "S3"],
        "name": ["甲店", "Beta, Ltd", "丙"],
        "opened_on": ["2021-01-02", "", "2019-12-31"],
    })
    base = read_records(_write_frame(tmp_path / "csv", rows, "csv"), RejectsWriter(None)).stores
    for fmt in ("tsv", "csv.gz", "jsonl", "jsonl.gz", "parquet", "csv-bom", "csv-gb18030"):
        got = read_records(_write_frame(tmp_path / fmt, rows, fmt), RejectsWriter(None)).stores
        cols = ["store_id", "name", "opened_on", "status"]
        assert got[cols].to_dict("records") == base[cols].to_dict("records"), fmt


def _write_frame(folder: Path, frame: pd.DataFrame, fmt: str) -> Path:
    folder.mkdir(parents=True)
    if fmt == "parquet":
        frame.to_parquet(folder / "stores.parquet")
    elif fmt.startswith("jsonl"):
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in frame.to_dict("records"))
        data = text.encode()
        if fmt.endswith(".gz"):
            (folder / "stores.jsonl.gz").write_bytes(gzip.compress(data))
        else:
            (folder / "stores.jsonl").write_bytes(data)
    else:
        sep = "\t" if fmt == "tsv" else ","
        text = frame.to_csv(index=False, sep=sep)
        encoding = {"csv-bom": "utf-8-sig", "csv-gb18030": "gb18030"}.get(fmt, "utf-8")
        data = text.encode(encoding)
        name = "stores.tsv" if fmt == "tsv" else "stores.csv"
        if fmt.endswith(".gz"):
            (folder / "stores.csv.gz").write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)
    return folder


def test_repeats_and_unknown_ids_across_blocks(tmp_path):
    """Small blocks split the files into many chunks: a store id first accepted in an earlier
    chunk is still a duplicate, an unknown id in a late chunk is still rejected; the result
    matches one-block reading."""
    lines = [f"S{i},Store {i},brand,mp,2021-01-{1 + i % 28:02d},active,," for i in range(60)]
    lines[40] = "S3,Again,brand,mp,2021-01-01,active,,"
    lines[50] = "S7, padded ,brand,mp,2021-1-5,SUSPENDED,,"
    data = tmp_path / "d"
    write(data, "stores.csv", "store_id,name,brand,marketplace,opened_on,status,suspended_on,"
          "status_reason\n" + "\n".join(lines) + "\n")
    write(data, "addresses.csv", "store_id,address\n"
          + "".join(f"S{i % 70},Rm {i}\n" for i in range(120)))
    whole = read_records(data, RejectsWriter(tmp_path / "whole.csv"))
    split = read_records(data, RejectsWriter(tmp_path / "split.csv"), block_size=256)
    assert split.reports[0].read == 60  # many blocks, no row lost or doubled
    pd.testing.assert_frame_equal(split.stores, whole.stores)
    pd.testing.assert_frame_equal(split.addresses, whole.addresses)
    rejects = read_rejects(tmp_path / "split.csv")
    assert rejects == read_rejects(tmp_path / "whole.csv")
    by_line = {(r["file"], r["line"]): r for r in rejects}
    assert by_line[("stores.csv", "42")]["value"] == "S3 (first on line 5)"
    assert by_line[("stores.csv", "52")]["value"] == \
        "S7 (first on line 9, active; this row: suspended)"  # REPORT5 item 7
    assert list(split.stores["_line"]) == [n for n in range(2, 62) if n not in (42, 52)]
    unknown = [r["value"] for r in rejects if r["file"] == "addresses.csv"]
    assert unknown == ["S40", "S50", *(f"S{i}" for i in range(60, 70)), "S40"]


@pytest.mark.parametrize("value", [
    "2021-03-04", "2020-02-29", "1900-01-01", "2099-12-31", "2019-02-29", "1900-02-29",
    "2021-13-01", "2021-3-4", "20210304", "1899-12-31", "2100-01-01", "0001-01-01", "",
    "2021-03-04T00:00", "２０２１-03-04", "2021/03/04",
])
def test_clean_date_shortcut_agrees_with_pandas(value):
    """A column the shortcut calls clean must be one pandas would parse and print unchanged."""
    values = pd.Series(["2021-01-01", value], dtype=str)
    if all_iso_dates(values):
        parsed = pd.to_datetime(values.where(values != ""), format="%Y-%m-%d", errors="coerce")
        assert parsed.dt.strftime("%Y-%m-%d").fillna("").tolist() == values.tolist()


@pytest.mark.parametrize("column", [
    ["2021-03-04", "", "1999-12-31"], ["2021-03-04", None, "2020-02-29"], ["", ""],
    ["2021-03-04", "2019-02-29"], ["2021-03-04", "2021/03/04"], ["2021-3-4", "1850-06-01"],
    ["2021-03-04", " "], ["2021-03-04", "2021-03-04T10:00"], ["2100-01-01", "2021-03-04"],
])
@pytest.mark.parametrize("dtype", [object, str])
def test_date_values_are_pandas_dates(column, dtype):
    """Arrow's dates of a clean column, pandas' of any other: the same values and dtype."""
    values = pd.Series(column, dtype=dtype, index=range(10, 10 + len(column)), name="opened_on")
    expected = pd.to_datetime(values.fillna("").astype(str).replace("", None), errors="coerce")
    pd.testing.assert_series_equal(records.date_values(values), expected)


def test_dates_and_choices_are_normalised_only_when_needed(tmp_path):
    """Clean columns pass untouched; one odd value sends the column the full pandas way."""
    data = tmp_path / "d"
    write(data, "stores.csv", "store_id,opened_on,status\nS1,2021-01-02,active\n"
          "S2,,closed\nS3,2021-3-4,\nS4,1995-06-01,Suspended\nS5,2021-02-30,ACTIVE\n")
    sink = tmp_path / "rejects.csv"
    got = read_records(data, RejectsWriter(sink)).stores
    # the impossible date is dropped from its row, which is kept
    assert got["opened_on"].tolist() == ["2021-01-02", "", "2021-03-04", "1995-06-01", ""]
    assert got["status"].tolist() == ["active", "closed", "active", "suspended", "active"]
    assert [(r["line"], r["field"]) for r in read_rejects(sink)] == [("6", "opened_on")]


@pytest.mark.parametrize("placeholder", ["9999-12-31", "2099-12-31", "2262-04-12", "0001-01-01",
                                         "1900-01-01", "1899-12-30", "1970-01-01"])
@pytest.mark.parametrize("dated", ["clean", "odd"])
def test_placeholder_dates_are_dropped_with_their_reason(tmp_path, placeholder, dated):
    """An export's "no date" placeholders are not events: dropped (the row kept) with a reason
    that says why, whether the rest of the column is clean YYYY-MM-DD or not."""
    other = "2021-01-02" if dated == "clean" else "2021/1/2"
    data = tmp_path / "d"
    write(data, "stores.csv", f"store_id,opened_on\nS1,{other}\nS2,{placeholder}\nS3,1990-01-01\n")
    sink = tmp_path / "rejects.csv"
    got = read_records(data, RejectsWriter(sink)).stores
    assert got["opened_on"].tolist() == ["2021-01-02", "", "1990-01-01"]
    (reject,) = read_rejects(sink)
    assert (reject["line"], reject["field"], reject["value"]) == ("3", "opened_on", placeholder)
    assert ("in the future" if placeholder > "2026" else "before 1990-01-01") in reject["reason"]


def test_analyze_reads_past_a_far_future_placeholder(tmp_path):
    """9999-12-31 once passed the reader and overflowed pandas' timestamps in the linkage."""
    data = tmp_path / "fut"
    write(data, "stores.csv", "store_id,brand,opened_on,status,suspended_on\n"
          "F1,bx,2019-01-01,suspended,2021-05-01\nF2,by,9999-12-31,active,\n"
          "F3,bz,2099-12-31,active,\n")
    write(data, "payments.csv", "store_id,account_number\n" + "".join(
        f"{s},6222021234567890123\n" for s in ("F1", "F2", "F3")))
    result = CliRunner().invoke(main, ["analyze", str(data), "--out", str(tmp_path / "out"),
                                       "-q"])
    assert result.exit_code == 0, result.output
    clusters = pd.read_csv(tmp_path / "out" / "clusters.csv", dtype=str)
    assert "opened after" not in " ".join(clusters["reasons"].fillna(""))


def test_a_quote_left_open_that_swallows_rows_is_a_malformed_row(tmp_path):
    """U2's open quote runs to U4's: lines 3-5 are one record with the header's 3 fields. It is
    rejected on its first line, naming a row it swallowed, so validate fails (3 of 5 records
    kept is past 10%); a value that spans lines without a row inside it is kept."""
    data = tmp_path / "uq"
    write(data, "stores.csv", "store_id,name,opened_on\nU1,ok,2020-01-01\n"
          'U2,"Shop ""Best,2020-01-01\nU3,fine,2020-01-01\nU4,"x",2020-01-02\n'
          'U5,"Room 5, Bldg B\nFutian, Shenzhen\nChina",2020-01-01\nU6,last,2020-01-03\n')
    result, (reject,) = run_validate(data, tmp_path)
    assert result.exit_code == 1, result.output
    assert (reject["line"], reject["field"], reject["reason"]) == ("3", "row", "malformed row")
    assert "quote left open" in reject["value"] and "U3,fine,2020-01-01" in reject["value"]
    stores = read_records(data, RejectsWriter(None)).stores
    assert stores["store_id"].tolist() == ["U1", "U5", "U6"]
    assert stores["_line"].tolist() == [2, 6, 9]


def test_a_quote_never_closed_loses_every_later_row_and_fails_validate(tmp_path):
    """REPORT5 item 1: line 11's quote is never closed, so the 3,990 rows after it are one
    ragged record. It was one reject of 11 records read (9%, under the 10% rule): validate
    exited 0 with the file gone. The rows it ran over now count as lost, and its reject says
    how many and names the first. (The record is longer than the csv module's field limit,
    131,072 characters, which once made the row handler raise.)"""
    data = tmp_path / "nq"
    rows = [f"Q{i:03d},Store {i},brand{i},jd,2020-01-01,active" for i in range(4000)]
    rows[9] = 'Q009,"Acme ""Best Store,acme,jd,2020-01-01,active'
    write(data, "stores.csv", "store_id,name,brand,marketplace,opened_on,status\n"
          + "\n".join(rows) + "\n")
    result, (reject,) = run_validate(data, tmp_path)
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    assert "3,990 more inside rejected records that a quote left open ran over" in \
        document["error"], document
    assert summary(result)["stores.csv"]["read"] == 10
    assert (reject["line"], reject["field"], reject["reason"]) == ("11", "row", "malformed row")
    assert reject["value"].startswith("a quote left open? this record runs over 3,990 lines")
    assert "the first: Q010,Store 10,brand10" in reject["value"]


def test_a_record_longer_than_two_blocks_is_named_by_its_line(tmp_path):
    """REPORT5 item 2: a 17 MiB value stopped the run with pyarrow's "straddling object
    straddles two block boundaries (try to increase block size?)", naming no line and advising
    what the user cannot do. Blocks of 256 bytes here stand for the 8 MiB ones."""
    data = tmp_path / "long"
    rows = [f"L{i},Store {i}" for i in range(40)]
    rows[20] = "L20," + "x" * 600
    write(data, "stores.csv", "store_id,name\n" + "\n".join(rows) + "\n")
    with pytest.raises(DataError) as error:
        read_records(data, RejectsWriter(None), block_size=256)
    assert "line 22 or a later one: a record longer than" in str(error.value)
    assert "straddl" not in str(error.value)
    assert error.value.document()["line"] == 22


def test_a_western_excel_csv_is_not_read_as_gb18030_nonsense(tmp_path):
    """REPORT5 item 3: Windows-1252 bytes of an accented letter and the next letter are valid
    GB18030, so a Western Excel's CSV (Müller, Señora, Zürich) was read without a word as
    M黮ler, Se駉ra, Z黵ich (the table said gb18030, validate exited 0). A GBK file's text,
    and one forced with --encoding gb18030, are read as before."""
    data = tmp_path / "cp"
    write(data, "stores.csv", "store_id,name,brand\nW1,Acme,acme\nW2,Müller Handel,Müller\n"
          "W3,Señora Tienda,Señora\n".encode("cp1252"))
    result, _ = run_validate(data, tmp_path)
    assert result.exit_code == 1, result.output
    error = json.loads(result.stdout)
    assert error["line"] == 3 and "Windows-1252" in error["error"], error
    assert "'Müller'" in error["error"] and "CSV UTF-8" in error["error"]
    forced, _ = run_validate(data, tmp_path, "--encoding", "gb18030")
    assert forced.exit_code == 0, forced.output
    write(data, "stores.csv", "store_id,name,brand\nC1,深圳市大鹏贸易有限公司,iPhone壳X\n"
          "C2,A栋B座,Pro\n".encode("gb18030"))
    result, _ = run_validate(data, tmp_path)
    assert result.exit_code == 0, result.output
    assert summary(result)["stores.csv"]["encoding"] == "gb18030"


@pytest.mark.parametrize("given", [[], ["--encoding", "gb18030"], ["--encoding", "utf-8"]])
def test_a_western_excel_csv_whose_accent_ends_a_word_is_told_to_be_saved_as_utf8(tmp_path,
                                                                                  given):
    """REPORT9 item 6: ``Café Élan`` (Windows-1252): the accent before a space is no GB18030,
    so the message offered --encoding gb18030, which failed in turn with a bare "give the
    encoding": a dead end. Whatever encoding is given or detected, the bytes read as Latin
    letters in Windows-1252 name the remedy, with the file and line."""
    data = tmp_path / "cafe"
    write(data, "stores.csv", "store_id,name,brand\nW1,Acme,acme\nW2,Café Élan Boutique,Élan\n"
          .encode("cp1252"))
    result, _ = run_validate(data, tmp_path, *given)
    assert result.exit_code == 1, result.output
    error = json.loads(result.stdout)
    assert error["line"] == 3 and "stores.csv" in error["file"], error
    assert "Windows-1252" in error["error"] and "'Café'" in error["error"], error
    assert "CSV UTF-8" in error["error"] and "--encoding" not in error["error"], error


@pytest.mark.parametrize("above, line", [
    ("Store export \u2013 generated 2026-11-30 by the KR desk\n\n", 3), ("\n", 2),
    ("店铺导出,2026年11月\n", 2)])
def test_title_lines_above_the_header_are_named_with_the_header_line(tmp_path, above, line):
    """REPORT9 item 12: a title and a blank line above the header gave "line 1: missing
    required column store_id (header has: Store export ...)", and a blank first line "empty
    file". The error names the line that holds the header and what to delete; a file with no
    header anywhere keeps its message."""
    data = tmp_path / "titled"
    write(data, "stores.csv", above + "store_id,name,status\nS1,One,active\n")
    result, _ = run_validate(data, tmp_path)
    assert result.exit_code == 1, result.output
    error = json.loads(result.stdout)
    assert error["line"] == line and error["file"].endswith("stores.csv"), error
    lines = "the line" if line == 2 else f"the {line - 1} lines"
    assert f"line {line} holds the header: delete {lines} above it" in error["error"], error
    write(data, "stores.csv", "foo,bar\nS1,One\n")
    result, _ = run_validate(data, tmp_path)
    assert "missing required column store_id" in json.loads(result.stdout)["error"]


@pytest.mark.parametrize("name, body", [("payments.csv", b""), ("addresses.jsonl", b"\n\n"),
                                        ("identities.tsv", b"\xef\xbb\xbf")])
def test_an_optional_file_of_no_bytes_is_an_empty_kind_and_said(tmp_path, name, body):
    """REPORT9 item 11: a 0-byte payments.csv (what a query with no rows writes) stopped the
    whole run, "empty file (no header line)". An optional kind with no bytes but blank ones is
    read as no rows, and the run names the file and what cannot be assessed; an empty stores
    file still stops."""
    data = tmp_path / "d"
    write(data, "stores.csv", STORES)
    write(data, name, body)
    result, _ = run_validate(data, tmp_path)
    assert result.exit_code == 0, result.output
    row = summary(result)[name]
    assert row["read"] == 0 and row["accepted"] == 0, row
    assert f"{name}: an empty file, read as no rows: cannot assess" in result.stderr
    write(data, "stores.csv", b"")
    result, _ = run_validate(data, tmp_path)
    assert result.exit_code == 1 and "empty file (no header line)" in result.output


def test_a_header_name_wrapped_over_two_lines_is_one_column(tmp_path):
    """REPORT5 item 4: a spreadsheet's wrapped header cell ("Shop\\nname", quoted) cut the
    header after its first line: every row was a malformed row (4 fields where the header has
    2), status and brand were "absent", validate failed and analyze went on with no store. The
    header is one record; its name reads with its line break as a space (a column map may give
    either), and line numbers stay physical lines."""
    data = tmp_path / "wrap"
    write(data, "stores.csv", 'store_id,"Shop\r\nname",brand,status,opened_on\r\n'
          "M1,Alpha,alpha,active,2020-01-01\r\nM2,Beta,beta,suspended,2020-13-01\r\n"
          "M3,Gamma,gamma,active,2020-01-03\r\n")
    columns = tmp_path / "map.toml"
    columns.write_text('[stores]\n"Shop name" = "name"\n', encoding="utf-8")
    result, rejects = run_validate(data, tmp_path, "--columns", str(columns))
    assert result.exit_code == 1, result.output  # 1 of 3 dates dropped is past 10%
    assert [(r["line"], r["field"]) for r in rejects] == [("4", "opened_on")]
    stores = read_records(data, RejectsWriter(None),
                          column_map={"stores": {"shop name": "name"}}).stores
    assert stores["name"].tolist() == ["Alpha", "Beta", "Gamma"]
    assert stores["status"].tolist() == ["active", "suspended", "active"]
    assert stores["_line"].tolist() == [3, 4, 5]


def test_a_row_with_empty_fields_past_the_header_is_read(tmp_path):
    """REPORT5 item 6: a row with empty fields after the header's last column (a spreadsheet's
    touched cells, a writer ending lines with the delimiter) was a malformed row, its store
    lost for an empty cell. Its values are in their places: it is read. A value past the last
    column (an unquoted comma shifted the row) and a row with fields left out stay malformed."""
    data = tmp_path / "extra"
    write(data, "stores.csv", "store_id,name,status\nE1,One,active\nE2,Two,suspended,\n"
          'E3,"Three\nlines",active,,\nE4,Four,active,x\nE5,Five\n,,,,\nE6,Six,active\n')
    rejects = tmp_path / "rejects.csv"
    with RejectsWriter(rejects) as writer:
        stores = read_records(data, writer, block_size=64).stores
    assert stores["store_id"].tolist() == ["E1", "E2", "E3", "E6"]
    assert stores["name"].tolist() == ["One", "Two", "Three\nlines", "Six"]
    assert stores["status"].tolist() == ["active", "suspended", "active", "active"]
    assert stores["_line"].tolist() == [2, 3, 4, 9]
    rejected = pd.read_csv(rejects, dtype=str)
    assert rejected["line"].tolist() == ["6", "7"]
    assert set(rejected["reason"]) == {"malformed row"}


def test_a_header_repeated_inside_the_file_is_no_store(tmp_path):
    """REPORT5 item 8: two exports joined (`cat a.csv b.csv`, the second's BOM too) repeat the
    header inside the file. It was accepted as a store named "store_id" at an address
    "address" (with a dropped date and status), in every output; it is a malformed row saying
    why, and the rows after it are read."""
    data = tmp_path / "cat"
    header = "store_id,name,status,opened_on\n"
    write(data, "stores.csv", (header + "A1,One,active,2020-01-01\n" + "\ufeff" + header
                               + "B1,Two,suspended,2021-01-01\n").encode("utf-8"))
    write(data, "addresses.csv", "store_id,address\nA1,Room 1\nstore_id,address\nB1,Room 2\n")
    result, rejects = run_validate(data, tmp_path)
    assert [(r["file"], r["line"], r["reason"]) for r in rejects] == [
        ("stores.csv", "3", "malformed row"), ("addresses.csv", "3", "malformed row")]
    assert "the header line again" in rejects[0]["value"]
    records = read_records(data, RejectsWriter(None))
    assert records.stores["store_id"].tolist() == ["A1", "B1"]
    assert records.addresses["store_id"].tolist() == ["A1", "B1"]


def test_a_second_row_of_a_store_with_another_status_says_so(tmp_path):
    """REPORT5 item 7: an export that appends status changes lists a store again, now
    suspended. The first row wins (docs/input.md), but its reject read like a harmless repeat
    (`duplicate store_id`), and the ban was lost unseen. A repeat with another status names
    the field, and its value both statuses; an empty status is the default, active."""
    data = tmp_path / "dup"
    write(data, "stores.csv", "store_id,status\nD1,active\nD2,suspended\nD3,\nD1,suspended\n"
          "D2,suspended\nD3,active\nD2,closed\n")
    result, rejects = run_validate(data, tmp_path)
    status = "duplicate store_id, differing from the first row in status (the first row is kept)"
    assert [(r["line"], r["reason"], r["value"]) for r in rejects] == [
        ("5", status, "D1 (first on line 2, active; this row: suspended)"),
        ("6", "duplicate store_id, identical to the first row", "D2 (first on line 3)"),
        ("7", "duplicate store_id, identical to the first row", "D3 (first on line 4)"),
        ("8", status, "D2 (first on line 3, suspended; this row: closed)")]


@pytest.mark.parametrize("block_size", [96, BLOCK_SIZE])
def test_a_repeated_store_row_names_the_fields_that_differ(tmp_path, block_size):
    """REPORT6 item 2 (hfx's brief): a store's second row was rejected as `duplicate
    store_id`, which did not say whether it was a copy or another store under the same id.
    The reason names the fields that differ from the first row (compared as read: the same
    date written two ways is the same), or says the row is identical; also when the first
    row was in an earlier block of the file."""
    data = tmp_path / "dup"
    write(data, "stores.csv", STORES + "S3,Gamma,acme,closed,2019-05-06\n"
          "S1,Alpha,mpow,active,2021/3/4\n"  # the same row, its date written another way
          "S2,Beta,,suspended,2020-01-01\n"
          "S3,Gamma,acme,suspended,2019-05-06\n"
          "S1,Alpha2,mpow2,active,2021-03-05\n")
    rejects = tmp_path / "rejects.csv"
    with RejectsWriter(rejects) as writer:
        records = read_records(data, writer, block_size=block_size)
    assert records.stores["name"].tolist() == ["Alpha", "Beta", "Gamma"]
    with open(rejects, encoding="utf-8", newline="") as handle:
        found = [(r["line"], r["reason"], r["value"]) for r in csv.DictReader(handle)]
    differs = "duplicate store_id, differing from the first row in {} (the first row is kept)"
    assert found == [
        ("5", "duplicate store_id, identical to the first row", "S1 (first on line 2)"),
        ("6", "duplicate store_id, identical to the first row", "S2 (first on line 3)"),
        ("7", differs.format("status"), "S3 (first on line 4, closed; this row: suspended)"),
        ("8", differs.format("name, brand, opened_on"), "S1 (first on line 2)")]
    assert records.reports[0].rejected == {
        "store_id: duplicate store_id, identical to the first row": 2,
        f"store_id: {differs.format('status')}": 1,
        f"store_id: {differs.format('name, brand, opened_on')}": 1}


def test_line_numbers_after_a_ragged_row_in_a_later_block(tmp_path):
    # pyarrow reports the ragged row while parsing ahead, before its block is numbered
    data = tmp_path / "d"
    lines = [f"S{i},Store {i}" for i in range(60)]
    lines[18] = "S18,ragged,row"
    lines[45] = "S45,ragged,row"
    write(data, "stores.csv", "store_id,name\n" + "\n".join(lines) + "\n")
    rejects_path = tmp_path / "rejects.csv"
    with RejectsWriter(rejects_path) as rejects:
        stores = read_records(data, rejects, block_size=256).stores
    assert list(stores["_line"]) == [n for n in range(2, 62) if n not in (20, 47)]
    rejected = pd.read_csv(rejects_path, dtype=str)
    assert sorted(rejected["line"].astype(int)) == [20, 47]
    assert set(rejected["reason"]) == {"malformed row"}


def test_validate_names_the_physical_line_after_a_quoted_value_that_spans_lines(tmp_path):
    """qk/ml: S1's name is "Multi\\nline", so S3's bad date is on line 5, not record 4."""
    data = tmp_path / "ml"
    write(data, "stores.csv", "store_id,name,brand,marketplace,opened_on,status\n"
          'S1,"Multi\nline",B,amazon.com,2020-01-01,active\n'
          "S2,A,B,amazon.com,2020-01-01,active\n"
          "S3,A,B,amazon.com,01/02/2020,active\n")
    result = run_validate(data, tmp_path)
    rejected = read_rejects(tmp_path / "rejects.csv")
    assert [(r["line"], r["field"], r["value"]) for r in rejected] == [
        ("5", "opened_on", "01/02/2020")], result.output


def test_line_numbers_across_blocks_with_line_breaks_in_values_and_ragged_rows(tmp_path):
    """Line breaks (LF and CRLF) inside quoted values, in a known and in an unknown column,
    before and after ragged rows, over many small blocks: every row and reject names the
    physical line on which its record starts."""
    data = tmp_path / "d"
    text, line, expected, ragged = "store_id,name,note\n", 2, [], []
    for i in range(60):
        if i in (18, 45):
            record = f'S{i},"rag\nged",row,extra\n'
        elif i % 7 == 3:
            record = f'S{i},"two\r\nlines",x\n'
        elif i % 11 == 5:
            record = f'S{i},n,"three\nline\nnote"\n'
        else:
            record = f"S{i},Store {i},\n"
        (ragged if i in (18, 45) else expected).append(line)
        text += record
        line += record.count("\n")
    text += "S60,last,\n"
    write(data, "stores.csv", text)
    rejects_path = tmp_path / "rejects.csv"
    with RejectsWriter(rejects_path) as rejects:
        stores = read_records(data, rejects, block_size=256).stores
    assert list(stores["_line"]) == [*expected, line]
    assert sorted(int(r["line"]) for r in read_rejects(rejects_path)) == ragged


def test_a_repeat_of_a_rejected_store_row_is_the_stores_row(tmp_path):
    data = tmp_path / "d"
    write(data, "stores.csv", "store_id,opened_on\nS1,2021-02-30\nS1,2021-02-03\nS1,2021-02-04\n"
          "S2,1,2\nS2,2021-02-05\n")
    rejects_path = tmp_path / "rejects.csv"
    with RejectsWriter(rejects_path) as rejects:
        stores = read_records(data, rejects).stores
    # a bad date only drops the date: that row stays the store's row
    assert stores[["store_id", "opened_on", "_line"]].values.tolist() == [
        ["S1", "", 2], ["S2", "2021-02-05", 6]]
    rejected = pd.read_csv(rejects_path, dtype=str)
    assert rejected[["line", "field"]].values.tolist() == [
        ["2", "opened_on"], ["3", "store_id"], ["4", "store_id"], ["5", "row"]]
    assert rejected["value"].iloc[1] == "S1 (first on line 2)"


@pytest.mark.parametrize("text_type", [pa.string(), pa.large_string()])
def test_a_line_break_is_found_in_any_slice_of_a_column_and_only_there(text_type):
    """The byte scan of the reader's blocks (records.holds_line_break) sees a line feed or a
    lone carriage return in exactly the slices of a column that hold one, whatever the slice's
    offset into the column's buffers."""
    values = ["plain", "", "cr\ronly", "x", "两行\n文字", "tail", "crlf\r\n", "last"]
    column = pa.array(values, type=text_type)
    for start in range(len(values)):
        for stop in range(start, len(values) + 1):
            want = any("\n" in v or "\r" in v for v in values[start:stop])
            assert records.holds_line_break(column.slice(start, stop - start)) == want


def test_sql_null_markers_are_empty_cells_not_lost_values(tmp_path):
    """REPORT4 item 1: MySQL writes an empty cell as \\N and SQL Server as NULL; such an export
    read every empty date and phone as a bad value and failed the 10% rule."""
    data = tmp_path / "d"
    write(data, "stores.csv", "store_id,name,brand,status,opened_on,suspended_on\n"
          "S1,Alpha,\\N,active,2021-03-04,\\N\nS2,Beta,NULL,suspended,NULL,2022-01-01\n"
          "S3,Gamma,null,Null,2021-05-06,NULL\n")
    write(data, "identities.csv", "store_id,id_number,phone,email\n"
          "S1,11010519491231002X,\\N,NULL\nS2,11010519491231002X,13800138000,\\N\n")
    result, rejects = run_validate(data, tmp_path)
    assert result.exit_code == 0, result.stderr
    assert rejects == []
    rows = summary(result)
    assert rows["stores.csv"]["accepted"] == 3 and rows["identities.csv"]["accepted"] == 2
    stores = read_records(data).stores.set_index("store_id")
    assert stores.loc["S1", "brand"] == "" and stores.loc["S3", "status"] == "active"
    assert str(stores.loc["S2", "opened_on"]) in ("", "NaT", "None")


@pytest.mark.parametrize("name", ["gbk", "CP936", "gb2312", "GB18030"])
def test_encoding_takes_the_names_a_chinese_export_goes_by(tmp_path, name):
    """REPORT4 item 2: Excel saves Chinese CSV as GBK (CP936); --encoding gbk was refused as
    not one of utf-8, gb18030, though gb18030 reads it."""
    data = tmp_path / "d"
    rows = "".join(f"S{i},Shop {i}\n" for i in range(3))
    write(data, "stores.csv", ("store_id,name\n" + rows + "S9,深圳市华强电子商行\n").encode("gbk"))
    result, rejects = run_validate(data, tmp_path, "--encoding", name)
    assert result.exit_code == 0, result.output
    assert summary(result)["stores.csv"]["encoding"] == "gb18030"


def test_columns_with_no_name_are_counted_in_the_warning(tmp_path):
    """REPORT4 item 4: Excel saves a sheet's empty columns as ",," after the header; the
    warning listed them as nothing between commas (`ignoring unknown columns: , `)."""
    data = tmp_path / "d"
    write(data, "stores.csv", "store_id,name,colour,,\nS1,One,red,,\n")
    result, _ = run_validate(data, tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "ignoring unknown columns: colour, 2 with no name in the header" in result.stderr


def test_a_compact_date_and_time_is_read_as_its_date():
    """REPORT4 item 5: yyyyMMddHHmmss (20200105103000), as Chinese order systems export a
    time, was 'not a date in a recognised form' though 20200105 is one."""
    dates, why = records.parse_dates(pd.Series(
        ["20200105103000", "20200105T1030", "20200105", "20200105250000", "2020010510"]))
    assert dates.tolist() == ["2020-01-05", "2020-01-05", "2020-01-05", "", ""]
    assert why.tolist()[:3] == ["", "", ""] and all(why.tolist()[3:])


def test_a_jsonl_array_or_object_as_a_value_is_a_malformed_row(tmp_path):
    """REPORT4 item 7: ``"id_number": ["4403..."]`` was keyed as the text "['4403...']" and
    ``"phone": {"a": "135..."}`` as the phone inside the repr, with no reject (a nested
    Parquet column is refused; a nested JSONL value was not)."""
    data = tmp_path / "d"
    write(data, "stores.csv", "store_id\nS1\nS2\nS3\n")
    write(data, "identities.jsonl",
          '{"store_id": "S1", "id_number": "11010519491231002X"}\n'
          '{"store_id": "S2", "id_number": ["11010519491231002X"]}\n'
          '{"store_id": "S3", "id_number": "11010519491231002X", "phone": {"a": "13800138000"},'
          ' "notes": {"kept": 1}}\n')
    result, rejects = run_validate(data, tmp_path)
    assert [(r["line"], r["field"]) for r in rejects] == [("2", "row"), ("3", "row")]
    assert "'id_number' holds a JSON array" in rejects[0]["value"]
    assert "'phone' holds a JSON object" in rejects[1]["value"]
    assert summary(result)["identities.jsonl"]["accepted"] == 1


def test_rejects_to_a_device_a_pipe_or_a_path_under_dev_is_refused(tmp_path):
    """REPORT4 item 10: `--rejects /dev/stdout` replaced the link /dev/stdout by a regular
    file (system-wide, run as root), because a link at the rejects path is replaced. A path
    under /dev or /proc, or one leading to a pipe or a device, is now a usage error; only
    /dev/null itself is taken. (The test never names /dev/stdout: without the fix it would
    replace it.)"""
    import os
    data = tmp_path / "d"
    write(data, "stores.csv", "store_id,opened_on\nS1,someday\nS1,2020-01-01\n")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    link = tmp_path / "to-fifo.csv"
    link.symlink_to(fifo)
    for path in (link, Path("/proc/self/fd/1")):
        result = CliRunner().invoke(main, ["validate", str(data), "--rejects", str(path)])
        assert result.exit_code == 2, (path, result.output)
        assert "is not a file" in result.stderr
    assert link.is_symlink()
    result = CliRunner().invoke(main, ["validate", str(data), "--rejects", os.devnull])
    assert result.exit_code == 1 and "written to /dev/null" in result.stderr, result.stderr
    assert Path(os.devnull).is_char_device()


def test_a_file_named_like_an_absent_kind_is_named_as_not_read(tmp_path):
    """REPORT4 item 12: `payments (1).csv` (a browser's second download) and `addresses.txt`
    were passed over with only "no payments file"; the run now names them."""
    data = tmp_path / "d"
    write(data, "stores.csv", "store_id\nS1\n")
    write(data, "payments (1).csv", "store_id,account_number\nS1,6222020200112200001\n")
    write(data, "Addresses.txt", "store_id,address\nS1,Room 1\n")
    write(data, "notes.txt", "mine")
    result, _ = run_validate(data, tmp_path)
    assert result.exit_code == 0, result.stderr
    assert f"{data / 'payments (1).csv'} is not read" in result.stderr
    assert f"{data / 'Addresses.txt'} is not read" in result.stderr
    assert "notes.txt" not in result.stderr


def test_status_and_document_type_in_chinese_are_read():
    """REPORT4 item 18: a Chinese export writes status 正常/封禁/已关闭 and id_type 身份证/营业执照;
    every such status was dropped and taken as active, so a banned (封禁) store was active."""
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        write(data, "stores.csv",
              "store_id,status\nS1,正常\nS2,封禁\nS3,已关闭\nS4,冻结\nS5,暂停\n")
        write(data, "identities.csv", "store_id,id_number,id_type\nS1,11010519491231002X,身份证\n"
              "S2,91350100M000100Y43,营业执照\n")
        records_ = read_records(data)
        status = records_.stores.set_index("store_id")["status"].to_dict()
        assert status == {"S1": "active", "S2": "suspended", "S3": "closed", "S4": "suspended",
                          "S5": "active"}  # 暂停 (paused) has no sure meaning: dropped
        assert records_.identities["id_type"].tolist() == ["CN_RESIDENT_ID", "BUSINESS_LICENSE"]
        assert [r.value for r in records_.rejects] == ["暂停"]


def test_account_and_address_types_in_chinese_are_read(tmp_path):
    """REPORT8 item 6: the team that wrote 身份证 and 封禁 (read) wrote 银行 and 仓库 too, and
    those were dropped as `not one of bank, card, wallet`."""
    write(tmp_path, "stores.csv", "store_id\nS1\nS2\n")
    write(tmp_path, "payments.csv", "store_id,account_number,account_type\n"
          "S1,6222020200112200001,银行\nS2,4111111111111111,信用卡\nS2,w-88,钱包\n"
          "S1,6222020200112200002,银行卡\n")
    write(tmp_path, "addresses.csv", "store_id,address,address_type\nS1,Room 1,注册地址\n"
          "S2,Room 2,仓库\nS2,Room 3,退货地址\n")
    read = read_records(tmp_path)
    assert read.payments["account_type"].tolist() == ["bank", "card", "wallet", ""]
    assert read.addresses["address_type"].tolist() == ["registered", "warehouse", "return"]
    assert [r.value for r in read.rejects] == ["银行卡"]  # a card or an account: unsure


def test_a_touched_file_is_the_same_files_and_its_bytes_are_read_only_then(tmp_path):
    """REPORT4 item 15: files whose bytes did not change but whose modification time did (a
    `touch`, the same export downloaded again) were "changed since they were loaded"."""
    import os

    (tmp_path / "stores.csv").write_text("store_id\nS1\n", encoding="utf-8")
    loaded = records.fingerprint(tmp_path)
    recorded = (loaded.files, loaded.content)
    again = records.fingerprint(tmp_path)
    assert again.same_files(*recorded) and "content" not in again.__dict__  # no byte read
    info = os.stat(tmp_path / "stores.csv")
    os.utime(tmp_path / "stores.csv", ns=(info.st_atime_ns, info.st_mtime_ns + 10**9))
    touched = records.fingerprint(tmp_path)
    assert touched.files != loaded.files and touched.same_files(*recorded)
    assert not touched.same_files(loaded.files[::-1], None)  # a load that recorded no content
    (tmp_path / "stores.csv").write_text("store_id\nS2\n", encoding="utf-8")  # same size
    assert not records.fingerprint(tmp_path).same_files(*recorded)
