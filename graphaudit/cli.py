"""The graphaudit command line: parse options, call the library, print results.

Errors from the library (:class:`~graphaudit.errors.GraphauditError`) become a one-line message on
stderr and the exit code of docs/design.md §6: 1 data or operation failed, 2 usage, 3 Neo4j
unreachable.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import click

from . import __version__
from .errors import DataError, GraphauditError, Interrupted
from .outputs import OutputRecord, refuse_unrecorded_inputs, survey
from .parallel import Parallel
from .privacy import KEY_ENV, load_key
from .records import (
    ENCODING_NAMES,
    MAX_LOSS_SHARE,
    FileReport,
    RejectsWriter,
    is_input_name,
    is_rejects_file,
    load_column_map,
    needs_date_format,
)
from .settings import ConnectionSettings, Settings, resolve_settings
from .textformat import FORMATS as FORMAT_NAMES
from .textformat import format_rows

if TYPE_CHECKING:
    from .pipeline import Events

FORMATS = click.Choice(FORMAT_NAMES)


#: characters that must never reach a terminal raw: C0 and C1 controls (ESC starts the escape
#: sequences that move the cursor, retitle the window or rewrite what was printed), DEL, and the
#: bidirectional overrides that reorder text ("Trojan Source")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
#: what click's progress bar writes around its line (carriage return, cursor hidden and shown)
_BAR_START = re.compile(r"\A\r(?:\x1b\[\?25l)?")
_BAR_END = re.compile(r"(?:\x1b\[\?25h)?\n?\Z")


def printable(text: str) -> str:
    """``text`` with every control character shown as an escape (``\\x1b``), keeping line ends
    and tabs, and the carriage return and cursor codes of a progress bar around a line.

    >>> printable("S1\\x1b]0;pwned\\x07 \\u202eevil")
    'S1\\\\x1b]0;pwned\\\\x07 \\\\u202eevil'
    """
    start = _BAR_START.match(text)
    end = _BAR_END.search(text, start.end() if start else 0)
    head = start.group() if start else ""
    tail = end.group() if end else ""
    body = text[len(head): len(text) - len(tail)]
    body = _CONTROL.sub(lambda m: (f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                                   else f"\\u{ord(m.group()):04x}"), body)
    return head + body + tail


class _PrintableStream:
    """A text stream that passes everything written to it through :func:`printable`."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError("write() argument must be str")
        return self._stream.write(printable(text))

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


