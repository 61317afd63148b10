"""The one renderer of rows as text (graphaudit.textformat), as the commands print it."""

from __future__ import annotations

import csv
import io
import json

from click.testing import CliRunner
from conftest import SAMPLE_DATA

from graphaudit.cli import main
from graphaudit.queries import cell_text, format_result
from graphaudit.textformat import format_rows

ROWS = [{"store": "S1", "score": 0.123456, "hub": True, "ids": ["a", "b"], "note": None},
        {"store": "S22", "score": -1.5, "hub": False, "ids": [], "note": "=cmd"}]


def test_table_aligns_columns_and_keeps_values_as_the_caller_formats_them():
    assert format_rows(ROWS, "table").splitlines() == [
        "store  score     hub    ids         note",
        "S1     0.123456  True   ['a', 'b']",
        "S22    -1.5      False  []          =cmd",
    ]
    assert format_rows(ROWS, "table", cell=cell_text).splitlines() == [
        "store  score   hub    ids  note",
        "S1     0.1235  true   a;b",
        "S22    -1.5    false       =cmd",
    ]


def test_no_rows_says_why_and_csv_keeps_the_header_it_knows():
    assert format_rows([], "table", empty="nothing was read") == "(nothing was read)\n"
    assert format_rows([], "table", columns=["a"]) == "a\n(no rows)\n"
    assert format_rows([], "csv") == ""
    assert format_rows([], "csv", columns=["a", "b"]) == "a,b\n"
    assert format_rows([], "json") == "[]\n"


def test_csv_neutralises_formulas_and_json_keeps_types():
    assert format_rows(ROWS, "csv", cell=cell_text).splitlines() == [
        "store,score,hub,ids,note", "S1,0.1235,true,a;b,", 'S22,-1.5,false,,"\'=cmd"']
    assert json.loads(format_rows(ROWS, "json")) == ROWS
    # the query library's results go through the same renderer
    assert format_result(list(ROWS[0]), ROWS, "table") == format_rows(ROWS, "table",
                                                                      cell=cell_text)


def test_a_number_is_not_a_formula_but_text_that_starts_like_one_is():
    """OWASP's rule: a cell starting with = + - @ tab or CR is neutralised, unless it is a
    plain number, which a spreadsheet reads as that number (a negative score was written
    ``'-1.5``, text in a spreadsheet)."""
    numbers = ["-1.5", "+3", "-2e-05", "-.5", "-0", "-12.", "+1E+3"]
    formulas = ["-1+2", "-cmd|' /C calc'!A0", "=1+2", "+1-1", "-", "-1.5\n", "-1.5 ", "@SUM(1)",
                "\t-1", "-１", "-1e", "--1"]
    text = format_rows([dict(enumerate(numbers + formulas))], "csv")
    cells = list(csv.reader(io.StringIO(text, newline="")))[1]
    assert cells[:len(numbers)] == numbers
    assert all(c == "'" + f for c, f in zip(cells[len(numbers):], formulas, strict=True))


def test_analyze_explain_model_prints_the_weights_table(tmp_path):
    """It called the CLI's table printer without the reason for no rows, and crashed."""
    result = CliRunner().invoke(main, ["analyze", str(SAMPLE_DATA), "--out",
                                       str(tmp_path / "out"), "--max-pages", "0",
                                       "--explain-model"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("comparison"))
    assert lines[header].split() == ["comparison", "level", "m", "u", "weight"]
    assert len(lines[header + 1].split()) == 5
    assert any(" merges in " in line for line in lines[header:])
    # the return's weight, learned from the dates, is printed with the others
    assert any(line.startswith("returns after a ban: ") and " bits; " in line
               for line in lines[header:])


def test_a_list_whose_items_hold_the_separator_is_a_json_array():
    """REPORT4 item 16: path-between's raw spellings of an address hold ``;`` themselves, so
    three spellings joined by ``;`` read as seven; such a list is a JSON array instead."""
    spellings = ["Room 3218, Building 20, Futian 518051", "Rm 3218, Blk 20, Futian",
                 "Room 3218; Bldg 20; Futian Dist.; Shenzhen 518051"]
    rows = [{"step": 1, "raw": spellings}, {"step": 2, "raw": ["S1", "S2"]}]
    text = format_result(["step", "raw"], rows, "csv")
    cells = [row[1] for row in csv.reader(io.StringIO(text, newline=""))][1:]
    assert json.loads(cells[0]) == spellings
    assert cells[1] == "S1;S2"
    assert json.loads(format_result(["step", "raw"], rows, "json"))[0]["raw"] == spellings


def test_a_table_of_chinese_values_stays_in_line_on_a_terminal():
    """REPORT8 item 7: `query cluster-members` padded cells by characters, so a store named
    `Heliox 家居` or a reason `刷单 联系 ****8000` pushed the later columns out of line (each
    Chinese character takes two columns of a terminal)."""
    rows = [{"name": "Heliox 家居", "reason": "刷单 联系", "n": 4},
            {"name": "Heliox Home", "reason": "counterfeit", "n": 2}]
    lines = format_rows(rows, "table").splitlines()
    assert lines == ["name         reason       n",
                     "Heliox 家居  刷单 联系    4",
                     "Heliox Home  counterfeit  2"]
