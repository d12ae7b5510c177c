"""Trace CSV -> the binary trace the firmware replays (firmware/drivers/trace.py).

The CSV of design contract 3: a header row; `t_s` (seconds, increasing); `weight_g` (tared
bottle 1, grams); optional `weight2_g`; optional `ax_g`, `ay_g`, `az_g` (all three). Any
sample rate from 5 to 100 Hz, gaps allowed. Everything is checked here, on the host, so a
bad trace is one clear line naming the line and the fix, never a traceback from the device.
A trace sampled more slowly than that, or one that does not start at about 0 g (not tared),
still replays, with a note for each (`notes`): the firmware weighs in 200-ms bins, empty
under 4 samples a second, and counts whatever a bottle starts with as milk.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

MAGIC = b"PMTR"
VERSION = 1
FLAG_CH2 = 1
FLAG_ACCEL = 2
RECORD = struct.Struct("<6i")
ACCEL_COLUMNS = ("ax_g", "ay_g", "az_g")
LIMIT_G = 100_000.0  # |weight| beyond this is not a bottle on a load cell
LIMIT_ACCEL_G = 64.0
SPARSE_MS = 250  # a step longer than this between samples: under 4 a second (contract: 5-100)
START_SAMPLES = 25  # the first samples, whose median is a bottle's starting weight
START_G = 20.0  # a start beyond this is no tared, empty bottle (drift <= 4 g, a bottle 100 g+)


class TraceError(ValueError):
    """A trace that cannot be replayed; str() is the one-line message for the user."""


@dataclass
class TraceStats:
    """What `notes` looks at: the steps between samples, those longer than SPARSE_MS, and
    each bottle's starting weight (the median of its first START_SAMPLES samples), grams."""

    steps: int = 0
    long_steps: int = 0
    start_g: list[float] = field(default_factory=list)


def notes(name: str, stats: TraceStats) -> list[str]:
    """One line each for what the trace does that design contract 3 does not expect but the
    firmware still runs: samples mostly more than SPARSE_MS apart (under 4 a second: the
    firmware's 200-ms bins go empty; gaps alone are allowed), or a bottle that starts far
    from 0 g (not the tared reading: its own weight reads as milk)."""
    out = []
    if stats.steps and stats.long_steps * 2 > stats.steps:
        out.append(
            f"{name}: most samples are more than {SPARSE_MS} ms apart (under 4 a second); "
            "the firmware is built for 5 to 100 a second (it weighs in 200-ms bins), so its "
            "letdowns may come late or not at all. Record or resample the trace at 5 a "
            "second or more"
        )
    for ch, g in enumerate(stats.start_g):
        if abs(g) > START_G:
            column = "weight_g" if ch == 0 else "weight2_g"
            out.append(
                f"{name}: {column} starts at {g:.1f} g; it should be the tared reading (0 g "
                "with the empty bottle on the cell), and the firmware counts whatever it "
                f"starts with as milk. Subtract the starting weight from {column}, or tare "
                "before recording (if the bottle already held milk, the volume includes it)"
            )
    return out


def long_steps(t_ms: list[int]) -> int:
    """How many steps between consecutive samples are longer than SPARSE_MS."""
    return sum(1 for a, b in zip(t_ms, t_ms[1:]) if b - a > SPARSE_MS)