class GraphauditGroup(click.Group):
    """Maps graphaudit's errors to exit codes in one place, and keeps control characters of
    the data (escape sequences) from the terminal: everything the commands print goes through
    :func:`printable`."""

    def main(self, *args, **kwargs):
        stdout, stderr = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = _PrintableStream(stdout), _PrintableStream(stderr)
        try:
            return super().main(*args, **kwargs)
        finally:
            sys.stdout, sys.stderr = stdout, stderr

    def invoke(self, ctx: click.Context):
        try:
            return self._invoke(ctx)
        except click.exceptions.Exit as exc:
            if exc.exit_code:
                _remove_created_folders(ctx)
            raise
        except BaseException:
            _remove_created_folders(ctx)
            raise

    def _invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except GraphauditError as exc:
            click.echo(f"{exc.label}: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            # Ctrl-C where no step says what it left (a load's does: errors.Interrupted)
            click.echo("Interrupted", err=True)
            ctx.exit(Interrupted.exit_code)
        except OSError as exc:
            if not exc.filename:  # a broken pipe and the like: click's business
                raise
            # a file that could not be read or written (disk full, permission): one line
            click.echo(f"Error: {exc.filename}: {exc.strerror}", err=True)
            ctx.exit(1)


class InputFile(click.Path):
    """A file an option names (--columns, --hubs, --previous, --pseudonym-key): it must exist
    and be a regular file (or a link to one). A FIFO or a device (``/dev/zero``) is refused
    naming the option, before anything reads it: reading would block, or never end."""

    def __init__(self) -> None:
        super().__init__(exists=True, dir_okay=False, path_type=Path)

    def convert(self, value, param, ctx) -> Path:
        path = super().convert(value, param, ctx)
        try:
            regular = stat.S_ISREG(os.stat(path).st_mode)
        except OSError as exc:
            self.fail(f"{path}: {exc.strerror}", param, ctx)
        if not regular:
            self.fail(f"{path} is not a regular file (a FIFO, a device or a socket): give a "
                      "file", param, ctx)
        return path


class OutputFolder(click.ParamType):
    """An output folder: created when missing, and refused (naming the option) when files
    cannot be written there: under a file, in /proc or /sys, read-only, no permission."""

    name = "folder"

    def convert(self, value, param, ctx) -> Path:
        from .outputs import ensure_output_folder

        path = Path(value)
        missing = [p for p in (path, *path.parents) if not os.path.lexists(p)]
        try:
            folder = ensure_output_folder(path)
        except GraphauditError as exc:
            self.fail(str(exc), param, ctx)
        if ctx is not None:
            ctx.find_root().meta.setdefault(_CREATED, []).extend(missing)
        return folder


#: ctx.meta key of the folders an OutputFolder created (deepest first), for
#: :func:`_remove_created_folders`
_CREATED = "graphaudit.created_folders"


def _private_created_folders(ctx: click.Context) -> None:
    """The folders an OutputFolder made for this command (--out and its missing parents) are
    the user's alone (700): under --show-pii they hold personal data unmasked. (Folders that
    were there before keep their mode; the files written in them are 600:
    :func:`graphaudit.outputs.private_outputs`.)"""
    for folder in ctx.find_root().meta.get(_CREATED, []):
        if folder.is_dir() and not folder.is_symlink():
            folder.chmod(0o700)


def _remove_created_folders(ctx: click.Context) -> None:
    """A command that fails leaves no empty folder it created behind (an --out folder made
    before an argument was refused, or before the data turned out unreadable); a folder that
    holds anything (a rejects file) stays."""
    for folder in ctx.find_root().meta.pop(_CREATED, []):
        with contextlib.suppress(OSError):
            folder.rmdir()  # only an empty folder


OUTPUT_FOLDER = OutputFolder()


@click.group(cls=GraphauditGroup)
@click.version_option(__version__, prog_name="graphaudit")
@click.option("--jobs", "-j", type=click.IntRange(min=1), envvar="GRAPHAUDIT_JOBS",
              show_envvar=True,
              help="Processes the work may keep busy at once (default: every usable core).")
@click.pass_context
def main(ctx: click.Context, jobs: int | None) -> None:
    """Find the operators behind networks of marketplace stores.

    Read store, employee-ID, payment and address records, link stores that share identifiers,
    and show investigators which stores belong to one operator and why.
    """
    ctx.meta["jobs"] = jobs


def _parallel() -> Parallel:
    """The budget of workers of this command: ``--jobs``, else every usable core."""
    context = click.get_current_context(silent=True)
    return Parallel.auto(context.meta.get("jobs") if context else None)


# ---------------------------------------------------------------------------------------------
# Shared options


def _stacked(func: Callable, decorators: list[Callable]) -> Callable:
    """Apply option decorators in the order they are listed (the first is outermost)."""
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


class EncodingName(click.Choice):
    """--encoding: a name of :data:`~graphaudit.records.ENCODING_NAMES`, in any case, given as
    the codec it is read with (``gbk``, ``cp936`` and ``gb2312`` are ``gb18030``)."""

    def __init__(self) -> None:
        super().__init__(list(ENCODING_NAMES), case_sensitive=False)

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        return ENCODING_NAMES[str(super().convert(value, param, ctx)).lower()]


class Seconds(click.FloatRange):
    """--timeout: a finite number of seconds above 0, at most a year. NaN passes every
    comparison of FloatRange, and ``inf``, ``nan`` or ``1e300`` stopped the driver (which
    sends milliseconds as a 64-bit integer) with a traceback (REPORT7 item 9)."""

    def __init__(self) -> None:
        super().__init__(min=0, min_open=True, max=365 * 86400)

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> float:
        seconds = super().convert(value, param, ctx)
        if seconds != seconds:  # NaN
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        return seconds


def reading_options(func: Callable) -> Callable:
    """How the files of a data directory are read (--encoding, --columns, --date-format): the
    same options wherever a command reads one (analyze, validate, load, explain --data), so
    each reads an export the way the others did."""
    decorators = [
        click.option("--encoding", type=EncodingName(), default=None,
                     help="Text encoding of the files (default: detected); gbk, cp936 and "
                          "gb2312 are read as gb18030."),
        click.option("--columns", "column_map", type=InputFile(),
                     help="TOML file renaming export columns to graphaudit's."),
        click.option("--date-format", metavar="FORMAT", expose_value=False,
                     callback=_remember_date_format,
                     help="strftime format of dates in a form graphaudit does not recognise "
                          "by itself, e.g. %d/%m/%Y (docs/input.md lists the forms it does)."),
    ]
    return _stacked(func, decorators)


def input_options(func: Callable) -> Callable:
    """Options of every command that reads a data directory."""
    decorators = [
        click.argument("data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path)),
        reading_options,
        click.option("--strict", is_flag=True,
                     help="Fail (exit 1) on any reject (a row, or a value dropped)."),
        click.option("--show-pii", is_flag=True, help="Do not mask personal data in outputs."),
        click.option("--quiet", "-q", is_flag=True, help="No progress on stderr."),
    ]
    return _stacked(func, decorators)


def _remember_date_format(ctx: click.Context, _param, value: str | None) -> None:
    """--date-format is kept for run_settings (the Settings every reading command builds)."""
    if value is not None:
        parts = {"a year": ("%Y", "%y"), "a month": ("%m", "%b", "%B"), "a day": ("%d",)}
        lacking = [what for what, codes in parts.items() if not any(c in value for c in codes)]
        if lacking:
            raise click.BadParameter(f"{value!r} lacks {' and '.join(lacking)}; "
                                     "write it like %d/%m/%Y")
        try:  # a bad directive (%Q, a stray %) fails here, not while the files are read
            datetime.strptime(datetime(2001, 2, 3).strftime(value), value)
        except ValueError as exc:
            raise click.BadParameter(f"{value!r}: {exc}; write it like %d/%m/%Y") from None
    ctx.meta["date_format"] = value


def rejects_option(default: str | None) -> Callable:
    return click.option("--rejects", "rejects_path", type=click.Path(dir_okay=False,
                        path_type=Path), default=default, show_default=True,
                        callback=_rejects_folder_exists,
                        help="Where rejected rows are written (CSV: file, line, field, reason); "
                             "replaces only an earlier rejects file, never another file.")


def _rejects_folder_exists(ctx: click.Context, param: click.Parameter,
                           value: Path | None) -> Path | None:
    """A --rejects file goes into a folder that exists: a typo in its folder is a usage error,
    not a new folder made silently."""
    if value is not None and not value.parent.is_dir():
        raise click.BadParameter(f"{value}: its folder {value.parent} does not exist", ctx, param)
    return value


def neo4j_options(func: Callable) -> Callable:
    """Connection options; each falls back to its NEO4J_* variable, then the per-user file
    (graphaudit.settings: the places are read there, so errors can name them)."""
    decorators = [
        click.option("--uri", help="Bolt URI [env var: NEO4J_URI]."),
        click.option("--user", help="User name [env var: NEO4J_USERNAME]."),
        click.option("--password", help="Password, never printed [env var: NEO4J_PASSWORD]."),
        click.option("--database", help="Database name, default neo4j [env var: NEO4J_DATABASE]."),
    ]
    return _stacked(func, decorators)


def pseudonym_key_option(func: Callable) -> Callable:
    """``--pseudonym-key FILE``: the key of the pseudonyms (a file, never a value: ``ps`` and
    the shell history would show a value)."""
    return click.option(
        "--pseudonym-key", "key_file", envvar=KEY_ENV, show_envvar=True,
        type=InputFile(),
        help="File holding the key of the pseudonyms (#tags) and of --hash-identifiers "
             "(default: this installation's key, made on first use; see docs/security.md).",
    )(func)


def _secret(key_file: Path | None, data_dir: Path | None = None,
            files: tuple[Path | None, ...] = (), out: Path | None = None) -> bytes:
    """The pseudonym key of this command (``--pseudonym-key``, its variable, else the
    installation's), refused when it is weak, readable by others, one of the files the command
    reads (``data_dir``'s data files and ``files``: column map, hubs, previous clusters) or
    inside its output folder ``out`` (:func:`graphaudit.privacy.load_key`)."""
    from .records import find_files

    inputs = [*files, *(find_files(data_dir).values() if data_dir else ())]
    return load_key(key_file, inputs=inputs, out=out)


def _settings(uri, user, password, database) -> ConnectionSettings:
    return resolve_settings(uri=uri, user=user, password=password, database=database)


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

    try:
        yield advance
    finally:  # a failure's "Error: ..." starts a line of its own (REPORT5 item 10)
        if done:
            click.echo(err=True)


@contextmanager
def progress_bar(label: str, length: int, quiet: bool,
                 unit: str = "rows") -> Iterator[Callable[[int], None]]:
    """click's progress bar on stderr with count and rate; silent when not on a terminal."""
    if not _interactive(quiet) or length == 0:
        yield lambda n: None
        return
    started = time.monotonic()
    # The rate travels as the bar's "current item": click renders the bar once on entering,
    # before any update, so the function that shows it must not need the bar itself.
    with click.progressbar(length=length, label=label, file=sys.stderr, show_pos=True,
                           item_show_func=lambda rate: rate) as bar:

        def advance(n: int) -> None:
            rate = (bar.pos + n) / max(time.monotonic() - started, 1e-6)
            bar.update(n, f"{rate:,.0f} {unit}/s")

        yield advance


def emit_table(rows: list[dict], fmt: str, empty: str = "no rows") -> None:
    """Print rows as an aligned table, CSV or JSON (:func:`graphaudit.textformat.format_rows`);
    ``empty`` says why there are none (in a table: never a bare "no rows")."""
    click.echo(format_rows(rows, fmt, empty=empty), nl=False)


def _file_rows(reports: list[FileReport]) -> list[dict]:
    return [
        {
            "file": Path(r.path).name,
            "encoding": r.encoding or ("-" if r.empty_file else "parquet"),
            "read": r.read,
            "accepted": r.accepted,
            "rejected": r.rejected_total,
            "reasons": "; ".join(f"{reason}: {n}" for reason, n in sorted(r.rejected.items())),
            "values dropped": "; ".join(f"{column}: {n}"
                                        for column, n in sorted(r.dropped.items())),
        }
        for r in reports
    ]


# ---------------------------------------------------------------------------------------------
# Reading, shared by validate, load and analyze


def run_settings(encoding: str | None = None, column_map: Path | None = None,
                 strict: bool = False, show_pii: bool = False, secret: bytes | None = None,
                 connection: ConnectionSettings | None = None) -> Settings:
    """The :class:`~graphaudit.settings.Settings` of this command's options: --jobs,
    --date-format (kept by the group and its callback), and those given."""
    context = click.get_current_context(silent=True)
    if show_pii and context is not None:  # unmasked outputs: the folders made for them private
        _private_created_folders(context)
    return Settings(
        connection=connection or ConnectionSettings(), parallel=_parallel(), show_pii=show_pii,
        secret=secret, strict=strict, encoding=encoding,
        column_map=load_column_map(column_map) if column_map else None,
        date_format=context.meta.get("date_format") if context else None,
    )


def _tell(line: str) -> None:
    click.echo(line, err=True)


def run_events(quiet: bool) -> Events:
    """What a pipeline run tells, printed on stderr: stages, notes and progress (these only on
    a terminal and without --quiet)."""
    from .pipeline import Events

    return Events(stage=stage_printer(quiet), tell=_tell, counting=partial(counting, quiet=quiet),
                  progress=lambda label, total, unit: progress_bar(label, total, quiet, unit))


def finish_rejects(rejects: RejectsWriter, strict: bool) -> None:
    """Say where rejects went; under --strict, any reject fails the run."""
    from .pipeline import close_rejects

    close_rejects(rejects, strict, _tell)


def note_stale_rejects(rejects: RejectsWriter) -> None:
    """After a run with no rejects, an earlier run's rejects file at the same path would be
    read as this run's: say so. It is kept: it may be another data set's (validate or load of
    one directory, then --append of another), and nothing in it tells which.
    (In an --out folder, graphaudit.outputs' manifest removes what analyze and report wrote.)"""
    path = rejects.path
    if rejects.count or path is None:
        return
    if is_rejects_file(path):
        click.echo(f"Note: {path} holds the rejects of an earlier run, not this one's (this "
                   "run rejected nothing): kept, as it may be another data set's; delete it if "
                   "it was this data's", err=True)


# ---------------------------------------------------------------------------------------------
# Output folders (graphaudit.outputs: a manifest records the files each run wrote)


def announce_output_folder(out_dir: Path, family: str = "report") -> OutputRecord:
    """Say what an existing OUT will lose before anything is written; the run's record.
    `sample` refuses a folder holding input files it did not write (a real export)."""
    existing = survey(out_dir, family)
    if family == "sample":
        refuse_unrecorded_inputs(existing, is_input_name)
    for line in existing.notes():
        click.echo(line, err=True)
    return OutputRecord(out_dir, f"graphaudit {click.get_current_context().info_name}", family)


def finish_output_folder(record: OutputRecord, *written: Path | None) -> None:
    """Record the CLI's own files in OUT (rejects), remove the stale ones, write the manifest."""
    record.add(*(p for p in written if p is not None and p.is_file()))
    for line in record.commit().notes(record.folder):
        click.echo(line, err=True)


# ---------------------------------------------------------------------------------------------
# Commands


@main.command()
@input_options
@rejects_option("rejects.csv")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
def validate(data_dir, encoding, column_map, strict, show_pii, quiet, rejects_path, fmt):
    """Check DATA_DIR's files, print a summary per file, and write rejected rows."""
    from . import pipeline

    with json_errors(fmt):
        run = pipeline.run_check(data_dir, run_settings(encoding, column_map, strict, show_pii),
                                 rejects_path, run_events(quiet))
    rows = _file_rows(run.reports)
    if fmt != "json":  # the table before the notes on the rejects; JSON after them, below
        emit_table(rows, fmt, empty=f"no input files in {data_dir}: nothing was read")
    stop = None
    try:
        finish_rejects(run.rejects, strict)
        note_stale_rejects(run.rejects)
        if run.lost:
            raise DataError(f"{len(run.lost)} problem(s) past the {MAX_LOSS_SHARE:.0%} limit "
                            f"of lost rows or values: {'; '.join(run.lost)}")
    except DataError as error:
        stop = error
    if fmt == "json":  # one document: the files, or the stop after reading with the files
        click.echo(json.dumps({**stop.document(), "files": rows} if stop else rows,
                              ensure_ascii=False, indent=2))
    if stop is not None:
        raise stop


@main.command()
@input_options
@neo4j_options
@rejects_option("rejects.csv")
@click.option("--append", "mode", flag_value="append",
              help="Add to the data set(s) already in the database (same store id: merged).")
@click.option("--replace", "mode", flag_value="replace",
              help="Delete the graph first (as `graphaudit reset`), then load.")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True,
              help="json: one document (files, what was created, the data set).")
@click.option("--hash-identifiers", is_flag=True,
              help="Store keyed hashes instead of ID numbers, accounts, phones, e-mails and "
                   "holder names (queries hash their parameters the same way).")
@click.option("--bulk", is_flag=True,
              help="A new graph through Neo4j's bulk importer: the local server only "
                   "(make neo4j-start), into an empty database (or with --replace); the server "
                   "is stopped and started again around it. Later loads use MERGE.")
@click.option("--lift-suspensions", is_flag=True,
              help="Load the files' status over a suspension the graph holds (a banned store "
                   "the files call active or closed): refused without it, as an export older "
                   "than the ban would lift it; the earlier status stays as previous_status.")
@pseudonym_key_option
def load(data_dir, encoding, column_map, strict, show_pii, quiet, uri, user, password, database,
         rejects_path, mode, fmt, hash_identifiers, bulk, lift_suspensions, key_file):
    """Validate, normalize and load DATA_DIR into Neo4j, recorded as a :DataSet node.

    README.md ("What the graph stores") says what goes into the graph and why.

    Loading the same files again is harmless (idempotent): a load is recorded, incomplete,
    before it writes, so the plain rerun of an interrupted load completes it.
    DATA_DIR's files changed since they were loaded (sizes or times) are refused unless
    --replace, since merged over the old graph they would keep the links they dropped. A
    database that holds another data set is refused unless --append or --replace.
    """
    from . import pipeline

    settings = run_settings(encoding, column_map, strict, show_pii,
                            secret=_secret(key_file, data_dir, (column_map,)) if key_file
                            else None,
                            connection=_settings(uri, user, password, database))
    if bulk:
        if mode == "append":
            raise click.UsageError("--bulk writes a new graph: --append loads with MERGE "
                                   "(leave out --bulk)")
        if settings.connection.database != "neo4j":
            raise click.UsageError("--bulk imports into the local server's database neo4j")
    with json_errors(fmt):
        run = pipeline.run_load(data_dir, settings, mode=mode, bulk=bulk,
                                hash_identifiers=hash_identifiers, rejects=rejects_path,
                                events=run_events(quiet), lift_suspensions=lift_suspensions)
    summary, rejects = run.summary, run.rejects
    file_rows = _file_rows(run.reports)
    created = [{"created": "nodes", "name": k, "count": v}
               for k, v in sorted(summary.nodes_created.items())]
    created += [{"created": "relationships", "name": k, "count": v}
                for k, v in sorted(summary.relationships_created.items())]
    if fmt == "json":
        click.echo(json.dumps({"files": file_rows, "created": created, "rows": summary.rows,
                               "seconds": round(run.seconds, 1), "data_set": run.data_set,
                               "stale_clusters": run.stale, "merged_stores": run.merged,
                               "status_changes": run.status_changes,
                               "rejects": rejects.count},
                              ensure_ascii=False, indent=2, default=str))
    else:
        emit_table(file_rows, fmt, empty=f"no input files in {data_dir}: nothing was read")
        # a rerun or --append still writes the properties of what was there (a name, a
        # status changed in the export): "nothing new" read as "nothing changed" (REPORT4 14)
        emit_table(created, fmt, empty="no new node or relationship: those already there had "
                   "their properties written again from the files")
    click.echo(f"Loaded {summary.rows:,} rows in {run.seconds:.1f} s as data set "
               f"{run.data_set['data_set_id']}", err=True)
    if run.merged:
        click.echo(f"Note: {run.merged:,} store id(s) of {data_dir} were in the graph already "
                   "(another data set): merged, each one store with this load's name, brand, "
                   "marketplace, dates and status (the graph's where its file has no such "
                   "column) and the identifiers of both loads. If they "
                   "are different stores that share ids, load them into another database "
                   "(--database)", err=True)
    if run.stale:
        click.echo(f"Warning: {run.stale:,} clusters in the graph predate this load: run "
                   "`graphaudit cluster` to bring them up to date", err=True)
    finish_rejects(rejects, strict)
    note_stale_rejects(rejects)


@main.command()
@neo4j_options
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (for scripts).")
def reset(uri, user, password, database, yes):
    """Delete every node and relationship of the database (constraints and indexes stay).

    Deletes in batches, so it works on graphs of any size. Asks first unless --yes.
    """
    from .store import connect

    settings = _settings(uri, user, password, database)
    with connect(settings) as store:
        nodes = store.node_count()
        if not nodes:
            click.echo(f"Database {settings.database!r} at {settings.safe_uri} is already empty.")
            return
        sets = store.data_sets()
        sources = ", ".join(dict.fromkeys(d["source"] for d in sets))
        what = f"{nodes:,} nodes" + (f", data set(s) {sources}" if sets else "")
        if not yes and not click.confirm(
                f"Delete everything in database {settings.database!r} at {settings.safe_uri} "
                f"({what})?", default=False, err=True):
            click.echo("Nothing deleted (give --yes to reset without asking).", err=True)
            raise SystemExit(1)
        deleted = store.reset()
    click.echo(f"Deleted {deleted:,} nodes from database {settings.database!r}.")


@main.command()
@click.option("--stores", type=click.IntRange(min=1), required=True, help="How many stores.")
@click.option("--seed", type=click.IntRange(min=0), default=1, show_default=True,
              help="Random seed: it also draws the world's rates of every confounder.")
@click.option("--profile", type=click.Choice(["mixed", "adversarial", "clean", "legacy"]),
              default="mixed", show_default=True,
              help="How the rates are drawn (docs/benchmarks.md); legacy is the old single "
                   "world that sample_data/ was made with.")
@click.option("--out", "out_dir", type=OUTPUT_FOLDER, required=True)
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
def sample(stores, seed, profile, out_dir, quiet):
    """Generate a synthetic data directory of N stores, with its truth files.

    An --out folder holding a stores, identities, payments or addresses file (in any format:
    .csv, .tsv, .jsonl, .parquet, gzipped) that graphaudit did not write there (a real export)
    is refused (exit 2), never overwritten.
    """
    record = announce_output_folder(out_dir, "sample")
    with progress_bar("generating", stores, quiet, "stores") as advance:
        done = 0

        def report(stores_done: int) -> None:
            nonlocal done
            advance(stores_done - done)
            done = stores_done

        if profile == "legacy":
            from .synth.legacy import write_sample

            summary = write_sample(out_dir, stores=stores, seed=seed, progress=report)
        else:
            from .synth import write_world

            summary = write_world(out_dir, stores=stores, seed=seed, profile=profile,
                                  progress=report)
    finish_output_folder(record, *summary.paths.values())
    click.echo(f"Wrote {summary.stores:,} stores of {summary.operators:,} operators "
               f"({profile} world, seed {seed}) to {out_dir}")
    for name in ("identities", "payments", "addresses", "truth"):
        click.echo(f"  {name}: {getattr(summary, name):,} rows")
    if profile != "legacy":
        click.echo(f"  truth_shared: {summary.shared:,} shared values, truth_near: "
                   f"{summary.near:,} near pairs; rates in world.json")
    # REPORT9 item 8: else a newcomer's load drops every date of the world (legacy: ISO dates)
    if needs_date_format(written := getattr(summary, "date_format", "%Y-%m-%d")):
        click.echo(f"  dates written {written}: give --date-format {written} to validate, "
                   "load, analyze and explain --data")


def hubs_option(help_text: str = "CSV kind,identifier,action[,note]: action hub (never "
                "links) or link (always links).") -> Callable:
    """--hubs: the investigator's hub decisions (one option, its help told per command)."""
    return click.option("--hubs", "hubs_file", type=InputFile(), help=help_text)


def hub_and_previous_options(func: Callable) -> Callable:
    decorators = [
        hubs_option(),
        click.option("--previous", type=InputFile(),
                     help="A previous run's clusters.csv: clusters keep their ids."),
    ]
    return _stacked(func, decorators)


def stage_printer(quiet: bool) -> Callable[[str], None]:
    """Name each stage of the analysis on stderr as it starts (when interactive)."""
    if not _interactive(quiet):
        return lambda name: None
    started = time.monotonic()
    return lambda name: click.echo(f"[{time.monotonic() - started:6.1f}s] {name}", err=True)


ANALYZE_HELP = """Files -> clusters -> report, in process (no server needed).

\b
Writes to OUT: clusters.csv, cluster_summary.csv, evidence.csv,
hubs.csv, links.csv, possible_links.csv, model.json, index.html
and rejects.csv (when rows were rejected).

\b
Risk score (0-100) of a cluster, the sum of:
  suspended member     25  a store of the cluster is suspended
  reopened after ban   25  an active store opened after a member's suspension
  brand variant        15  a member opened under a variant of a suspended
                           brand within a year after a suspension of it
  burst                10  3+ members opened within 7 days
  size               0-10  10 x log10(size) / 3, capped at 1,000 stores
  distinct ID holders 0-15 15 x (holders - 1) / 9, capped at 10 holders
links.csv: each merge with its weighed evidence; possible_links.csv:
leads between clusters, never merged; model.json: the evidence weights
learned from the data (--explain-model prints them). See
docs/linkage.md for how the weights are learned and used.
"""


@main.command(help=ANALYZE_HELP)
@input_options
@click.option("--out", "out_dir", type=OUTPUT_FOLDER,
              required=True, help="Output directory.")
@rejects_option(None)
@hub_and_previous_options
@click.option("--max-pages", type=click.IntRange(min=0), default=None,
              help="Write cluster pages for only the N riskiest clusters (default: all).")
@pseudonym_key_option
@click.option("--explain-model", is_flag=True,
              help="Print the evidence weights learned from the data (also in OUT/model.json).")
def analyze(data_dir, encoding, column_map, strict, show_pii, quiet, out_dir, rejects_path,
            hubs_file, previous, max_pages, key_file, explain_model):
    from . import pipeline

    run = pipeline.run_files(
        data_dir, out_dir,
        run_settings(encoding, column_map, strict, show_pii,
                     secret=_secret(key_file, data_dir, (column_map, hubs_file, previous),
                                    out_dir)),
        hubs=hubs_file, previous=previous, max_pages=max_pages, rejects=rejects_path,
        command="graphaudit analyze", events=run_events(quiet))
    result = run.analysis
    model = result.linkage.resolution.model
    if model.source != "estimated":
        click.echo(f"Note: the evidence could not be weighed from this data ({model.message}); "
                   "see docs/linkage.md for the default weights.", err=True)
    if explain_model:
        print_model(result)
    multi = int((result.clusters["size"] >= 2).sum())
    possible = 0 if result.possible_links is None else len(result.possible_links)
    click.echo(f"{len(result.stores):,} stores, {multi:,} clusters of two or more stores, "
               f"{possible:,} possible links, {len(result.hubs):,} hubs, "
               f"{run.rejects:,} rejects")
    click.echo(f"Results: {out_dir}/ (open {out_dir / 'index.html'})")


def print_model(result) -> None:
    """The learned weights: how they were estimated, and m, u and the weight of every level."""
    from .analysis import model_report

    report = model_report(result)
    click.echo(f"Evidence weights ({report['source']}): {report['message']}")
    click.echo(f"prior {report['prior_bits']:+.2f} bits; merge at a total of "
               f"{report['merge_threshold_bits']:+.2f}, possible link at "
               f"{report['possible_link_threshold_bits']:+.2f}")
    rows = [{"comparison": name, "level": level, "m": f"{v['m']:.4g}", "u": f"{v['u']:.4g}",
             "weight": f"{v['weight_bits']:+.1f}"}
            for name, levels in report["comparisons"].items() for level, v in levels.items()]
    emit_table(rows, "table")
    decided = report["decided"]
    click.echo(f"{decided['merges']:,} merges in {decided['rounds']} round(s), "
               f"{decided['weak_cuts_undone']:,} weak cuts undone, "
               f"{decided['possible_links']:,} possible links, {decided['hubs']:,} hubs")
    if "returns" in report:
        back = report["returns"]
        click.echo(f"returns after a ban: {back['possible_links_after_ban']:,} possible links "
                   f"after bans, {back['possible_links_before_ban']:,} before; weight "
                   f"{back['weight_bits']:+.2f} bits; {back['merges']:,} merges")


@main.command()
@neo4j_options
@click.option("--out", "out_dir", type=OUTPUT_FOLDER,
              help="Also write the output files here.")
@hubs_option("CSV kind,identifier,action[,note] (see analyze --help).")
@click.option("--show-pii", is_flag=True, help="Do not mask personal data in outputs.")
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
@pseudonym_key_option
def cluster(uri, user, password, database, out_dir, hubs_file, show_pii, quiet, key_file):
    """Cluster the graph in Neo4j and write the clusters back (:Cluster, MEMBER_OF)."""
    from . import pipeline

    settings = run_settings(show_pii=show_pii, secret=_secret(key_file, files=(hubs_file,),
                                                              out=out_dir),
                            connection=_settings(uri, user, password, database))
    run = pipeline.run_cluster(settings, out_dir, hubs=hubs_file, command="graphaudit cluster",
                               events=run_events(quiet))
    result = run.analysis
    multi = int((result.clusters["size"] >= 2).sum())
    click.echo(f"{len(result.stores):,} stores in {len(result.clusters):,} clusters "
               f"({multi:,} of two or more stores), {len(result.hubs):,} hubs; "
               "written back to Neo4j")


@contextmanager
def json_errors(fmt: str) -> Iterator[None]:
    """Under ``--format json``, an error is also one JSON document on stdout, so a script
    always reads exactly one document: the message, the exit code and, where the error is in
    an input file, the file, line and field (null when not known). The message still goes to
    stderr with its exit code."""
    try:
        yield
    except GraphauditError as exc:
        if fmt == "json":
            click.echo(json.dumps(exc.document(), ensure_ascii=False, indent=2))
        raise
    except OSError as exc:
        if fmt == "json" and exc.filename:  # a file that could not be read or written: exit 1
            click.echo(json.dumps({"error": f"{exc.filename}: {exc.strerror}", "exit_code": 1,
                                   "file": str(exc.filename), "line": None, "field": None},
                                  ensure_ascii=False, indent=2))
        raise


@main.command()
@click.argument("store_ids", nargs=-1, required=True)
@click.option("--data", "data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Explain from a data directory instead of Neo4j.")
@reading_options
@hubs_option("The same --hubs file given to `analyze` or `cluster`, if any.")
@neo4j_options
@click.option("--show-pii", is_flag=True, help="Do not mask personal data.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True,
              help="json: one document in every case, errors included. (No csv: an "
                   "explanation is sentences and several tables.)")
@pseudonym_key_option
def explain(store_ids, data_dir, encoding, column_map, hubs_file, uri, user, password, database,
            show_pii, fmt, key_file):
    """The evidence that links STORE_ID to another store, or to its cluster.

    With two store ids, prints the chain of shared identifiers between them; when they are not
    linked, what they share and how each shared value was judged (hub, ...), the near matches
    that fell below the threshold, and the cluster of each.

    Give the options the clusters were made with: --hubs (and, with --data, --encoding,
    --columns and --date-format as given to `analyze`); without them the explanation is of
    other clusters than those of clusters.csv.
    """
    from . import pipeline

    if len(store_ids) > 2:
        raise click.UsageError("give one or two store ids")
    if len(store_ids) == 2 and store_ids[0] == store_ids[1]:
        raise click.UsageError("give two different store ids (or one, for its cluster)")
    if not data_dir and (encoding or column_map or
                         click.get_current_context().meta.get("date_format")):
        raise click.UsageError("--encoding, --columns and --date-format read a data directory: "
                               "give --data DIR")
    with json_errors(fmt):
        connection = None if data_dir else _settings(uri, user, password, database)
        secret = _secret(key_file, data_dir, (column_map, hubs_file))
        settings = run_settings(encoding, column_map, show_pii=show_pii, secret=secret,
                                connection=connection)
        found = pipeline.run_explain(store_ids, settings, data_dir, run_events(quiet=True),
                                     hubs=hubs_file)
    if fmt == "json":
        click.echo(json.dumps(found, ensure_ascii=False, indent=2, default=str))
        return
    _print_explanation(found, fmt)


def _print_explanation(found: dict, fmt: str) -> None:
    """The explanation of :func:`graphaudit.explain.explain_stores` as text and tables."""
    clusters = found["clusters"]
    if found["linked"] is None:
        store = found["stores"][0]
        click.echo(f"{store} is in cluster {clusters[store]}.")
        if found["evidence"]:
            emit_table(found["evidence"], fmt, empty="")
        else:
            click.echo("(no shared identifier links it to another store)")
        return
    a, b = found["stores"]
    if found["linked"]:
        click.echo(f"{a} and {b} are linked in cluster {clusters[a]} by a chain of "
                   f"{len(found['path'])} merge(s), each with its strongest evidence:")
        if found["path"]:
            emit_table(found["path"], fmt, empty="the same store")
        if found.get("shared"):
            click.echo(f"{a} and {b} also share directly (the chain above is how the cluster "
                       "was merged, not the shortest one):")
            emit_table(found["shared"], fmt, empty="")
        return
    click.echo(f"{a} and {b} are not linked: {a} is in cluster {clusters[a]}, "
               f"{b} in cluster {clusters[b]}.")
    if not found["shared"] and not found["near_matches"]:
        click.echo("They share no identifier, and no near match between their identifiers "
                   "was weighed.")
    if found["shared"]:
        click.echo("Values they share, and why none of them links them:")
        emit_table(found["shared"], fmt, empty="")
    if found["near_matches"]:
        click.echo("Near matches between their identifiers, weighed and not accepted:")
        emit_table([{**m, "identifiers": " ~ ".join(m["identifiers"])}
                    for m in found["near_matches"]], fmt, empty="")


# ---------------------------------------------------------------------------------------------
# The query library (cypher/*.cypher; graphaudit/queries/; docs/queries.md)


@main.command()
@click.argument("name", required=False, metavar="NAME|FILE")
@click.option("-p", "--param", "params", multiple=True, metavar="KEY=VALUE",
              help="A parameter of the query; repeat for each.")
@click.option("--list", "list_only", is_flag=True, help="List the queries and their parameters.")
@click.option("--write", is_flag=True, help="Allow a query that writes to the graph.")
@click.option("--show-pii", is_flag=True, help="Do not mask personal data.")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@click.option("--timeout", type=Seconds(), default=300,
              show_default=True, help="Stop the query after this many seconds.")
@neo4j_options
@pseudonym_key_option
def query(name, params, list_only, write, show_pii, fmt, timeout, uri, user, password, database,
          key_file):
    """Run a query of the library (cypher/) by NAME, or a .cypher FILE; read-only.

    \b
    graphaudit query --list
    graphaudit query path-between -p a=S0000041 -p b=S0000189
    graphaudit query identifier-stores -p kind=phone -p "value=138 0013 8000"

    Parameters are typed and identifiers are normalized like the data; a query that writes is
    refused unless --write. docs/queries.md describes every query.

    Output is masked by what each value is (a key, a spelling, or a key turned into a number).
    Masking guards against showing personal data by accident, not against the query's author:
    a query that computes pieces of a value (substring, split, replace) gets them in clear.
    Read a .cypher file from someone else before running it (docs/security.md).

    Neo4j's warnings go to stderr, except, for the library's own queries, that a label,
    relationship type or property does not exist: they name optional parts of the graph
    (SIMILAR_TO only where near-duplicate addresses were found).
    """
    import logging
    import shutil

    from . import queries
    from .store import connect

    if list_only:
        if fmt == "json":
            click.echo(json.dumps(queries.list_queries(), ensure_ascii=False, indent=2))
        else:
            rows = queries.listing_rows(queries.load_library())
            click.echo(queries.format_result(["name", "parameters", "description"], rows, fmt),
                       nl=False)
        return
    if not name:
        raise click.UsageError("give a query NAME or FILE (graphaudit query --list shows them)")
    chosen = queries.find_query(name)
    given = queries.parse_assignments(params)
    queries.bind_parameters(chosen, given)  # a bad parameter fails before connecting
    query_file = chosen.path if isinstance(chosen.path, Path) else None
    # Server notifications come back in the result (printed below), not as log records.
    logging.getLogger("neo4j.notifications").addHandler(logging.NullHandler())
    with connect(_settings(uri, user, password, database)) as store:
        result = queries.run_query(store, chosen, given, write=write, show_pii=show_pii,
                                   timeout=timeout,
                                   secret=_secret(key_file, files=(query_file,)))
    for warning in result.warnings:
        click.echo(f"Warning from Neo4j: {warning}", err=True)
    if result.counters:
        changed = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in result.counters.items())
        click.echo(f"Changed the graph: {changed}", err=True)
    for hint in result.hints if fmt != "table" else ():
        click.echo(f"Hint: {hint}", err=True)
    text = queries.format_result(result.columns, result.rows, fmt)
    if fmt == "table" and result.hints:
        text += "".join(f"Hint: {hint}\n" for hint in result.hints)
    lines = text.count("\n")
    if fmt == "table" and sys.stdout.isatty() and lines > shutil.get_terminal_size().lines - 2:
        click.echo_via_pager(printable(text))
    else:
        click.echo(text, nl=False)


