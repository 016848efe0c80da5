"""Input files -> numbered records, a bounded chunk at a time.

- :func:`list_files` finds the files of an input: one file, or the files under the input folder matching
  ``input.pattern`` (resolved inside the folder; a file reached through a symlink that leads outside is refused).
- :func:`iter_text_records` reads a text file (gzip or not) in blocks, decodes it with the mapping's encoding
  (any codec Python knows, UTF-16 with its BOM included: bytes are decoded before lines are split) and yields Arrow
  arrays of records with the physical line number where each starts. With quoting on, a quoted value may hold line
  breaks (RFC 4180): such a record spans lines and keeps its first line's number; a quote still open at the end of
  the file (or after ``MAX_RECORD_LINES`` lines) closes the record there, and the parser rejects it.
- :func:`iter_chunks` packs the records of many files into chunks of at most ``chunk_lines`` records, so that
  memory is bounded by the chunk size whatever the size of the input.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from warehouse.errors import InputError
from warehouse.importer.fields import InputSpec

READ_BLOCK_BYTES = 16 * 1024 * 1024
MAX_RECORD_LINES = 10_000
LINES_SCHEMA = pa.schema(
    [("file_id", pa.int32()), ("line_no", pa.int64()), ("line", pa.string()), ("unclosed", pa.bool_())]
)


@dataclass
class InputFile:
    """One input file: its name relative to the input folder, and what identifies this version of it."""

    file_id: int
    role: str
    name: str
    path: Path
    size: int
    modified_at: datetime
    header: list[str] | None = None
    records: int = 0
    blank_lines: int = 0
    empty: bool = True  # no line at all (a header alone is not empty)

    @property
    def key(self) -> tuple[str, str, int, datetime]:
        return (self.role, self.name, self.size, self.modified_at)


def _natural_key(text: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def list_files(inp: InputSpec) -> list[tuple[str, Path]]:
    """``(name, path)`` of every input file in natural order; name is relative to the input folder."""
    location = inp.path
    if location.is_file():
        return [(location.name, location)]
    if not location.is_dir():
        raise InputError(f"input {location} does not exist")
    pattern = inp.pattern or "*"
    root = location.resolve()
    named = []
    for p in location.rglob(pattern):
        if p.name.startswith(".") or not p.is_file():
            continue
        if not p.resolve().is_relative_to(root):
            raise InputError(
                f"input {location}: {p.relative_to(location)} leads outside the input folder (to {p.resolve()});"
                " only files inside input.path are imported"
            )
        named.append((p.relative_to(location).as_posix(), p))
    if not named:
        raise InputError(f"input {location} has no files matching {pattern!r}")
    return sorted(named, key=lambda item: _natural_key(item[0]))


def describe_files(inp: InputSpec, role: str, first_id: int) -> list[InputFile]:
    """The input's files with their size and modification time (UTC, to the microsecond)."""
    out = []
    for offset, (name, path) in enumerate(list_files(inp)):
        stat = path.stat()
        modified = datetime.fromtimestamp(stat.st_mtime_ns // 1000 / 1e6, UTC).replace(tzinfo=None)
        out.append(InputFile(first_id + offset, role, name, path, stat.st_size, modified))
    return out


def _open(path: Path) -> tuple[IO[bytes], IO[bytes]]:
    """The file's bytes (gunzipped when it is gzip) and the raw file underneath (for progress by position)."""
    raw = path.open("rb")
    magic = raw.read(2)
    raw.seek(0)
    return (gzip.GzipFile(fileobj=raw, mode="rb") if magic == b"\x1f\x8b" else raw), raw


def _decoded_blocks(path: Path, encoding: str, position: Callable[[int], None]) -> Iterator[str]:
    """The file's text in blocks that end at a line break (the last one excepted), BOM removed."""
    decoder = codecs.getincrementaldecoder(encoding)()
    handle, raw = _open(path)
    carry = ""
    line_no = 1
    with raw, handle:
        while True:
            try:
                block = handle.read(READ_BLOCK_BYTES)
            except (OSError, EOFError, gzip.BadGzipFile) as exc:
                raise InputError(f"{path}: cannot read ({exc})") from None
            try:
                text = decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                bad = line_no + carry.count("\n") + block[: max(exc.start, 0)].count(b"\n")
                raise InputError(
                    f"{path}: line {bad} is not valid {encoding} ({exc.reason}); set input.encoding in the mapping"
                ) from None
            position(raw.tell())
            if line_no == 1 and not carry and text.startswith("\ufeff"):
                text = text[1:]
            text = carry + text
            if block:
                cut = text.rfind("\n") + 1
                text, carry = text[:cut], text[cut:]
            if text:
                line_no += text.count("\n")
                yield text
            if not block:
                return


def _split_lines(text: str) -> pa.Array:
    lines = pc.split_pattern(pa.array([text], pa.large_string()), "\n").flatten()
    if text.endswith("\n"):
        lines = lines.slice(0, len(lines) - 1)
    if "\r" in text:
        lines = pc.utf8_rtrim(lines, characters="\r")
    return lines.cast(pa.string())


@dataclass
class _OpenRecord:
    """A record whose quoted value is still open at the end of a block: its first line and its lines so far."""

    line_no: int
    parts: list[str] = field(default_factory=list)


def _ends_inside(text: str, quote: str, delimiter: str, inside: bool) -> bool:
    """Whether a line ends inside a quoted value, given whether it starts inside one. A quote opens a value only
    at the start of a field (elsewhere it is an ordinary character); inside, a doubled quote is one quote."""
    at_start = not inside
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if inside:
            if c == quote:
                if i + 1 < n and text[i + 1] == quote:
                    i += 2
                    continue
                inside = False
        elif c == delimiter:
            at_start = True
            i += 1
            continue
        elif c == quote and at_start:
            inside = True
        at_start = False
        i += 1
    return inside


def _join_quoted(
    lines: pa.Array, numbers: np.ndarray, inp: InputSpec, pending: _OpenRecord | None, final: bool
) -> tuple[pa.Array, np.ndarray, np.ndarray | None, _OpenRecord | None]:
    """Join the lines of records whose quoted values hold line breaks (RFC 4180); also return which records were
    closed while a quote was still open (at the end of the file, or after ``MAX_RECORD_LINES`` lines).

    Only a line with an odd number of quote characters can end inside a quoted value (when its quotes are well
    formed), so lines without one (nearly all) are not looked at; the others are scanned in Python.
    """
    quote, delimiter = inp.quote or '"', inp.delimiter or ","
    odd = (pc.count_substring(lines, quote).to_numpy(zero_copy_only=False) % 2).astype(bool)
    if pending is None and not odd.any():
        return lines, numbers, None, None
    out_lines: list[str] = []
    out_numbers: list[int] = []
    unclosed: list[bool] = []
    for i, text in enumerate(lines.to_pylist()):
        if pending is not None:
            pending.parts.append(text)
            still_open = _ends_inside(text, quote, delimiter, True)
            if not still_open or len(pending.parts) >= MAX_RECORD_LINES:
                out_lines.append("\n".join(pending.parts))
                out_numbers.append(pending.line_no)
                unclosed.append(still_open)
                pending = None
        elif odd[i] and _ends_inside(text, quote, delimiter, False):
            pending = _OpenRecord(int(numbers[i]), [text])
        else:
            out_lines.append(text)
            out_numbers.append(int(numbers[i]))
            unclosed.append(False)
    if pending is not None and final:
        out_lines.append("\n".join(pending.parts))
        out_numbers.append(pending.line_no)
        unclosed.append(True)
        pending = None
    return pa.array(out_lines, pa.string()), np.array(out_numbers, dtype=np.int64), np.array(unclosed), pending


def iter_text_records(
    path: Path, inp: InputSpec, position: Callable[[int], None] = lambda _: None
) -> Iterator[tuple[pa.Array, np.ndarray, np.ndarray | None]]:
    """Yield ``(records, line numbers, quote left open or None)`` of a text file, block by block (see the module
    docstring)."""
    line_no = 1
    pending: _OpenRecord | None = None
    blocks = _decoded_blocks(path, inp.encoding, position)
    block = next(blocks, None)
    while block is not None:
        following = next(blocks, None)
        lines = _split_lines(block)
        numbers = np.arange(line_no, line_no + len(lines), dtype=np.int64)
        line_no += len(lines)
        unclosed = None
        if inp.quote and inp.is_text:
            lines, numbers, unclosed, pending = _join_quoted(lines, numbers, inp, pending, following is None)
        yield lines, numbers, unclosed
        block = following


def parse_header(line: str, inp: InputSpec) -> list[str]:
    if inp.quote:
        return [c.strip() for c in next(csv.reader([line], delimiter=inp.delimiter or ",", quotechar=inp.quote))]
    return [c.strip() for c in line.split(inp.delimiter or ",")]


@dataclass
class Chunk:
    """Records of one or more files: an Arrow table (file_id, line_no, line), and which files it closes."""

    table: pa.Table
    files_done: list[InputFile]


def _text_file_tables(f: InputFile, inp: InputSpec, position: Callable[[int], None]) -> Iterator[pa.Table]:
    for lines, numbers, unclosed in iter_text_records(f.path, inp, position):
        f.empty = f.empty and not len(lines)
        if unclosed is None:
            unclosed = np.zeros(len(lines), dtype=bool)
        if len(lines) and numbers[0] == 1 and inp.header and f.header is None:
            f.header = parse_header(lines[0].as_py(), inp)
            lines, numbers, unclosed = lines.slice(1), numbers[1:], unclosed[1:]
        # Empty lines are not records: skipped and counted. (A line of spaces is a record, and is rejected as
        # such if it does not parse.)
        keep = pc.greater(pc.binary_length(lines), 0).to_numpy(zero_copy_only=False)
        kept = lines.filter(pa.array(keep))
        f.blank_lines += len(lines) - len(kept)
        f.records += len(kept)
        if len(kept):
            ids = pa.array(np.full(len(kept), f.file_id, dtype=np.int32))
            columns = [ids, pa.array(numbers[keep]), kept, pa.array(unclosed[keep])]
            yield pa.Table.from_arrays(columns, schema=LINES_SCHEMA)


def iter_chunks(
    files: list[InputFile],
    inp: InputSpec,
    chunk_lines: int,
    parquet_tables: Callable[[InputFile], Iterator[pa.Table]],
    position: Callable[[InputFile, int], None],
) -> Iterator[Chunk]:
    """Chunks of at most ``chunk_lines`` records over ``files`` in order (a chunk may span files)."""
    pending: list[pa.Table] = []
    rows = 0
    done: list[InputFile] = []
    for f in files:
        if inp.format == "parquet":
            tables = parquet_tables(f)
        else:
            tables = _text_file_tables(f, inp, lambda pos, f=f: position(f, pos))
        for table in tables:
            while len(table):
                take = table.slice(0, chunk_lines - rows)
                table = table.slice(len(take))
                pending.append(take)
                rows += len(take)
                if rows >= chunk_lines:
                    yield Chunk(pa.concat_tables(pending), done)
                    pending, rows, done = [], 0, []
        done.append(f)
    if pending or done:
        yield Chunk(pa.concat_tables(pending) if pending else LINES_SCHEMA.empty_table(), done)