def _start_g(columns: list[list[int]]) -> list[float]:
    """Each column's median over its first START_SAMPLES values (mg), in grams."""
    out = []
    for col in columns:
        first = sorted(col[:START_SAMPLES])
        out.append(first[len(first) // 2] / 1000 if first else 0.0)
    return out


def stats_of(trace: Trace) -> TraceStats:
    """The TraceStats of a trace read whole (read_csv)."""
    cols = [trace.w1_mg] + ([trace.w2_mg] if trace.w2_mg is not None else [])
    return TraceStats(len(trace.t_ms) - 1, long_steps(trace.t_ms), _start_g(cols))


@dataclass
class Trace:
    t_ms: list[int]
    w1_mg: list[int]
    w2_mg: list[int] | None
    accel_mgee: list[tuple[int, int, int]] | None

    @property
    def channels(self) -> int:
        return 2 if self.w2_mg is not None else 1

    def __len__(self) -> int:
        return len(self.t_ms)

    def binary_header(self) -> bytes:
        flags = (FLAG_CH2 if self.w2_mg is not None else 0) | (
            FLAG_ACCEL if self.accel_mgee is not None else 0
        )
        return MAGIC + bytes([VERSION, flags, 0, 0])

    def write_records(self, out: BinaryIO, skip: int = 0) -> int:
        """Write the samples (from index `skip`) as binary records; returns how many."""
        w2 = self.w2_mg or [0] * len(self.t_ms)
        acc = self.accel_mgee or [(0, 0, 0)] * len(self.t_ms)
        pack = RECORD.pack
        n = 0
        for t, a, b, (x, y, z) in itertools.islice(
            zip(self.t_ms, self.w1_mg, w2, acc, strict=True), skip, None
        ):
            out.write(pack(t, a, b, x, y, z))
            n += 1
        return n

    def to_binary(self) -> bytes:
        out = io.BytesIO()
        out.write(self.binary_header())
        self.write_records(out)
        return out.getvalue()


def _number(text: str, column: str, where: str, limit: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise TraceError(
            f"{where}: {column} is {text.strip()!r}, not a number; "
            "write plain decimal numbers (e.g. 12.5), one per column"
        ) from None
    if not math.isfinite(value):
        raise TraceError(f"{where}: {column} is {text.strip()!r}; write a finite number")
    if abs(value) > limit:
        raise TraceError(f"{where}: {column} = {value:g} is out of range (|value| <= {limit:g})")
    return value


def _fast_parse(lines: list[str]) -> Trace | None:
    """Column-wise parse of a well-formed trace (the common case, ~3x faster than checking
    cell by cell); None on anything unusual, and the careful parser then names the line."""
    rows = [row for row in csv.reader(lines) if row]
    if len(rows) < 2:
        return None
    header = [cell.strip().lower() for cell in rows[0]]
    if "t_s" not in header or "weight_g" not in header:
        return None
    body = rows[1:]
    width = len(header)
    if any(len(row) != width for row in body):
        return None
    names = ["t_s", "weight_g"] + [c for c in ("weight2_g", *ACCEL_COLUMNS) if c in header]
    if 0 < sum(c in header for c in ACCEL_COLUMNS) < 3:
        return None
    cols: dict[str, list[int]] = {}
    try:
        for c in names:
            i = header.index(c)
            values = [float(row[i]) for row in body]
            limit = 1e7 if c == "t_s" else LIMIT_ACCEL_G if c in ACCEL_COLUMNS else LIMIT_G
            if not all(math.isfinite(v) and -limit <= v <= limit for v in values):
                return None
            cols[c] = [round(v * 1000) for v in values]
    except ValueError:
        return None
    t = cols["t_s"]
    if any(b <= a for a, b in zip(t, t[1:], strict=False)):
        return None
    accel = None
    if "ax_g" in cols:
        accel = list(zip(cols["ax_g"], cols["ay_g"], cols["az_g"], strict=True))
    return Trace(t, cols["weight_g"], cols.get("weight2_g"), accel)


def parse_csv(text: str, name: str = "trace") -> Trace:
    """Parse and check a trace CSV; raises TraceError with the line and the fix."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.splitlines()
    return _parse_lines(lines, lines, name)


def _parse_lines(lines: list[str], numbered: Iterable[str], name: str) -> Trace:
    """The trace in `lines`; `numbered` yields the same rows where each sits in the file
    (blank lines standing in for the rows before), so messages name the file's lines."""
    fast = _fast_parse(lines)
    if fast is not None:
        return fast
    if not any(line.strip() for line in lines):
        raise TraceError(
            f"{name}: the file is empty; a trace needs a header row (t_s,weight_g,...) "
            "and at least one sample"
        )
    reader = csv.reader(numbered)
    header_line = 0
    header: list[str] = []
    while not header:  # the first non-blank row is the header
        row = next(reader)
        header_line = reader.line_num
        if any(cell.strip() for cell in row):
            header = [cell.strip().lower() for cell in row]
    for column in ("t_s", "weight_g"):
        if column not in header:
            raise TraceError(
                f"{name} line {header_line}: no `{column}` column in the header "
                f"({','.join(header)}); the header must name t_s and weight_g "
                "(and optionally weight2_g, ax_g, ay_g, az_g)"
            )
    col = {c: header.index(c) for c in header}
    has_w2 = "weight2_g" in col
    accel_present = [c for c in ACCEL_COLUMNS if c in col]
    if accel_present and len(accel_present) != 3:
        missing = ", ".join(c for c in ACCEL_COLUMNS if c not in col)
        raise TraceError(
            f"{name} line {header_line}: accelerometer columns must come as a set; "
            f"add {missing} or remove {', '.join(accel_present)}"
        )
    has_accel = len(accel_present) == 3
    t_ms: list[int] = []
    w1: list[int] = []
    w2: list[int] | None = [] if has_w2 else None
    acc: list[tuple[int, int, int]] | None = [] if has_accel else None
    last_t = -math.inf
    last_line = header_line
    for row in reader:
        line_no = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        where = f"{name} line {line_no}"
        if len(row) < len(header):
            raise TraceError(
                f"{where}: {len(row)} values for {len(header)} columns; "
                "every row needs a value in every column"
            )
        t = _number(row[col["t_s"]], "t_s", where, 1e7)
        if t <= last_t:
            raise TraceError(
                f"{where}: t_s = {t:g} does not increase (previous {last_t:g}, line "
                f"{last_line}); sort the rows by time and drop duplicates"
            )
        last_t, last_line = t, line_no
        t_ms.append(round(t * 1000))
        w1.append(round(_number(row[col["weight_g"]], "weight_g", where, LIMIT_G) * 1000))
        if w2 is not None:
            w2.append(round(_number(row[col["weight2_g"]], "weight2_g", where, LIMIT_G) * 1000))
        if acc is not None:
            acc.append(
                tuple(  # type: ignore[arg-type]
                    round(_number(row[col[c]], c, where, LIMIT_ACCEL_G) * 1000)
                    for c in ACCEL_COLUMNS
                )
            )
        if len(t_ms) > 1 and t_ms[-1] <= t_ms[-2]:
            raise TraceError(
                f"{where}: t_s = {t:g} is within a millisecond of the previous sample; "
                "samples must be at least 1 ms apart"
            )
    if not t_ms:
        raise TraceError(f"{name}: a header but no samples; add rows of t_s,weight_g,...")
    return Trace(t_ms, w1, w2, acc)


def _read_error(p: Path, e: Exception, where: str = "") -> TraceError:
    if isinstance(e, FileNotFoundError):
        return TraceError(f"{p}: no such file; give the path of a trace CSV")
    if isinstance(e, IsADirectoryError):
        return TraceError(f"{p}: is a directory; give the path of a trace CSV file")
    if isinstance(e, UnicodeDecodeError):
        return TraceError(
            f"{p}{where}: not a text CSV (byte {e.start} is not UTF-8); export the trace as CSV"
        )
    return TraceError(f"{p}: cannot read it ({getattr(e, 'strerror', None) or e})")


def read_csv(path: str | Path) -> Trace:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise _read_error(p, e) from None
    return parse_csv(text, name=str(p))


CHUNK_ROWS = 50_000  # rows checked and encoded at a time by write_binary


def write_binary(
    path: str | Path,
    out: BinaryIO,
    chunk_rows: int = CHUNK_ROWS,
    stats: TraceStats | None = None,
) -> int:
    """Check the trace CSV at `path` and write its binary form to `out`, `chunk_rows` rows
    at a time, so memory stays bounded however long the trace (a 10-hour 100 Hz trace is
    3.6 million rows). The same checks and messages as read_csv. Returns the samples. When
    `stats` is given, it is filled in as stats_of(read_csv(path)) would be (for `notes`)."""
    p = Path(path)
    name = str(p)
    try:
        f = open(p, encoding="utf-8", newline="")
    except OSError as e:
        raise _read_error(p, e) from None
    header = ""
    header_no = 0
    carry = ""  # the previous chunk's last row: the time order is checked across chunks
    carry_no = 0
    chunk: list[str] = []
    first_no = 0
    n = 0
    n_long = 0
    first: list[list[int]] = []  # each bottle's first START_SAMPLES values, mg

    def flush() -> None:
        nonlocal n, carry, carry_no, n_long, first
        if not any(line.strip() for line in chunk):
            return  # blank lines only: nothing to check or write
        lines = [header] + ([carry] if carry else []) + chunk
        numbered = itertools.chain(
            itertools.repeat("", header_no - 1),
            [header],
            itertools.repeat("", (carry_no if carry else first_no) - header_no - 1),
            [carry] if carry else [],
            itertools.repeat("", first_no - carry_no - 1) if carry else [],
            chunk,
        )
        trace = _parse_lines(lines, numbered, name)
        if n == 0:
            out.write(trace.binary_header())
        n += trace.write_records(out, skip=1 if carry else 0)
        n_long += long_steps(trace.t_ms)  # (the carried row starts this chunk's first step)
        if not first:
            cols = [trace.w1_mg] + ([trace.w2_mg] if trace.w2_mg is not None else [])
            first = [c[:START_SAMPLES] for c in cols]
        elif len(first[0]) < START_SAMPLES:
            more = START_SAMPLES - len(first[0])
            first[0] += trace.w1_mg[1 : 1 + more]  # (the carried row is already in)
            if trace.w2_mg is not None and len(first) > 1:
                first[1] += trace.w2_mg[1 : 1 + more]
        for k in range(len(chunk) - 1, -1, -1):
            if chunk[k].strip():
                carry, carry_no = chunk[k], first_no + k
                break

    line_no = 0
    with f:
        try:
            for raw in f:
                line_no += 1
                line = raw.rstrip("\r\n")
                if line_no == 1 and line.startswith("\ufeff"):
                    line = line[1:]
                if not header:
                    if line.strip():
                        header, header_no = line, line_no
                    continue
                if not chunk:
                    first_no = line_no
                chunk.append(line)
                if len(chunk) >= chunk_rows:
                    flush()
                    chunk = []
        except UnicodeDecodeError as e:
            raise _read_error(p, e, f" after line {line_no}") from None
        except OSError as e:
            raise _read_error(p, e) from None
    if not header:
        raise TraceError(
            f"{name}: the file is empty; a trace needs a header row (t_s,weight_g,...) "
            "and at least one sample"
        )
    if chunk and any(line.strip() for line in chunk):
        flush()
    if n == 0:
        raise TraceError(f"{name}: a header but no samples; add rows of t_s,weight_g,...")
    if stats is not None:
        stats.steps, stats.long_steps, stats.start_g = n - 1, n_long, _start_g(first)
    return n
