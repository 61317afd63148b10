"""The graphaudit command line: parse options, call the library, print results.

Errors from the library (:class:`~graphaudit.errors.GraphauditError`) become a one-line message on
stderr and the exit code of DESIGN.md §6: 1 data or operation failed, 2 usage, 3 Neo4j unreachable.
"""

from __future__ import annotations

import csv
import io
import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import click

from . import __version__
from .errors import DataError, GraphauditError
from .masking import mask_field
from .records import FileReport, RecordSet, RejectsWriter, load_column_map, read_records
from .settings import ConnectionSettings, resolve_settings

FORMATS = click.Choice(["table", "csv", "json"])


class GraphauditGroup(click.Group):
    """Maps graphaudit's errors to exit codes in one place."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except GraphauditError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=GraphauditGroup)
@click.version_option(__version__, prog_name="graphaudit")
def main() -> None:
    """Find the operators behind networks of marketplace stores.

    Read store, employee-ID, payment and address records, link stores that share identifiers,
    and show investigators which stores belong to one operator and why.
    """


# ---------------------------------------------------------------------------------------------
# Shared options


def input_options(func: Callable) -> Callable:
    """Options of every command that reads a data directory."""
    decorators = [
        click.argument("data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path)),
        click.option("--encoding", type=click.Choice(["utf-8", "gb18030"]), default=None,
                     help="Text encoding of the files (default: detected)."),
        click.option("--columns", "column_map", type=click.Path(exists=True, dir_okay=False,
                     path_type=Path), help="TOML file renaming export columns to graphaudit's."),
        click.option("--strict", is_flag=True, help="Fail (exit 1) if any row is rejected."),
        click.option("--show-pii", is_flag=True, help="Do not mask personal data in outputs."),
        click.option("--quiet", "-q", is_flag=True, help="No progress on stderr."),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def rejects_option(default: str | None) -> Callable:
    return click.option("--rejects", "rejects_path", type=click.Path(dir_okay=False,
                        path_type=Path), default=default, show_default=True,
                        help="Where rejected rows are written (CSV: file, line, field, reason).")


def neo4j_options(func: Callable) -> Callable:
    """Connection options; each falls back to its NEO4J_* variable, then .neo4j/connection.env."""
    decorators = [
        click.option("--uri", envvar="NEO4J_URI", show_envvar=True, help="Bolt URI."),
        click.option("--user", envvar=["NEO4J_USERNAME", "NEO4J_USER"], show_envvar=True,
                     help="User name."),
        click.option("--password", envvar="NEO4J_PASSWORD", show_envvar=True,
                     help="Password (never printed)."),
        click.option("--database", envvar="NEO4J_DATABASE", show_envvar=True,
                     help="Database name (default neo4j)."),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def _settings(uri, user, password, database) -> ConnectionSettings:
    return resolve_settings(uri=uri, user=user, password=password, database=database, environ={})


# ---------------------------------------------------------------------------------------------
# Progress and tables


def _interactive(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty()


@contextmanager
def counting(label: str, quiet: bool) -> Iterator[Callable[[int], None]]:
    """A status line on stderr counting rows and their rate, for work of unknown length."""
    if not _interactive(quiet):
        yield lambda n: None
        return
    started = time.monotonic()
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        rate = done / max(time.monotonic() - started, 1e-6)
        click.echo(f"\r{label}: {done:,} rows ({rate:,.0f} rows/s)", nl=False, err=True)

    yield advance
    if done:
        click.echo(err=True)


@contextmanager
def progress_bar(label: str, length: int, quiet: bool) -> Iterator[Callable[[int], None]]:
    """click's progress bar on stderr with rows and rate; silent when not on a terminal."""
    if not _interactive(quiet) or length == 0:
        yield lambda n: None
        return
    started = time.monotonic()
    with click.progressbar(
        length=length, label=label, file=sys.stderr, show_pos=True,
        item_show_func=lambda _: f"{bar.pos / max(time.monotonic() - started, 1e-6):,.0f} rows/s",
    ) as bar:
        yield bar.update


