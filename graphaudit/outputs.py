"""The files graphaudit writes into an output folder, recorded so that a rerun replaces its own
files, removes the ones it no longer writes, and never touches anything else.

Every run that writes into OUT (``analyze``, ``cluster --out``, ``report``, ``sample``) ends by
writing ``OUT/.graphaudit-manifest.json``: the command, the time, and each file it wrote
(relative path, size, modification time, and the family of commands that wrote it). The next
run into OUT reads it:

* before writing, :func:`survey` tells what the folder holds: the earlier run's files (they are
  overwritten or removed), files it wrote that were changed since, and files of others;
* after writing, :meth:`OutputRecord.commit` removes the files the earlier run recorded and this
  run did not write (an old ``rejects.csv``, pages of clusters that no longer exist), then
  writes the new manifest.

A file is removed only when all of these hold: the manifest names it; its name is one graphaudit
writes (:func:`is_own_name`: a planted or edited manifest cannot name ``notes.docx`` or
``../x``); it is a regular file inside OUT (not a link, not reached through one); and its size
and modification time are those recorded, i.e. nobody changed it since. A folder without a
manifest (written by an older graphaudit, or by someone else) loses nothing but the files of the
same names that the new run writes.

Files are removed only by a run of the family that wrote them: ``analyze``, ``cluster`` and
``report`` write the same report files (family ``report``); ``sample`` writes a data directory
(family ``sample``). So ``analyze DIR --out DIR`` on a sampled DIR never removes its input.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from . import __version__
from .errors import ConfigError, DataError

__all__ = ["MANIFEST", "SAMPLE_FILES", "Existing", "OutputRecord", "Removal",
           "ensure_output_folder", "files",
           "is_own_name", "private_outputs", "refuse_unrecorded_inputs", "summarize", "survey"]

MANIFEST = ".graphaudit-manifest.json"
#: the files ``sample`` writes (a data directory), by what they hold: the record files, the
#: truth files and the world's rates (graphaudit.synth writes them under these names)
SAMPLE_FILES = {
    "stores": "stores.csv", "identities": "identities.csv", "payments": "payments.csv",
    "addresses": "addresses.csv", "truth": "truth.csv", "truth_shared": "truth_shared.csv",
    "truth_near": "truth_near.csv", "world": "world.json",
}
#: the names only ``sample`` writes: an ``analyze DIR --out DIR`` never overwrites them, and
#: its notes must not say it might (REPORT4 item 11)
SAMPLE_ONLY_FILES = frozenset(SAMPLE_FILES.values())
#: the files graphaudit writes at the top of an output folder: analyze, cluster and report;
#: then sample
OWN_FILES = frozenset({
    "index.html", "clusters.csv", "cluster_summary.csv", "evidence.csv", "hubs.csv",
    "links.csv", "possible_links.csv", "model.json", "rejects.csv",
}) | SAMPLE_ONLY_FILES
#: pages in a sub-folder: clusters/<page>.html (names as report.page_name makes them)
_OWN_PAGE = re.compile(r"clusters/[A-Za-z0-9._-]{1,200}\.html")
#: what the pages share: assets/<name>.css (graphaudit.report.assets)
_OWN_ASSET = re.compile(r"assets/[a-z-]{1,40}\.css")


def is_own_name(relative: str) -> bool:
    """Whether ``relative`` (a POSIX path inside OUT) is a name graphaudit writes."""
    return relative in OWN_FILES or bool(_OWN_PAGE.fullmatch(relative)
                                         or _OWN_ASSET.fullmatch(relative))


@dataclass(frozen=True)
class _Entry:
    path: str
    size: int
    mtime_ns: int
    family: str = "report"


@dataclass
class Existing:
    """What an output folder holds before a run writes into it."""

    folder: Path
    earlier: list[str] = field(default_factory=list)  # files of the earlier run, unchanged
    #: files graphaudit recorded writing by a command of another family: kept
    other_family: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # files it wrote, changed since: kept
    others: list[str] = field(default_factory=list)  # anything else: kept
    family: str = "report"  # the family of the run about to write (what it may overwrite)
    command: str = ""  # the earlier run's command and time, from its manifest
    written_at: str = ""
    has_manifest: bool = False

    @property
    def empty(self) -> bool:
        return not (self.earlier or self.changed or self.others)

    def notes(self) -> list[str]:
        """What a run writing into the folder will do to what it holds: one line each, to say
        before anything is written."""
        out, lines = self.folder, []
        if self.earlier:
            when = (f"`{self.command}`, {self.written_at}" if self.command
                    else "an earlier run")
            lines.append(f"Note: {out}/ holds the output of an earlier run ({when}): its "
                         f"{files(len(self.earlier))} ({summarize(self.earlier)}) are "
                         "replaced, and those this run does not write again are removed.")
        if self.changed:
            lines.append(f"Note: {files(len(self.changed))} graphaudit wrote there were "
                         f"changed since ({summarize(self.changed)}): overwritten if this run "
                         "writes them again, otherwise kept.")
        if self.other_family:
            lines.append(f"Note: {out}/ also holds {files(len(self.other_family))} another "
                         f"graphaudit command wrote ({summarize(self.other_family)}): they are "
                         "kept.")
        if self.others:
            named = [n for n in self.others if is_own_name(n)
                     and (self.family == "sample" or n not in SAMPLE_ONLY_FILES)]
            lines.append(f"Note: {out}/ holds {files(len(self.others))} graphaudit has no "
                         "record of writing: they are kept"
                         + (f", except those named like its outputs ({summarize(named)}), "
                            "which are overwritten if this run writes them." if named else "."))
        return lines


def refuse_unrecorded_inputs(existing: Existing, is_input: Callable[[str], bool]) -> None:
    """Refuse (ConfigError, exit 2) to write a data directory into a folder holding input files
    (``is_input``: :func:`graphaudit.records.is_input_name`, any kind in any format) graphaudit
    has no record of writing (or that were changed since): a real export given as ``--out`` by
    mistake would be replaced, irreversibly, by synthetic data, or (a ``stores.parquet``
    beside the ``stores.csv`` written) left unreadable, two files of one kind."""
    found = sorted(n for n in (*existing.others, *existing.changed, *existing.other_family)
                   if is_input(n))
    if found:
        raise ConfigError(f"--out {existing.folder}/ holds input files graphaudit did not write "
                          f"there, or that changed since ({summarize(found)}): they would be "
                          "overwritten, or read beside the ones written; give an empty or new "
                          "folder (or remove them first)")


def _read_manifest(folder: Path) -> tuple[dict, list[_Entry]]:
    """The manifest's header and its usable entries; a missing or unreadable one is empty."""
    path = folder / MANIFEST
    try:
        if not path.is_file() or path.is_symlink():
            return {}, []
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = [_Entry(str(e["path"]), int(e["size"]), int(e["mtime_ns"]),
                          str(e.get("family", "report"))) for e in data.get("files", [])]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}, []
    return data, [e for e in entries if is_own_name(e.path)]