@main.command()
@neo4j_options
@click.option("--out", "out_dir", type=OUTPUT_FOLDER,
              required=True, help="Output directory.")
@click.option("--cluster", "cluster_id", metavar="ID",
              help="Write only this cluster's page (with the index and the CSV files).")
@hubs_option("The same --hubs file given to `graphaudit cluster`, if any.")
@click.option("--show-pii", is_flag=True, help="Do not mask personal data in outputs.")
@click.option("--max-pages", type=click.IntRange(min=0), default=None,
              help="Write cluster pages for only the N riskiest clusters (default: all).")
@click.option("--standalone", is_flag=True,
              help="With --cluster: one self-contained page to hand over (scripts and styles "
                   "inside; no assets folder).")
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
@pseudonym_key_option
def report(uri, user, password, database, out_dir, cluster_id, hubs_file, max_pages, show_pii,
           standalone, quiet, key_file):
    """HTML report (and CSV files) from the graph in Neo4j, with the cluster ids `cluster` wrote.

    Reads the stores and identifiers back, re-runs the analysis with the clusters stored in Neo4j
    as the previous run (so ids match), and writes the files of `analyze`: index.html,
    clusters/<cluster_id>.html, clusters.csv, cluster_summary.csv, evidence.csv, hubs.csv,
    links.csv, possible_links.csv and model.json.

    Give it the --hubs file `cluster` was given: a run whose clusters differ from those stored
    (on a graph unchanged since `cluster`) is refused (exit 1).
    """
    from . import pipeline

    if standalone and cluster_id is None:
        raise click.UsageError("--standalone writes one cluster's page: give --cluster ID")
    settings = run_settings(show_pii=show_pii, secret=_secret(key_file, files=(hubs_file,),
                                                              out=out_dir),
                            connection=_settings(uri, user, password, database))
    run = pipeline.run_report(out_dir, settings, hubs=hubs_file, only_cluster=cluster_id,
                              max_pages=max_pages, standalone=standalone,
                              command="graphaudit report", events=run_events(quiet))
    for line in run.graph.not_assessed:
        click.echo(f"Warning: {line}", err=True)
    result = run.analysis
    multi = int((result.clusters["size"] >= 2).sum())
    click.echo(f"{len(result.stores):,} stores, {multi:,} clusters of two or more stores, "
               f"{len(result.hubs):,} hubs; wrote {run.pages:,} cluster page(s)")
    if standalone:
        from .report import page_name

        click.echo(f"Standalone page: {out_dir / 'clusters' / page_name(cluster_id)}")
    click.echo(f"Report: {out_dir / 'index.html'}")


