#!/usr/bin/env python3
"""Writes the array-file fixtures of the Grader tests with real NumPy.

Run from the package root:

    python3 Scripts/make_array_fixtures.py

Output: Tests/GraderTests/Fixtures/arrays/ (the folder is emptied first) and, in it, manifest.json.

Every valid array is made from np.arange, so its values can be recomputed from the recipe
written beside it in the manifest (for example "np.arange(6).reshape(2, 3) * 0.5 - 1"); the
manifest also lists the values themselves, flattened in row-major (C) order and converted with
ndarray.tolist(), so the Swift tests compare against exactly what NumPy stored. Non-finite
values are spelled "nan", "inf" and "-inf" in the manifest so that it stays standard JSON.

The manifest has three lists:
  valid      files that read without a problem: file -> {item: {shape, dtype, values, recipe}}
  item_errors files where some items read and others are unreadable: file -> readable items
             (as in `valid`) and the names of the unreadable ones
  submission_errors files that cannot be read at all
The messages the Swift reader gives for each malformed file are checked in the Swift tests.

The safetensors files are written by hand with struct and json (the format is an 8-byte
little-endian header size, a JSON header {name: {dtype, shape, data_offsets}} and the data),
and one .npz is assembled by hand with ZIP64 extra fields in its central directory, the way a
ZIP writer marks members of 4 GiB or more; every hand-made file is read back here with NumPy or
zipfile before it is kept.
"""

import io
import json
import math
import os
import shutil
import struct
import sys
import zipfile
import zlib

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "GraderTests", "Fixtures", "arrays")

DTYPE_NAMES = {
    "float16": "float32", "float32": "float32", "float64": "float64",
    "int8": "int32", "int16": "int32", "uint8": "int32", "uint16": "int32", "bool": "int32",
    "int32": "int32", "int64": "int64", "uint32": "int64", "uint64": "int64",
}

if os.path.isdir(OUT):
    shutil.rmtree(OUT)
os.makedirs(OUT)

manifest = {
    "generator": "Scripts/make_array_fixtures.py",
    "numpy_version": np.__version__,
    "valid": {},
    "item_errors": {},
    "submission_errors": [],
}


def recipe(expr):
    """Evaluates a NumPy expression over `np` and returns (array, expression)."""
    return eval(expr, {"np": np}), expr


def number(x):
    if isinstance(x, float):
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
    return x


def describe(array, expr):
    """The manifest entry of one array: shape, dtype the Swift Tensor reports, values, recipe."""
    flat = np.ascontiguousarray(array).ravel(order="C")
    if flat.dtype == np.float16:
        values = [float(v) for v in flat.astype(np.float32)]
    elif flat.dtype == np.bool_:
        values = [int(v) for v in flat]
    else:
        values = flat.tolist()
    return {
        "shape": list(array.shape),
        "dtype": DTYPE_NAMES[array.dtype.name],
        "values": [number(v) for v in values],
        "recipe": expr,
    }


def path(name):
    full = os.path.join(OUT, name)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    return full


def add_valid(file, items):
    manifest["valid"][file] = {name: describe(a, e) for name, (a, e) in items.items()}


# MARK: - .npy, every version, byte order, dtype and memory order

def npy(name, expr, version=None):
    array, expr = recipe(expr)
    with open(path(name), "wb") as f:
        if version is None:
            np.save(f, array)
        else:
            np.lib.format.write_array(f, array, version=version)
    check = np.load(path(name))
    assert ("_be_" in name) == (array.dtype.byteorder == ">"), name + ": byte order"
    assert ("fortran" in name) == (array.ndim > 1 and np.isfortran(array)), name + ": memory order"
    assert check.dtype == array.dtype and np.array_equal(check, array, equal_nan=True), name
    add_valid(name, {os.path.splitext(os.path.basename(name))[0]: (array, expr)})