def emit_table(rows: list[dict], fmt: str) -> None:
    """Print rows as an aligned table, CSV or JSON."""
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return
    if not rows:
        if fmt == "table":
            click.echo("(no rows)")
        return
    columns = list(rows[0])
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        click.echo(buffer.getvalue(), nl=False)
        return
    cells = [[str(r.get(c, "")) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    click.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    for row in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def _file_rows(reports: list[FileReport]) -> list[dict]:
    return [
        {
            "file": Path(r.path).name,
            "encoding": r.encoding or "parquet",
            "read": r.read,
            "accepted": r.accepted,
            "rejected": r.rejected_total,
            "reasons": "; ".join(f"{reason}: {n}" for reason, n in sorted(r.rejected.items())),
        }
        for r in reports
    ]


# ---------------------------------------------------------------------------------------------
# Reading, shared by validate, load and analyze


def read_data_dir(
    data_dir: Path, rejects: RejectsWriter, encoding: str | None, column_map: Path | None,
    quiet: bool,
) -> RecordSet:
    """Read and validate a data directory, warning once per file about unknown columns."""
    mapping = load_column_map(column_map) if column_map else None
    with counting("reading", quiet) as advance:
        records = read_records(data_dir, rejects, encoding=encoding, column_map=mapping,
                               progress=advance)
    for report in records.reports:
        if report.unknown_columns:
            click.echo(f"Warning: {report.path}: ignoring unknown columns: "
                       f"{', '.join(report.unknown_columns)}", err=True)
    return records


def finish_rejects(rejects: RejectsWriter, strict: bool) -> None:
    """Say where rejects went; under --strict, any reject fails the run."""
    rejects.close()
    if rejects.count:
        where = rejects.path or "nowhere"
        click.echo(f"{rejects.count} rejects written to {where}", err=True)
        if strict:
            raise DataError(f"{rejects.count} rows rejected and --strict is on (see {where})")


def open_rejects(path: Path | None, show_pii: bool) -> RejectsWriter:
    return RejectsWriter(path, mask=partial(mask_field, show_pii=show_pii))


# ---------------------------------------------------------------------------------------------
# Commands


@main.command()
@input_options
@rejects_option("rejects.csv")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
def validate(data_dir, encoding, column_map, strict, show_pii, quiet, rejects_path, fmt):
    """Check DATA_DIR's files, print a summary per file, and write rejected rows."""
    from .identifiers import extract_identifiers

    with open_rejects(rejects_path, show_pii) as rejects:
        records = read_data_dir(data_dir, rejects, encoding, column_map, quiet)
        extract_identifiers(records, rejects)
    emit_table(_file_rows(records.reports), fmt)
    finish_rejects(rejects, strict)


@main.command()
@input_options
@neo4j_options
@rejects_option("rejects.csv")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
def load(data_dir, encoding, column_map, strict, show_pii, quiet, uri, user, password, database,
         rejects_path, fmt):
    """Validate, normalize and load DATA_DIR into Neo4j (idempotent: loading twice is harmless)."""
    from .identifiers import extract_identifiers
    from .store import connect

    with connect(_settings(uri, user, password, database)) as store:
        with open_rejects(rejects_path, show_pii) as rejects:
            records = read_data_dir(data_dir, rejects, encoding, column_map, quiet)
            identifiers = extract_identifiers(records, rejects)
        if strict and rejects.count:
            finish_rejects(rejects, strict)
        store.ensure_schema()
        total = len(records.stores) + len(identifiers.links)
        started = time.monotonic()
        with progress_bar("loading", total, quiet) as advance:
            summary = store.load(records.stores, identifiers, progress=advance)
        elapsed = time.monotonic() - started
    emit_table(_file_rows(records.reports), fmt)
    created = [{"created": "nodes", "name": k, "count": v}
               for k, v in sorted(summary.nodes_created.items())]
    created += [{"created": "relationships", "name": k, "count": v}
                for k, v in sorted(summary.relationships_created.items())]
    emit_table(created, fmt)
    click.echo(f"Loaded {summary.rows:,} rows in {elapsed:.1f} s", err=True)
    finish_rejects(rejects, strict)


@main.command()
@click.option("--stores", type=click.IntRange(min=1), required=True, help="How many stores.")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
def sample(stores, seed, out_dir, quiet):
    """Generate a synthetic data directory of N stores, with its truth file."""
    from .sample import write_sample

    with progress_bar("generating", stores, quiet) as advance:
        done = 0

        def report(stores_done: int) -> None:
            nonlocal done
            advance(stores_done - done)
            done = stores_done

        summary = write_sample(out_dir, stores=stores, seed=seed, progress=report)
    click.echo(f"Wrote {stores:,} stores to {out_dir}")
    for name, count in getattr(summary, "rows", {}).items():
        click.echo(f"  {name}: {count:,} rows")
