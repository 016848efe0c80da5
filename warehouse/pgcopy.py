"""Arrow record batches -> PostgreSQL binary COPY, vectorised.

Binary COPY spares the server the text parsing of timestamps, numerics and integers (about half its CPU per row
compared with CSV here). Each row is ``int16 field count`` then, per field, ``int32 length`` (-1 for null) and
the value in PostgreSQL's binary form; everything big-endian. The encoder builds one "piece" per field and row
(length prefix + value) as Arrow binary arrays with numpy and pyarrow, then joins the pieces row-wise with
``binary_join_element_wise``: the joined array's data buffer is the COPY payload. No Python loop per row.

Supported logical types (``warehouse.contract.LOGICAL_TYPES``): string, json (sent as jsonb: version byte 1 +
text), integer, bigint, double, money (numeric with scale 2, |value| < 10^16), boolean, date, timestamp.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER = b"\xff\xff"
NULL_PIECE = pa.scalar(b"\xff\xff\xff\xff", pa.binary())
PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01 in microseconds since 1970-01-01
PG_EPOCH_DAYS = 10_957


def _fixed_binary(values: np.ndarray) -> pa.Array:
    """A binary array whose element i is the byte row ``values[i]``."""
    n, width = values.shape
    return pa.Array.from_buffers(pa.binary(width), n, [None, pa.py_buffer(np.ascontiguousarray(values))]).cast(
        pa.binary()
    )


def _fixed_pieces(values: np.ndarray, valid: np.ndarray | None) -> pa.Array:
    """Length-prefixed pieces for fixed-width big-endian values (one row of ``values`` bytes per element)."""
    n, width = values.shape
    out = np.empty((n, 4 + width), dtype=np.uint8)
    out[:, :4] = np.frombuffer(np.array([width], dtype=">i4").tobytes(), dtype=np.uint8)
    out[:, 4:] = values
    pieces = _fixed_binary(out)
    if valid is None:
        return pieces
    return pc.if_else(pa.array(valid), pieces, NULL_PIECE)


def _as_bytes(values: np.ndarray, dtype: str) -> np.ndarray:
    big = np.ascontiguousarray(values.astype(dtype, copy=False))
    return big.view(np.uint8).reshape(len(values), -1)


def _valid(array: pa.Array) -> np.ndarray | None:
    if array.null_count == 0:
        return None
    return np.asarray(array.is_valid().to_numpy(zero_copy_only=False), dtype=bool)


def _numbers(array: pa.Array, fill: int | float = 0) -> np.ndarray:
    return (array.fill_null(fill) if array.null_count else array).to_numpy(zero_copy_only=False)


def _text_pieces(array: pa.Array, prefix: bytes = b"") -> pa.Array:
    data = array.cast(pa.string()).cast(pa.binary())
    lengths = pc.binary_length(data).fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64) + len(prefix)
    heads = _fixed_binary(_as_bytes(lengths, ">i4"))
    parts = [heads, pa.scalar(prefix, pa.binary()), data] if prefix else [heads, data]
    joined = pc.binary_join_element_wise(*parts, b"")
    valid = _valid(array)
    if valid is None:
        return joined
    return pc.if_else(pa.array(valid), joined, NULL_PIECE)


def _numeric_pieces(array: pa.Array) -> pa.Array:
    """numeric(18, 2) from decimal128 with scale 2: five base-10000 digits, weight 3, dscale 2 (not normalised;
    PostgreSQL strips the zero digits itself)."""
    if not pa.types.is_decimal(array.type) or array.type.scale != 2:
        array = array.cast(pa.decimal128(18, 2))
    words = np.frombuffer(array.buffers()[1], dtype="<i8", count=2 * (len(array) + array.offset))
    cents = words[2 * array.offset :: 2].copy()  # the low 64 bits hold the whole value for precision <= 18
    valid = _valid(array)
    if valid is not None:
        cents[~valid] = 0
    negative = cents < 0
    magnitude = np.abs(cents)
    units, fraction = np.divmod(magnitude, 100)
    digits = np.stack(
        [units // 10**12 % 10**4, units // 10**8 % 10**4, units // 10**4 % 10**4, units % 10**4, fraction * 100],
        axis=1,
    )
    head = np.empty((len(array), 4), dtype=">i2")
    head[:, 0] = 5  # ndigits
    head[:, 1] = 3  # weight of the first digit (10000^3)
    head[:, 2] = np.where(negative, 0x4000, 0)
    head[:, 3] = 2  # dscale
    body = np.concatenate([head.view(np.uint8).reshape(-1, 8), _as_bytes(digits.astype(np.int64), ">i2")], axis=1)
    return _fixed_pieces(body, valid)


def _pieces(array: pa.Array, logical: str) -> pa.Array:
    if array.null_count == len(array):
        return pa.repeat(NULL_PIECE, len(array))
    if logical == "string":
        return _text_pieces(array)
    if logical == "json":
        return _text_pieces(array, prefix=b"\x01")
    valid = _valid(array)
    if logical == "integer":
        return _fixed_pieces(_as_bytes(_numbers(array.cast(pa.int32())), ">i4"), valid)
    if logical == "bigint":
        return _fixed_pieces(_as_bytes(_numbers(array.cast(pa.int64())), ">i8"), valid)
    if logical == "double":
        return _fixed_pieces(_as_bytes(_numbers(array.cast(pa.float64()), 0.0), ">f8"), valid)
    if logical == "boolean":
        return _fixed_pieces(_as_bytes(_numbers(array.cast(pa.bool_()), False).astype(np.uint8), "u1"), valid)
    if logical == "date":
        days = _numbers(array.cast(pa.date32()).cast(pa.int32())).astype(np.int64) - PG_EPOCH_DAYS
        return _fixed_pieces(_as_bytes(days, ">i4"), valid)
    if logical == "timestamp":
        micros = _numbers(array.cast(pa.timestamp("us")).cast(pa.int64())) - PG_EPOCH_US
        return _fixed_pieces(_as_bytes(micros, ">i8"), valid)
    if logical == "money":
        return _numeric_pieces(array)
    raise ValueError(f"no binary COPY encoding for logical type {logical!r}")


def encode_batch(batch: pa.RecordBatch, logical_types: list[str]) -> pa.Buffer:
    """The binary COPY rows of ``batch`` (no header or trailer), columns in order, typed as ``logical_types``."""
    if batch.num_columns != len(logical_types):
        raise ValueError(f"{batch.num_columns} columns but {len(logical_types)} types")
    if batch.num_rows == 0:
        return pa.py_buffer(b"")
    field_count = pa.scalar(np.array([batch.num_columns], dtype=">i2").tobytes(), pa.binary())
    pieces = [_pieces(batch.column(i), t) for i, t in enumerate(logical_types)]
    rows = pc.binary_join_element_wise(field_count, *pieces, b"")
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32, count=len(rows) + 1 + rows.offset)
    start, end = int(offsets[rows.offset]), int(offsets[rows.offset + len(rows)])
    return rows.buffers()[2].slice(start, end - start)
