"""What the `make bench` sections share: the fixed scenario set and the firmware's replays.

    ctx = BenchContext(out_dir=Path("bench/out"))
    for rec in ctx.scenarios():       # generated once (cached on disk by generator hash)
        rec.name, rec.csv_path, rec.truth, rec.meta
    preds = ctx.replays()             # name -> score.Prediction (None when the replay failed)

Both are computed on first use and kept, so later sections (coach checks, log size, ...)
reuse them. The scenario CSVs live under bench/out/scenarios/, the raw replay JSON Lines
under bench/out/replay/. The cache is keyed on the generator's source: editing
bench/scenarios.py regenerates everything.

Limits: replays run at most 2 at a time (the machine is shared); a replay that fails is
reported on stderr and scored as missing, never silently as "no events".
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bench import scenarios as scn_mod
from bench.score import Prediction, parse_replay

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "bench" / "out"
REPLAY_TIMEOUT_S = 900
# a held-out set's folder: seeds-100-320hz, seeds-100-without-press-walk
_FOLDER_UNIT = {"--rate": "hz", "--ripple": "x-ripple", "--gait": "-gait", "--noise": "x-noise"}
_FOLDER_LEAD = {"--draw": "draw-"}


def draw_arg(text: str) -> int:
    """--draw's value (bench and bench.sets): 0 (the sets' own noise) or a later draw, 1, 2, ..."""
    try:
        k = int(text)
    except ValueError:
        k = -1
    if k < 0:
        raise argparse.ArgumentTypeError(
            "%r: give 0 (the sets' own noise) or a draw 1, 2, ... (e.g. --draw 1)" % text
        )
    return k


@dataclass
class ScenarioRecord:
    name: str
    meta: dict
    csv_path: Path
    truth: scn_mod.Truth
    params: dict


def log(msg: str) -> None:
    """Progress goes to stderr: stdout carries the tables and the closing JSON line."""
    print(msg, file=sys.stderr, flush=True)


def pumpmon_exe() -> str | None:
    here = Path(sys.executable).parent / "pumpmon"
    if here.exists():
        return str(here)
    return shutil.which("pumpmon")


class BenchContext:
    def __init__(
        self,
        out_dir: Path = DEFAULT_OUT,
        jobs: int = 2,
        quick: bool = False,
        argv_hint: str = "",
        seeds: int | None = None,
        press: str = "strokes",
        flow: str = "smooth",
        rate_hz: int | None = None,
        ripple: int = 1,
        without: tuple[str, ...] = (),
        rise: str = "gradual",
        gait: str = "usual",
        draw: int = 0,
        noise: float = 1,
    ):
        self.seeds = seeds
        self.noise = noise
        self.draw = draw
        self.rise = rise
        self.gait = gait
        self.ripple = ripple
        self.without = tuple(without)
        self.press = press
        self.flow = flow
        self.rate_hz = rate_hz
        self.out_dir = Path(out_dir)
        # a set other than the bench's own has a folder of its own (the fixed set: --without)
        parts = ["seeds-%d" % seeds] if seeds is not None else []
        for option, value in self._variant():
            if option == "--without":
                parts.append("without-" + "-".join(self.without))
            else:
                parts.append(
                    "%s%s%s" % (_FOLDER_LEAD.get(option, ""), value, _FOLDER_UNIT.get(option, ""))
                )
        if parts:
            self.out_dir = self.out_dir / "-".join(parts)
        self.jobs = max(1, min(2, jobs))
        self.quick = quick
        self.figures: dict = {}
        self.replay_errors: dict[str, str] = {}
        self.replay_seconds: float | None = None
        self._scenarios: list[ScenarioRecord] | None = None
        self._replays: dict[str, Prediction | None] | None = None
        self._argv_hint = argv_hint

    # -- how to reproduce a figure -----------------------------------------------------------
    def reproduce(self, section: str) -> str:
        cmd = ".venv/bin/python -m bench --only %s" % section
        if self.quick:
            cmd += " --quick"
        if self.seeds is not None:
            cmd += " --seeds %d" % self.seeds
        for option, value in self._variant():
            cmd += " %s %s" % (option, value)
        return "reproduce: %s   (all sections: make bench)" % cmd

    def _variant(self) -> list[tuple[str, object]]:
        """The held-out set's options that differ from the bench's own, as (option, value)."""
        out: list[tuple[str, object]] = []
        if self.press != "strokes":
            out.append(("--press", self.press))
        if self.flow != "smooth":
            out.append(("--flow", self.flow))
        if self.rise != "gradual":
            out.append(("--rise", self.rise))
        if self.gait != "usual":
            out.append(("--gait", self.gait))
        if self.rate_hz is not None:
            out.append(("--rate", self.rate_hz))
        if self.ripple != 1:
            out.append(("--ripple", self.ripple))
        if self.noise != 1:
            out.append(("--noise", "%g" % self.noise))
        if self.without:
            out.append(("--without", ",".join(self.without)))
        if self.draw:
            out.append(("--draw", self.draw))
        return out

    # -- the scenario set --------------------------------------------------------------------
    def entries(self) -> list[dict]:
        if self.seeds is not None:
            entries = scn_mod.held_out_set(
                self.seeds,
                self.press,
                self.flow,
                self.rate_hz,
                self.ripple,
                self.without,
                self.rise,
                self.gait,
                self.draw,
                self.noise,
            )
        else:
            entries = scn_mod.bench_set()
            for e in entries:
                if self.without:
                    e["without"] = list(self.without)
                if self.draw:
                    e["noise_draw"] = self.draw
        if self.quick:
            # two of each phenotype and two controls: for a fast look, not for the figures
            seen: dict[str, int] = {}
            picked = []
            for e in entries:
                seen[e["kind"]] = seen.get(e["kind"], 0) + 1
                if seen[e["kind"]] <= 2:
                    picked.append(e)
            entries = picked
        return entries

    def scenarios(self) -> list[ScenarioRecord]:
        if self._scenarios is None:
            self._scenarios = self._load_or_generate()
        return self._scenarios

    def _load_or_generate(self) -> list[ScenarioRecord]:
        sdir = self.out_dir / "scenarios"
        sdir.mkdir(parents=True, exist_ok=True)
        manifest_path = sdir / "manifest.json"
        digest = hashlib.sha256(Path(scn_mod.__file__).read_bytes()).hexdigest()
        cached: dict = {}
        if manifest_path.exists():
            try:
                m = json.loads(manifest_path.read_text())
            except json.JSONDecodeError:
                m = {}
            if m.get("generator_sha256") == digest:
                cached = m.get("scenarios", {})
        records = []
        t0 = time.monotonic()
        made = 0
        for e in self.entries():
            name = "%s-%03d" % (e["kind"], e["seed"])
            csv_path = sdir / (name + ".csv")
            hit = cached.get(name)
            if hit and hit.get("entry") == e and csv_path.exists():
                truth = scn_mod.Truth.from_dict(hit["truth"])
                records.append(ScenarioRecord(name, hit["meta"], csv_path, truth, hit["params"]))
                continue
            s = scn_mod.generate(**e)
            s.to_csv(csv_path)
            made += 1
            rec = ScenarioRecord(name, s.meta(), csv_path, s.truth, s.params)
            records.append(rec)
            cached[name] = {
                "entry": e,
                "meta": rec.meta,
                "truth": s.truth.to_dict(),
                "params": s.params,
            }
        if made:
            manifest_path.write_text(
                json.dumps({"generator_sha256": digest, "scenarios": cached}, indent=1)
            )
            log("bench: generated %d scenario(s) in %.1f s" % (made, time.monotonic() - t0))
        return records

    # -- the firmware's own replay -----------------------------------------------------------
    def replays(self) -> dict[str, Prediction | None]:
        if self._replays is None:
            self._replays = self._run_replays()
        return self._replays

    def _run_replays(self) -> dict[str, Prediction | None]:
        exe = pumpmon_exe()
        recs = self.scenarios()
        if exe is None:
            for r in recs:
                self.replay_errors[r.name] = "no `pumpmon` command (run `make venv`)"
            return {r.name: None for r in recs}
        rdir = self.out_dir / "replay"
        rdir.mkdir(parents=True, exist_ok=True)

        def one(rec: ScenarioRecord) -> tuple[str, Prediction | None]:
            try:
                proc = subprocess.run(
                    [exe, "replay", str(rec.csv_path)],
                    capture_output=True,
                    text=True,
                    timeout=REPLAY_TIMEOUT_S,
                    cwd=str(REPO),
                )
            except subprocess.TimeoutExpired:
                self.replay_errors[rec.name] = "timed out after %d s" % REPLAY_TIMEOUT_S
                return rec.name, None
            (rdir / (rec.name + ".jsonl")).write_text(proc.stdout)
            if proc.returncode != 0:
                err = (proc.stderr.strip().splitlines() or ["(no message)"])[-1]
                self.replay_errors[rec.name] = "exit %d: %s" % (proc.returncode, err)
                return rec.name, None
            try:
                pred = parse_replay(proc.stdout, n_channels=2)
            except ValueError as e:
                self.replay_errors[rec.name] = str(e)
                return rec.name, None
            if not pred.other.get("summary"):
                self.replay_errors[rec.name] = "no summary line in the replay output"
                return rec.name, None
            return rec.name, pred

        t0 = time.monotonic()
        log(
            "bench: replaying %d sessions through `pumpmon replay` (%d at a time)..."
            % (len(recs), self.jobs)
        )
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            results = dict(pool.map(one, recs))
        self.replay_seconds = time.monotonic() - t0
        for name, err in sorted(self.replay_errors.items()):
            log("bench: replay of %s failed: %s" % (name, err))
        return results
