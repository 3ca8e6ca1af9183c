# SPDX-License-Identifier: GPL-2.0
"""`make bench`: C and Rust flavours side by side under the same QEMU settings.

vmcore: dd of /proc/vmcore at bs=1M and bs=4k, makedumpfile -d 31 with and without mmap, and
the guest's copy ceiling (a tmpfs file read with dd at the same block sizes), at several guest
RAM sizes, each KDT_BENCH_REPEATS (3) times. Figures go to build/bench/vmcore.json (every run's
seconds, the median as "seconds"); the table shows median MB/s, Rust/C ratios, the share of
the ceiling, and how the Rust dd bs=1M time grows with the guest. Nothing here asserts a time:
the numbers are for reading.
"""

import json
import os
import statistics

from . import initramfs, kbuild, qemu
from .common import BUILD, KdtError, progress
from .scenarios import CRASHKERNEL

REPEATS = int(os.environ.get("KDT_BENCH_REPEATS", "3"))
TESTS = ["ceiling_1m", "ceiling_4k", "vmcore_1m", "vmcore_4k", "makedumpfile_mmap",
         "makedumpfile_non_mmap"]


def _one(flavour, mem_mib):
    bz, _ = kbuild.artefacts(flavour)
    initrd = initramfs.build_for(flavour, bz)
    d = BUILD / "bench" / "runs" / f"{flavour}-{mem_mib}"
    d.mkdir(parents=True, exist_ok=True)
    ceiling = min(400, mem_mib // 3)
    cmdline = (f"console=ttyS0 panic=1 oops=panic crashkernel={CRASHKERNEL} kdt.scenario=bench "
               f"kdt.ceiling_mib={ceiling} kdt.repeats={REPEATS}")
    run = qemu.run(kernel=bz, initrd=initrd, cmdline=cmdline, log=d / "serial.log",
                   mem_mib=mem_mib, timeout=600)
    if run.timed_out:
        raise KdtError(f"bench {flavour} {mem_mib} MiB: guest hung; see {d / 'serial.log'}")
    rows = []
    for boot in run.boots:
        for key, val in boot.facts.items():
            if not key.startswith("b_"):
                continue
            nbytes, times, rc = val.split(":")
            test = key[2:]
            if rc != "0":
                raise KdtError(f"bench {flavour} {mem_mib} MiB: {test} failed (exit {rc}); "
                               f"see {d / 'serial.log'}")
            runs = [float(t) for t in times.split(",")]
            secs = statistics.median(runs)
            rows.append({"flavour": flavour, "guest_mib": mem_mib, "test": test,
                         "bytes": int(nbytes), "seconds": secs, "runs": runs,
                         "mb_per_s": round(int(nbytes) / 1e6 / secs, 1) if secs > 0 else None})
    if flavour == "twin":
        # One capture kernel, both providers: rows for each, under their own names.
        for r in rows:
            rust = r["test"].startswith("twin_rust_")
            r["test"] = r["test"].removeprefix("twin_rust_")
            r["flavour"] = "twin-rust" if rust else "twin-c"
    missing = set(TESTS) - {r["test"] for r in rows}
    if missing:
        raise KdtError(f"bench {flavour} {mem_mib} MiB: no figure for {', '.join(sorted(missing))}; "
                       f"see {d / 'serial.log'}")
    return rows


def run_bench(flavours, mems, twin=False):
    rows = []
    for mem in mems:
        for flavour in flavours:
            progress(f"bench: {flavour} flavour, {mem} MiB guest")
            rows += _one(flavour, mem)
    if twin:
        progress(f"bench: twin flavour (C and Rust providers in one kernel), {mems[0]} MiB guest")
        rows += _one("twin", mems[0])
    out = BUILD / "bench" / "vmcore.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=1))
    _table(rows, flavours, mems)
    if twin:
        print(f"\nthe same kernel (twin flavour), {mems[0]} MiB guest:")
        _table([dict(r, flavour=r["flavour"].removeprefix("twin-")) for r in rows
                if r["flavour"].startswith("twin-")], ["c", "rust"], mems[:1], growth=False)
    print(f"figures: {out}")
    return 0


def _table(rows, flavours, mems, growth=True):
    get = {(r["flavour"], r["guest_mib"], r["test"]): r for r in rows}
    print()
    head = f"{'guest':>6} {'test':<22}" + "".join(f"{f + ' MB/s':>12}" for f in flavours)
    if "c" in flavours and "rust" in flavours:
        head += f"{'rust/c':>9}"
    head += f"{'% ceiling':>11}"
    print(head)
    for mem in mems:
        for test in TESTS:
            line = f"{mem:>6} {test:<22}"
            vals = {}
            for f in flavours:
                r = get.get((f, mem, test))
                vals[f] = r["mb_per_s"] if r and r["mb_per_s"] else None
                line += f"{vals[f] if vals[f] else '-':>12}"
            if "c" in flavours and "rust" in flavours:
                ratio = vals["rust"] / vals["c"] if vals.get("rust") and vals.get("c") else None
                line += f"{f'{ratio:.2f}x' if ratio else '-':>9}"
            ceil = get.get((flavours[-1], mem, "ceiling_" + test[-2:]))
            if test.startswith("vmcore") and ceil and vals.get(flavours[-1]):
                line += f"{100 * vals[flavours[-1]] / ceil['mb_per_s']:>10.0f}%"
            print(line)
    if not growth:
        return
    # How the time grows: seconds for dd bs=1M, per flavour, against the smallest guest.
    print()
    print(f"{'guest':>6} {'vmcore MiB':>11}" + "".join(f"{f + ' dd 1M s':>14}" for f in flavours)
          + "".join(f"{f + ' x':>9}" for f in flavours))
    base = {f: get.get((f, mems[0], "vmcore_1m")) for f in flavours}
    for mem in mems:
        r0 = get.get((flavours[0], mem, "vmcore_1m"))
        line = f"{mem:>6} {r0['bytes'] / 2**20 if r0 else 0:>11.0f}"
        for f in flavours:
            r = get.get((f, mem, "vmcore_1m"))
            line += f"{r['seconds'] if r else '-':>14}"
        for f in flavours:
            r = get.get((f, mem, "vmcore_1m"))
            line += (f"{r['seconds'] / base[f]['seconds']:>8.2f}x" if r and base[f] else
                     f"{'-':>9}")
        print(line)