def _regular_inside(folder: Path, relative: str) -> Path | None:
    """``folder/relative`` when it is a regular file reached without links, else None."""
    parts = PurePosixPath(relative).parts
    if not parts or any(p in ("", ".", "..") for p in parts) or relative.startswith("/"):
        return None
    path = folder
    for part in parts:
        path = path / part
        try:
            mode = path.lstat().st_mode
        except OSError:
            return None
        if stat.S_ISLNK(mode):
            return None
    return path if stat.S_ISREG(mode) else None


def _unchanged(path: Path, entry: _Entry) -> bool:
    info = path.lstat()
    return info.st_size == entry.size and info.st_mtime_ns == entry.mtime_ns


def _files_in(folder: Path) -> list[str]:
    """Every file under ``folder`` (not following links), as sorted POSIX relative paths."""
    found = []
    for top, _, names in os.walk(folder, followlinks=False):
        for name in names:
            relative = (Path(top) / name).relative_to(folder).as_posix()
            if relative != MANIFEST:
                found.append(relative)
    return sorted(found)


def survey(folder: Path, family: str = "report") -> Existing:
    """What ``folder`` holds now, and which of it an earlier graphaudit run of ``family``
    wrote (those files are this run's to replace or remove)."""
    header, entries = _read_manifest(folder)
    existing = Existing(folder=folder, family=family, command=str(header.get("command", "")),
                        written_at=str(header.get("written_at", "")), has_manifest=bool(header))
    recorded = {e.path: e for e in entries}
    for relative in _files_in(folder):
        entry = recorded.get(relative)
        path = _regular_inside(folder, relative) if entry else None
        if entry is None or path is None:
            existing.others.append(relative)
        elif entry.family != family:
            existing.other_family.append(relative)
        elif _unchanged(path, entry):
            existing.earlier.append(relative)
        else:
            existing.changed.append(relative)
    return existing