@main.command("new-key")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def new_key_command(path):
    """Write a new pseudonym key to PATH (mode 600; never overwrites).

    Give it with --pseudonym-key PATH (or GRAPHAUDIT_PSEUDONYM_KEY_FILE=PATH) to make a case's
    tags and hashes unlinkable to other cases; share the file to make them match
    (docs/security.md).
    """
    from .privacy import key_id, new_key

    new_key(path)
    click.echo(f"Wrote a new pseudonym key to {path} (key id {key_id(load_key(path))})")


@main.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@neo4j_options
@click.argument("shell_args", nargs=-1, type=click.UNPROCESSED, metavar="[CYPHER-SHELL ARGS]...")
def shell(uri, user, password, database, shell_args):
    """Open cypher-shell on the graph, logged in with the saved credentials.

    `make neo4j-start` fetches cypher-shell with the server. The password reaches it in its
    environment, never on a command line. Arguments after the options go to cypher-shell
    (e.g. `graphaudit shell --format plain < queries.cypher`; `-- --help` shows its own).

    cypher-shell's own -a/--address/--uri, -u/--username, -p/--password, -d/--database and
    --impersonate are refused: they would log in with the saved password wherever they point;
    graphaudit's --uri, --user and --database choose the server instead.

    Unlike `graphaudit query`, the shell is a full client, NOT read-only: it can change or
    delete the graph, as far as the Neo4j user may (docs/security.md).
    """
    import os

    from .shell import check_shell_args, find_cypher_shell, shell_environment
    from .store import connect

    check_shell_args(shell_args)
    settings = _settings(uri, user, password, database)
    program = find_cypher_shell()
    # cypher-shell exits 1 for every failure: a server that is down or refuses the login is
    # found here first, so it exits 3 with graphaudit's one line, as every command does
    connect(settings).close()
    env = shell_environment(settings)
    sys.stdout.flush()
    # exec: cypher-shell gets the terminal, Ctrl-C and the exit code
    os.execvpe(str(program), [str(program), *shell_args], env)