npy("npy/v1_c_f8_2d.npy", "np.arange(6, dtype='<f8').reshape(2, 3) * 0.5 - 1")
npy("npy/v1_c_f4_3d.npy", "(np.arange(24, dtype='<f4') * 0.25 - 3).reshape(2, 3, 4)")
npy("npy/v1_c_i4_2d.npy", "np.arange(-6, 6, dtype='<i4').reshape(3, 4)")
npy("npy/v1_c_i8_1d.npy", "np.arange(7, dtype='<i8') * -1000000007")
npy("npy/v1_be_f8_2d.npy", "(np.arange(6) / 8).reshape(3, 2).astype('>f8')")
npy("npy/v1_be_f4_1d.npy", "(np.arange(5) * 1.5).astype('>f4')")
npy("npy/v1_be_i4_1d.npy", "(np.arange(5) - 2).astype('>i4')")
npy("npy/v1_be_i8_2d.npy", "(np.arange(6) * 3).reshape(2, 3).astype('>i8')")
npy("npy/v1_fortran_f8_2d.npy", "np.asfortranarray(np.arange(12, dtype='<f8').reshape(3, 4) + 0.5)")
npy("npy/v1_fortran_i4_3d.npy", "np.asfortranarray(np.arange(24, dtype='<i4').reshape(2, 3, 4))")
npy("npy/v1_fortran_be_f4_2d.npy", "np.asfortranarray((np.arange(6).reshape(2, 3) * 0.125).astype('>f4'))")
npy("npy/v1_scalar_f8.npy", "np.array(3.25)")
npy("npy/v1_scalar_i8.npy", "np.array(-7, dtype='<i8')")
npy("npy/v1_empty_f8_0x3.npy", "np.arange(0, dtype='<f8').reshape(0, 3)")
npy("npy/v1_nonfinite_f8.npy", "np.array([np.nan, np.inf, -np.inf, 1.0])")
npy("npy/v1_f2_1d.npy", "np.arange(4, dtype='<f2') * 0.5")
npy("npy/v1_u1_1d.npy", "np.arange(250, 256).astype('|u1')")
npy("npy/v1_i2_1d.npy", "np.arange(-3, 3, dtype='<i2')")
npy("npy/v1_b1_1d.npy", "np.arange(4) % 2 == 0")
npy("npy/v2_c_f8_2d.npy", "np.arange(6, dtype='<f8').reshape(3, 2) * 0.1", version=(2, 0))
npy("npy/v2_fortran_i8_2d.npy", "np.asfortranarray(np.arange(6, dtype='<i8').reshape(2, 3))", version=(2, 0))
npy("npy/v3_c_f4_1d.npy", "np.arange(4, dtype='<f4') + 0.75", version=(3, 0))
npy("npy/v3_be_f8_3d.npy", "(np.arange(8).reshape(2, 2, 2) - 4).astype('>f8')", version=(3, 0))

# MARK: - .npz written by np.savez (stored) and np.savez_compressed (deflated)

W_h, W_h_expr = recipe("np.arange(25, dtype='<f8').reshape(5, 5) / 10")
b_1, b_1_expr = recipe("np.arange(5, dtype='<f4') - 2")
U, U_expr = recipe("np.asfortranarray(np.arange(15, dtype='<f8').reshape(3, 5) * -0.5)")
loss, loss_expr = recipe("np.array(2.5)")
counts, counts_expr = recipe("np.arange(4, dtype='<i8')")
npz_items = {"W_h": (W_h, W_h_expr), "b_1": (b_1, b_1_expr), "U": (U, U_expr),
             "loss": (loss, loss_expr), "counts": (counts, counts_expr)}

np.savez(path("npz/savez.npz"), **{k: a for k, (a, _) in npz_items.items()})
add_valid("npz/savez.npz", npz_items)
np.savez_compressed(path("npz/savez_compressed.npz"), **{k: a for k, (a, _) in npz_items.items()})
add_valid("npz/savez_compressed.npz", npz_items)
np.savez(path("npz/savez_positional.npz"), W_h, b_1)
add_valid("npz/savez_positional.npz", {"arr_0": (W_h, W_h_expr), "arr_1": (b_1, b_1_expr)})


def npy_bytes(array):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array)
    return buffer.getvalue()


def zip64_central_npz(members):
    """A ZIP whose central directory gives sizes and offsets as 0xFFFFFFFF plus a ZIP64 extra
    field (header 0x0001) holding the real 8-byte values, and which ends with a ZIP64 end of
    central directory record and locator before the classic end record."""
    out = bytearray()
    central = bytearray()
    for name, payload, method in members:
        data = zlib.compress(payload, 9)[2:-4] if method == 8 else payload
        crc = zlib.crc32(payload)
        offset = len(out)
        local_extra = struct.pack("<HHQQ", 1, 16, len(payload), len(data))
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, method, 0, 33, crc,
                           0xFFFFFFFF, 0xFFFFFFFF, len(name), len(local_extra))
        out += name.encode() + local_extra + data
        extra = struct.pack("<HHQQQ", 1, 24, len(payload), len(data), offset)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, method, 0, 33, crc,
                               0xFFFFFFFF, 0xFFFFFFFF, len(name), len(extra), 0, 0, 0, 0,
                               0xFFFFFFFF)
        central += name.encode() + extra
    cd_offset = len(out)
    out += central
    zip64_end = len(out)
    out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, len(members), len(members),
                       len(central), cd_offset)
    out += struct.pack("<IIQI", 0x07064B50, 0, zip64_end, 1)
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return bytes(out)