@dataclass
class Removal:
    """What :meth:`OutputRecord.commit` did with the earlier run's files this run did not write."""

    removed: list[str] = field(default_factory=list)
    kept_changed: list[str] = field(default_factory=list)  # changed since: left in place

    def notes(self, folder: Path) -> list[str]:
        """What the commit removed from ``folder`` and what it kept: one line each."""
        lines = []
        if self.removed:
            lines.append(f"Removed {files(len(self.removed))} an earlier run wrote into "
                         f"{folder}/ and this one did not: {summarize(self.removed)}")
        if self.kept_changed:
            lines.append(f"Kept {files(len(self.kept_changed))} of an earlier run that were "
                         f"changed since it wrote them: {summarize(self.kept_changed)}")
        return lines


class OutputRecord:
    """The files one run writes into ``folder``; :meth:`commit` ends the run (see the module)."""

    def __init__(self, folder: Path, command: str, family: str = "report") -> None:
        self.folder = Path(folder)
        self.command = command
        self.family = family
        #: a partial run (one cluster's page) supersedes nothing: the earlier files stay
        #: recorded and nothing is removed
        self.keep_earlier = False
        self._written: set[str] = set()

    def add(self, *paths: Path | str) -> None:
        """Record files this run wrote; a path outside the folder is not the folder's business.

        Raises ValueError for a name graphaudit does not declare in :data:`OWN_FILES`: the list
        must name every file the tool writes, or a rerun could not clean up after it.
        """
        root = self.folder.absolute()
        for path in paths:
            try:
                relative = Path(path).absolute().relative_to(root).as_posix()
            except ValueError:
                continue
            if not is_own_name(relative):
                raise ValueError(f"{relative}: not a file name graphaudit declares it writes "
                                 "(graphaudit.outputs.OWN_FILES)")
            self._written.add(relative)

    def commit(self) -> Removal:
        """Remove the earlier run's unchanged files this run did not write; write the manifest."""
        _, entries = _read_manifest(self.folder)
        removal = Removal()
        carried: list[_Entry] = []
        for entry in entries:
            if entry.path in self._written:
                continue
            if entry.family != self.family:
                carried.append(entry)  # another command's file: not this run's to remove
                continue
            path = _regular_inside(self.folder, entry.path)
            if path is None or not _unchanged(path, entry):
                if path is not None:
                    removal.kept_changed.append(entry.path)
            elif self.keep_earlier:
                carried.append(entry)
            else:
                path.unlink()
                removal.removed.append(entry.path)
        if self.keep_earlier:
            removal.kept_changed.clear()  # nothing was up for removal
        self._remove_empty_page_folder()
        self._write_manifest(carried)
        return removal

    def _remove_empty_page_folder(self) -> None:
        pages = self.folder / "clusters"
        if pages.is_dir() and not pages.is_symlink() and not any(pages.iterdir()):
            pages.rmdir()

    def _write_manifest(self, carried: list[_Entry]) -> None:
        listed = [{"path": e.path, "size": e.size, "mtime_ns": e.mtime_ns, "family": e.family}
                  for e in carried]
        for relative in sorted(self._written):
            path = _regular_inside(self.folder, relative)
            if path is not None:
                info = path.lstat()
                listed.append({"path": relative, "size": info.st_size,
                               "mtime_ns": info.st_mtime_ns, "family": self.family})
        listed.sort(key=lambda f: f["path"])
        data = {"tool": "graphaudit", "version": __version__, "command": self.command,
                "written_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
                "files": listed}
        self.folder.mkdir(parents=True, exist_ok=True)
        temporary = self.folder / (MANIFEST + ".tmp")
        temporary.unlink(missing_ok=True)  # never write through a link planted there
        with open(temporary, "x", encoding="utf-8") as handle:
            handle.write(json.dumps(data, indent=1) + "\n")
        temporary.replace(self.folder / MANIFEST)


