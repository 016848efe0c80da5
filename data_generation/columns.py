"""Vectorised builders of Arrow columns: identifiers, categorical strings, money and timestamps.

Nothing here loops over rows in Python: identifiers are written digit by digit into one byte buffer, categorical
strings are ``take`` from a small dictionary, money is assembled as decimal128 buffers from integer cents.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pyarrow as pa

from data_generation.timeutil import NEVER
from warehouse.contract import TABLES

MONEY = pa.decimal128(18, 2)
DICTIONARY_STRING = pa.dictionary(pa.int32(), pa.string())
# Columns the simulator hands to the parquet writer dictionary-encoded (no per-row string copies). Parquet has no
# separate dictionary type: the files read back with the contract's plain string columns.
DICTIONARY_COLUMNS: dict[str, tuple[str, ...]] = {
    "events": ("user_id", "event_name", "device", "properties"),
    "sessions": ("user_id", "device", "channel", "country"),
}


def storage_schema(table: str) -> pa.Schema:
    """The contract schema of ``table`` with its DICTIONARY_COLUMNS as dictionary<int32, string>."""
    schema = TABLES[table].arrow_schema()
    for name in DICTIONARY_COLUMNS.get(table, ()):
        i = schema.get_field_index(name)
        schema = schema.set(i, pa.field(name, DICTIONARY_STRING, nullable=schema.field(i).nullable))
    return schema


class Codebook:
    """Small dictionary of distinct strings (event names, JSON property objects, ...) -> integer codes."""

    def __init__(self, values: list[str] | None = None) -> None:
        self.values: list[str] = []
        self._index: dict[str, int] = {}
        for v in values or []:
            self.code(v)

    def code(self, value: str) -> int:
        found = self._index.get(value)
        if found is None:
            found = self._index[value] = len(self.values)
            self.values.append(value)
        return found

    def __len__(self) -> int:
        return len(self.values)

    def array(self) -> pa.StringArray:
        return pa.array(self.values, type=pa.string())


def json_object(obj: dict[str, Any]) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


_DIGITS4 = np.frombuffer(b"".join(f"{i:04d}".encode("ascii") for i in range(10_000)), dtype="<u4")


def fixed_ids(prefix: str, numbers: np.ndarray, width: int) -> pa.StringArray:
    """``prefix`` + zero-padded decimal ``numbers`` (all < 10**width), built as one byte buffer."""
    head = prefix.encode("ascii")
    if len(head) == 4 and width == 12:
        return _ids16(head, numbers)
    n = len(numbers)
    row = len(head) + width
    out = np.empty((n, row), dtype=np.uint8)
    if head:
        out[:, : len(head)] = np.frombuffer(head, dtype=np.uint8)
    x = np.asarray(numbers).astype(np.uint32 if n == 0 or int(np.max(numbers)) < 2**32 else np.uint64)
    for j in range(width - 1, -1, -1):
        q = x // 10
        out[:, len(head) + j] = x - q * 10 + 48
        x = q
    offsets = np.arange(0, row * (n + 1), row, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(out))


def _ids16(head: bytes, numbers: np.ndarray) -> pa.StringArray:
    """Fast path for 4-byte prefix + 12 digits: 16-byte rows written four ASCII digits at a time."""
    n = len(numbers)
    out = np.empty((n, 4), dtype="<u4")
    out[:, 0] = np.frombuffer(head, dtype="<u4")[0]
    x = np.asarray(numbers, dtype=np.uint64)
    for col in (3, 2, 1):
        out[:, col] = _DIGITS4[x % 10_000]
        x = x // 10_000
    return rows_to_strings(out)


def id_rows(prefix: str, first: int, n: int) -> np.ndarray:
    """Rows of 16 ASCII bytes (as (n, 4) uint32) for ``prefix`` (4 characters) + 12-digit ``first`` .. ``first+n-1``.

    A contiguous range needs no division per row: rows are laid out in aligned blocks of 10,000 in which the last
    four digits run through the digit table and the other eight are constant, then the range is sliced out.
    """
    head = prefix.encode("ascii")
    if len(head) != 4 or first < 0 or first + n > 10**12:
        raise ValueError("id_rows needs a 4-character prefix and numbers below 10**12")
    f0 = first % 10_000
    block0 = first // 10_000
    blocks = max(1, -(-(f0 + n) // 10_000))
    numbers = np.arange(block0, block0 + blocks, dtype=np.int64)
    out = np.empty((blocks, 10_000, 4), dtype="<u4")
    out[:, :, 0] = np.frombuffer(head, dtype="<u4")[0]
    out[:, :, 1] = _DIGITS4[numbers // 10_000][:, None]
    out[:, :, 2] = _DIGITS4[numbers % 10_000][:, None]
    out[:, :, 3] = _DIGITS4[None, :]
    return out.reshape(-1, 4)[f0 : f0 + n]


def quantile_table(ppf: Any, bits: int = 16) -> np.ndarray:
    """2**bits equally spaced quantiles of a distribution (its inverse CDF ``ppf``), for sampling by table lookup."""
    return np.asarray(ppf((np.arange(2**bits) + 0.5) / 2**bits))


def sample_table(rng: np.random.Generator, table: np.ndarray, n: int) -> np.ndarray:
    """``n`` draws from a 2**16-entry quantile table (one uint16 per draw)."""
    return table[rng.integers(0, len(table), n, dtype=np.uint16)]


def rows_to_strings(rows: np.ndarray, valid: np.ndarray | None = None) -> pa.StringArray:
    """A string array over fixed-width ASCII rows ((n, k) uint32: 4k bytes each); ``valid`` False -> null."""
    rows = np.ascontiguousarray(rows)
    n, width = rows.shape[0], rows.shape[1] * 4
    offsets = np.arange(0, width * (n + 1), width, dtype=np.int32)
    validity, nulls = _validity(valid)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(rows), validity, nulls)


class Categorical:
    """Fast categorical sampling: a 2**16-entry table of codes, indexed by one uint16 draw per sample.

    Probabilities are rounded to multiples of 1/65536 (fine for vocabulary and property mixes; the funnel and
    other planted truths use exact Bernoulli draws instead).
    """

    BITS = 16

    def __init__(self, weights: np.ndarray | list[float], codes: np.ndarray | None = None) -> None:
        w = np.asarray(weights, dtype=float)
        edges = np.round(np.cumsum(w / w.sum()) * 2**self.BITS).astype(np.int64)
        edges[-1] = 2**self.BITS
        counts = np.diff(np.concatenate([[0], edges]))
        values = np.arange(len(w)) if codes is None else np.asarray(codes)
        self.table = np.repeat(values.astype(np.int32), counts)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.table[rng.integers(0, 2**self.BITS, n, dtype=np.uint16)]


def id_width(count: int, minimum: int = 6) -> int:
    return max(minimum, len(str(max(count, 1))))


def _validity(valid: np.ndarray | None) -> tuple[pa.Buffer | None, int]:
    if valid is None or bool(valid.all()):
        return None, 0
    return pa.py_buffer(np.packbits(valid, bitorder="little")), int(len(valid) - np.count_nonzero(valid))


def money(cents: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """decimal(18, 2) from non-negative integer cents; ``valid`` False (or cents < 0) -> null."""
    cents = np.asarray(cents)
    if valid is None:
        negative = cents < 0
        valid = ~negative if negative.any() else None
    n = len(cents)
    words = np.zeros((n, 2), dtype=np.int64)  # untouched (null) slots stay on the kernel's zero page
    if valid is None:
        words[:, 0] = cents
    else:
        where = np.flatnonzero(valid)
        words[where, 0] = cents[where]
    validity, nulls = _validity(valid)
    return pa.Array.from_buffers(MONEY, n, [validity, pa.py_buffer(words)], null_count=nulls)


def timestamps(us: np.ndarray, valid: np.ndarray | None = None, may_be_never: bool = True) -> pa.Array:
    """timestamp[us] from int64 microseconds; NEVER (or ``valid`` False) -> null. ``may_be_never=False`` skips the
    scan for NEVER when the caller knows every value is a real time."""
    us = np.asarray(us, dtype=np.int64)
    if valid is None and may_be_never:
        never = us == NEVER
        valid = ~never if never.any() else None
    data = us if valid is None else np.where(valid, us, 0)
    validity, nulls = _validity(valid)
    return pa.Array.from_buffers(pa.timestamp("us"), len(us), [validity, pa.py_buffer(data)], null_count=nulls)


def from_codes(book: Codebook | list[str], codes: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Strings by code from a small dictionary; negative codes (or ``valid`` False) -> null."""
    values = book.array() if isinstance(book, Codebook) else pa.array(book, type=pa.string())
    codes = np.asarray(codes)
    if valid is None:
        negative = codes < 0
        valid = ~negative if negative.any() else None
    index = pa.array(codes if valid is None else np.where(valid, codes, 0), mask=None if valid is None else ~valid)
    return values.take(index)