zip64_items = {"W_h": (W_h, W_h_expr), "b_1": (b_1, b_1_expr)}
with open(path("npz/zip64_central.npz"), "wb") as f:
    f.write(zip64_central_npz([("W_h.npy", npy_bytes(W_h), 8), ("b_1.npy", npy_bytes(b_1), 0)]))
with np.load(path("npz/zip64_central.npz")) as check:
    assert np.array_equal(check["W_h"], W_h) and np.array_equal(check["b_1"], b_1)
add_valid("npz/zip64_central.npz", zip64_items)

# MARK: - safetensors, written by hand

SAFETENSORS_CODES = {"<f4": "F32", "<f8": "F64", "<i4": "I32", "<i8": "I64", "<f2": "F16"}


def safetensors_bytes(named, metadata=None, override=None):
    """named: list of (name, array); override: {name: {key: value}} replaces header fields."""
    header, data = {}, bytearray()
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, array in named:
        raw = np.ascontiguousarray(array).tobytes()
        header[name] = {"dtype": SAFETENSORS_CODES[array.dtype.str], "shape": list(array.shape),
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    for name, fields in (override or {}).items():
        header[name].update(fields)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + bytes(data)


def bf16_bytes(array32):
    """bfloat16: the upper 16 bits of each float32 (the values chosen are exact in bf16)."""
    return (array32.astype("<f4").view("<u4") >> 16).astype("<u2").tobytes()


st_f32, st_f32_expr = recipe("(np.arange(6, dtype='<f4') * 0.5).reshape(2, 3)")
st_f64, st_f64_expr = recipe("np.arange(4, dtype='<f8') / 4 - 1")
st_i32, st_i32_expr = recipe("np.arange(-2, 4, dtype='<i4').reshape(3, 2)")
st_i64, st_i64_expr = recipe("np.array(41, dtype='<i8')")
st_f16, st_f16_expr = recipe("np.arange(3, dtype='<f2') * 0.25")
st_bf16, st_bf16_expr = recipe("np.arange(4, dtype='<f4') * 2 - 3")
named = [("dW_h", st_f32), ("db_1", st_f64), ("ids", st_i32), ("step", st_i64), ("half", st_f16)]
blob = bytearray(safetensors_bytes(named, metadata={"format": "np", "course": "backprop"}))
# Append a BF16 tensor by hand (NumPy has no bfloat16 dtype).
header_len = struct.unpack("<Q", blob[:8])[0]
header = json.loads(blob[8:8 + header_len])
data = blob[8 + header_len:]
raw = bf16_bytes(st_bf16)
header["brain"] = {"dtype": "BF16", "shape": [4], "data_offsets": [len(data), len(data) + len(raw)]}
text = json.dumps(header, separators=(",", ":")).encode()
text += b" " * (-len(text) % 8)
with open(path("safetensors/tensors.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + bytes(data) + raw)
add_valid("safetensors/tensors.safetensors", {
    "dW_h": (st_f32, st_f32_expr), "db_1": (st_f64, st_f64_expr), "ids": (st_i32, st_i32_expr),
    "step": (st_i64, st_i64_expr), "half": (st_f16, st_f16_expr), "brain": (st_bf16, st_bf16_expr)})

# MARK: - JSON, as Python's json.dump writes it (NaN and Infinity as bare tokens)

j_nested, j_nested_expr = recipe("np.arange(6, dtype='<f8').reshape(2, 3) * 0.25")
j_ints, j_ints_expr = recipe("np.arange(4, dtype='<i8').reshape(2, 2)")
# Without a "dtype", JSON numbers are float64 even when written as integer literals.
j_literals, j_literals_expr = recipe("np.arange(4, dtype='<f8').reshape(2, 2)")
j_flat, j_flat_expr = recipe("np.arange(12, dtype='<f8').reshape(2, 3, 2) - 5.5")
j_scalar, j_scalar_expr = recipe("np.array(-0.125)")
j_f32, j_f32_expr = recipe("np.arange(3, dtype='<f4') * 0.5")
j_nan, j_nan_expr = recipe("np.array([[np.nan, 1.0], [np.inf, -np.inf]])")
j_empty, j_empty_expr = recipe("np.arange(0, dtype='<f8')")
with open(path("json/arrays.json"), "w") as f:
    json.dump({
        "nested": j_nested.tolist(),
        "ints": {"shape": list(j_ints.shape), "data": j_ints.ravel().tolist(), "dtype": "int64"},
        "int_literals": j_ints.tolist(),
        "flat": {"shape": list(j_flat.shape), "data": j_flat.ravel().tolist()},
        "scalar": float(j_scalar),
        "typed": {"shape": [3], "data": j_f32.tolist(), "dtype": "float32"},
        "nonfinite": j_nan.tolist(),
        "empty": j_empty.tolist(),
    }, f, indent=1)
add_valid("json/arrays.json", {
    "nested": (j_nested, j_nested_expr), "ints": (j_ints, j_ints_expr),
    "int_literals": (j_literals, j_literals_expr), "flat": (j_flat, j_flat_expr),
    "scalar": (j_scalar, j_scalar_expr), "typed": (j_f32, j_f32_expr), "nonfinite": (j_nan, j_nan_expr),
    "empty": (j_empty, j_empty_expr)})
with open(path("json/single_W_h.json"), "w") as f:
    json.dump(W_h.tolist(), f)
add_valid("json/single_W_h.json", {"single_W_h": (W_h, W_h_expr)})

# MARK: - A folder mixing per-item files with one archive

np.save(path("folder_mixed/W_h.npy"), W_h)
with open(path("folder_mixed/b_1.json"), "w") as f:
    json.dump({"shape": [5], "data": b_1.tolist(), "dtype": "float32"}, f)
np.savez(path("folder_mixed/rest.npz"), U=U, loss=loss)
with open(path("folder_mixed/README.txt"), "w") as f:
    f.write("Not an array: the reader lists it as ignored.\n")
add_valid("folder_mixed", {"W_h": (W_h, W_h_expr), "b_1": (b_1, b_1_expr), "U": (U, U_expr),
                           "loss": (loss, loss_expr)})

# MARK: - Malformed files

good = npy_bytes(W_h)


def write_bytes(name, payload):
    with open(path(name), "wb") as f:
        f.write(payload)


def header_npy(header_text, data, version=(1, 0)):
    """A .npy with a given header dict text, padded as NumPy pads it."""
    prefix = 10 if version == (1, 0) else 12
    text = header_text.encode("latin1" if version != (3, 0) else "utf8")
    text += b" " * (-(prefix + len(text) + 1) % 64) + b"\n"
    length = struct.pack("<H", len(text)) if version == (1, 0) else struct.pack("<I", len(text))
    return b"\x93NUMPY" + bytes(version) + length + text + data


# One item each: a single .npy submission is one item, named by the file stem.
write_bytes("bad/dW_h.npy", header_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (5, 5), }",
                                       np.arange(12, dtype="<f8").tobytes()))
write_bytes("bad/bad_magic.npy", b"\x93NUMPZ" + good[6:])
write_bytes("bad/not_npy.npy", b"W_h = [[1, 2], [3, 4]]\n")
write_bytes("bad/truncated_header.npy", good[:40])
write_bytes("bad/missing_shape.npy", header_npy("{'descr': '<f8', 'fortran_order': False, }", b"\0" * 8))
write_bytes("bad/garbled_header.npy", header_npy("{'descr': '<f8', 'fortran_order': Flase, 'shape': (1,), }", b"\0" * 8))
write_bytes("bad/negative_shape.npy", header_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, -1), }", b""))
write_bytes("bad/version_4.npy", b"\x93NUMPY\x04\x00" + good[8:])
np.save(path("bad/complex.npy"), np.arange(3) * (1 + 2j))
np.save(path("bad/object.npy"), np.array([1, "two", None], dtype=object), allow_pickle=True)
np.save(path("bad/structured.npy"), np.zeros(2, dtype=[("x", "<f8"), ("y", "<i4")]))
np.save(path("bad/strings.npy"), np.array(["a", "bc"]))
write_bytes("bad/extra_bytes.npy", npy_bytes(b_1) + b"\0\0\0\0")
for name in ["dW_h", "bad_magic", "not_npy", "truncated_header", "missing_shape", "garbled_header",
             "negative_shape", "version_4", "complex", "object", "structured", "strings", "extra_bytes"]:
    manifest["item_errors"]["bad/" + name + ".npy"] = {"readable": {}, "unreadable": [name]}