#: the files analyze and report write into OUT (beside the clusters/ and assets/ folders)
OUTPUT_FILES = ("clusters.csv", "cluster_summary.csv", "evidence.csv", "hubs.csv", "links.csv",
                "possible_links.csv", "model.json", "index.html")


def check_rejects_not_an_output(rejects: Path, out: Path) -> None:
    """Refuse a rejects file that the run's own outputs would overwrite (``--out o --rejects
    o/clusters.csv``: the rejects would be lost without a word)."""
    where = rejects.absolute().parent
    folder = out.absolute()
    inside = {folder / "clusters", folder / "assets"} & {where, *where.parents}
    if inside or (where == folder and rejects.name in OUTPUT_FILES):
        raise ConfigError(f"--rejects {rejects} is one of the outputs written into {out}: the "
                          "rejects would be overwritten; give another name (the default is "
                          f"{out / 'rejects.csv'})")


def files(n: int) -> str:
    """``1 file``, ``2 files``."""
    return f"{n:,} file{'' if n == 1 else 's'}"


def summarize(names: Iterable[str], limit: int = 12) -> str:
    """``a.csv, b.csv, 275 cluster pages``: files by name, cluster pages counted."""
    names = list(names)
    pages = [n for n in names if n.startswith("clusters/")]
    shown = [n for n in names if not n.startswith("clusters/")]
    parts = shown[:limit] + ([f"{len(shown) - limit} more"] if len(shown) > limit else [])
    if pages:
        parts.append(f"{len(pages):,} cluster page{'s' if len(pages) != 1 else ''}")
    return ", ".join(parts)


#: the sub-folders of an output folder that graphaudit makes and fills (report pages, assets)
OWN_FOLDERS = ("clusters", "assets")


@contextmanager
def private_outputs(folder: Path | None, active: bool = True) -> Iterator[None]:
    """While active (``--show-pii``: the files hold personal data unmasked), every file and
    folder this process and its forked children create is the user's alone (umask 077: files
    600, folders 700), and the files of ``folder`` that graphaudit writes and that are already
    there (an earlier run's, about to be overwritten in place) are made 600 first, its
    ``clusters/`` and ``assets/`` folders 700. A link is left alone: it is replaced, never
    written through. The umask is the process's: restored on the way out.
    """
    if not active:
        yield
        return
    umask = os.umask(0o077)
    try:
        if folder is not None:
            make_private(folder)
        yield
    finally:
        os.umask(umask)


def make_private(folder: Path) -> None:
    """Make the files analyze and report write into ``folder`` 600, and their sub-folders
    (and the files in them) 700 and 600; links, and files of other names (a data directory's
    too), are left as they are."""
    def private(path: Path, mode: int) -> None:
        try:
            info = path.lstat()
        except OSError:
            return
        if stat.S_ISLNK(info.st_mode) or stat.S_IMODE(info.st_mode) & 0o077 == 0:
            return
        if stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode):
            os.chmod(path, stat.S_IMODE(info.st_mode) & mode)

    for name in (*OUTPUT_FILES, "rejects.csv"):  # never a data directory's files
        private(folder / name, 0o600)
    for name in OWN_FOLDERS:
        sub = folder / name
        if sub.is_dir() and not sub.is_symlink():
            private(sub, 0o700)
            for entry in os.scandir(sub):
                private(Path(entry.path), 0o600)


def ensure_output_folder(out: Path) -> Path:
    """Create the output folder ``out`` when missing and check that files can be written in it.

    Raises DataError naming the folder and why (under a file, in /proc or /sys, read-only, no
    permission), before any work is done.
    """
    if out.exists() and not out.is_dir():
        raise DataError(f"{out}: not a folder (a file of that name exists)")
    probe = out / f".graphaudit-write-check-{os.getpid()}"
    try:
        out.mkdir(parents=True, exist_ok=True)
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
        probe.unlink()
    except OSError as exc:
        raise DataError(f"{out}: cannot write files there ({exc.strerror})") from None
    return out