def take_strings(values: pa.Array, index: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """``values[index]`` with nulls where ``valid`` is False (or index < 0)."""
    index = np.asarray(index)
    if valid is None:
        negative = index < 0
        valid = ~negative if negative.any() else None
    idx = pa.array(index if valid is None else np.where(valid, index, 0), mask=None if valid is None else ~valid)
    return values.take(idx)


def dictionary(values: pa.Array, codes: np.ndarray, valid: np.ndarray | None = None) -> pa.DictionaryArray:
    """Dictionary-encoded strings (int32 codes into ``values``); parquet stores them as plain strings."""
    index = pa.array(np.asarray(codes, dtype=np.int32), mask=None if valid is None else ~valid)
    return pa.DictionaryArray.from_arrays(index, values)


def constant_strings(value: str, n: int) -> pa.Array:
    return pa.array([value], type=pa.string()).take(pa.array(np.zeros(n, dtype=np.int8)))


def table(arrays: dict[str, pa.Array], schema: pa.Schema) -> pa.Table:
    """An Arrow table in exactly ``schema``'s column order and types (raises on a mismatch)."""
    missing = [f.name for f in schema if f.name not in arrays]
    extra = [k for k in arrays if k not in schema.names]
    if missing or extra:
        raise ValueError(f"columns do not match the contract: missing {missing}, unexpected {extra}")
    cols = []
    for field in schema:
        arr = arrays[field.name]
        if arr.type != field.type:
            arr = arr.cast(field.type)
        if not field.nullable and arr.null_count:
            raise ValueError(f"column {field.name} must not hold nulls ({arr.null_count} found)")
        cols.append(arr)
    return pa.Table.from_arrays(cols, schema=schema)