# A folder with one good and one corrupt .npy.
np.save(path("folder_corrupt/W_h.npy"), W_h)
write_bytes("folder_corrupt/b_1.npy", npy_bytes(b_1)[:-6])
manifest["item_errors"]["folder_corrupt"] = {
    "readable": {"W_h": describe(W_h, W_h_expr)}, "unreadable": ["b_1"]}

# An .npz whose member b_1.npy has one byte flipped (CRC-32 mismatch) and whose member U.npy
# holds a truncated .npy; W_h.npy is intact.
buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as z:
    # Fixed dates (1980-01-01) keep the fixture identical from run to run.
    z.writestr(zipfile.ZipInfo("W_h.npy"), npy_bytes(W_h))
    z.writestr(zipfile.ZipInfo("b_1.npy"), npy_bytes(b_1))
    z.writestr(zipfile.ZipInfo("U.npy"), npy_bytes(U)[:-8])
archive = bytearray(buffer.getvalue())
b_1_payload = npy_bytes(b_1)
position = archive.find(b_1_payload)
assert position > 0
archive[position + len(b_1_payload) - 1] ^= 0x40
write_bytes("bad/members.npz", bytes(archive))
manifest["item_errors"]["bad/members.npz"] = {
    "readable": {"W_h": describe(W_h, W_h_expr)}, "unreadable": ["b_1", "U"]}

# An .npz cut short: the end-of-central-directory record is gone.
with open(path("npz/savez.npz"), "rb") as f:
    write_bytes("bad/truncated.npz", f.read()[:300])
manifest["submission_errors"].append("bad/truncated.npz")

# safetensors: one tensor past the end of the data, one whose byte count does not match its
# shape; the header size field larger than the file; a header that is not JSON.
named = [("ok", st_f64), ("past_end", st_f32), ("wrong_size", st_i32)]
write_bytes("bad/tensors.safetensors", safetensors_bytes(named, override={
    "past_end": {"data_offsets": [32, 4096]}, "wrong_size": {"shape": [4, 2]}}))
manifest["item_errors"]["bad/tensors.safetensors"] = {
    "readable": {"ok": describe(st_f64, st_f64_expr)}, "unreadable": ["past_end", "wrong_size"]}
write_bytes("bad/header_size.safetensors", struct.pack("<Q", 1 << 40) + b"{}")
manifest["submission_errors"].append("bad/header_size.safetensors")
write_bytes("bad/header_text.safetensors", struct.pack("<Q", 8) + b"{oops}  ")
manifest["submission_errors"].append("bad/header_text.safetensors")

# JSON: a ragged nested list, a shape/data mismatch, a string entry, beside good items.
with open(path("bad/items.json"), "w") as f:
    json.dump({"ragged": [[1.0, 2.0, 3.0], [4.0, 5.0]],
               "deep_ragged": [[[1.0], [2.0]], [[3.0], [4.0, 5.0]]],
               "mixed": [[1.0, 2.0], 3.0],
               "short_data": {"shape": [2, 2], "data": [1.0, 2.0, 3.0]},
               "text": [1.0, "two"],
               "good": b_1.tolist()}, f, indent=1)
# JSON lists carry no dtype: the float32 values of b_1 read back as float64.
manifest["item_errors"]["bad/items.json"] = {
    "readable": {"good": describe(*recipe(b_1_expr.replace("'<f4'", "'<f8'")))},
    "unreadable": ["ragged", "deep_ragged", "mixed", "short_data", "text"]}
write_bytes("bad/not_json.json", b'{\n  "W_h": [[1, 2],\n      [3, 4]],\n  "b_1": [1, 2,, 3]\n}\n')
manifest["submission_errors"].append("bad/not_json.json")
write_bytes("bad/string.json", b'"dW_h"\n')
manifest["submission_errors"].append("bad/string.json")

with open(path("manifest.json"), "w") as f:
    json.dump(manifest, f, indent=1, sort_keys=True, allow_nan=False)
    f.write("\n")

total = sum(os.path.getsize(os.path.join(d, n)) for d, _, files in os.walk(OUT) for n in files)
print(f"wrote {sum(len(fs) for _, _, fs in os.walk(OUT))} files, {total} bytes, into {os.path.relpath(OUT, ROOT)}")
if total > 200_000:
    sys.exit("fixtures exceed 200 KB")
