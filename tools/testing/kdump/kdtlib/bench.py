# SPDX-License-Identifier: GPL-2.0
"""`make bench`: C and Rust flavours side by side under the same QEMU settings.

vmcore: dd of /proc/vmcore at bs=1M and bs=4k, makedumpfile -d 31 with and without mmap, and
the guest's copy ceiling (a tmpfs file read with dd at the same block sizes), at several guest
RAM sizes, each KDT_BENCH_REPEATS (3) times. Figures go to build/bench/vmcore.json (every run's
seconds, the median as "seconds"); the table shows median MB/s, Rust/C ratios, the share of
the ceiling, and how the Rust dd bs=1M time grows with the guest. Nothing here asserts a time:
the numbers are for reading.

kexec: the kexec_load syscall time of a 16 MiB normal image (two segments, as a kernel and an
initrd) from the test loader, KEXEC_LOADS times in one guest per flavour (the figure is the mean
after two warm-up loads); and kexec -e into the
same kernel against a cold QEMU boot of it (host wall time from QEMU start, or from the guest's
"executing" line, to the kernel's first userspace line), KDT_BENCH_REPEATS times. Figures go to
build/bench/kexec.json.
"""

import json
import os
import statistics

from . import initramfs, kbuild, qemu
from .common import BUILD, KdtError, progress
from .scenarios import CRASHKERNEL, _boot

KEXEC_LOAD_MIB = 16
KEXEC_LOADS = int(os.environ.get("KDT_BENCH_LOADS", "15"))

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
    kexec_rows = run_kexec_bench(flavours)
    _table(rows, flavours, mems)
    if twin:
        print(f"\nthe same kernel (twin flavour), {mems[0]} MiB guest:")
        _table([dict(r, flavour=r["flavour"].removeprefix("twin-")) for r in rows
                if r["flavour"].startswith("twin-")], ["c", "rust"], mems[:1], growth=False)
    _kexec_table(kexec_rows, flavours)
    print(f"figures: {out}, {out.with_name('kexec.json')}")
    return 0


def _kexec_loads(flavour):
    progress(f"bench: {flavour} flavour, kexec_load of a {KEXEC_LOAD_MIB} MiB image "
             f"x{KEXEC_LOADS}")
    run, d, _ = _boot(flavour, "kload", f"kdt.mib={KEXEC_LOAD_MIB} kdt.repeats={KEXEC_LOADS}",
                      name="bench-kload")
    times = []
    for _, line in run.lines:
        i = line.find("KDT-LOAD ")
        if i >= 0:
            secs, err = line[i:].split()[1:3]
            if err != "OK":
                raise KdtError(f"bench {flavour}: kexec_load gave {err}; see {d / 'serial.log'}")
            times.append(float(secs))
    if len(times) != KEXEC_LOADS:
        raise KdtError(f"bench {flavour}: {len(times)} of {KEXEC_LOADS} load times; "
                       f"see {d / 'serial.log'}")
    # The guest clock may tick in 4 ms steps under TCG (once the TSC is marked unstable): the
    # figure is the mean of the loads after two warm-up ones, not a median of steps.
    return {"flavour": flavour, "test": "kexec_load_16mib",
            "seconds": round(statistics.mean(times[2:]), 6), "runs": times}


def _reboots(flavour):
    cold, warm = [], []
    for i in range(REPEATS):
        progress(f"bench: {flavour} flavour, cold boot and kexec -e ({i + 1}/{REPEATS})")
        run, d, _ = _boot(flavour, "reboot", "kdt.marker=bench kdt.kexec_flags=",
                          name="bench-reboot")
        t_first = run.find("KDT: role=first")
        t_exec = run.find("KDT: executing")
        t_second = run.find("KDT: role=second")
        if None in (t_first, t_exec, t_second):
            raise KdtError(f"bench {flavour}: the kexec -e run did not reach the second kernel; "
                           f"see {d / 'serial.log'}")
        cold.append(round(t_first, 3))
        warm.append(round(t_second - t_exec, 3))
    return [{"flavour": flavour, "test": "cold_boot", "seconds": statistics.median(cold),
             "runs": cold},
            {"flavour": flavour, "test": "kexec_e_reboot", "seconds": statistics.median(warm),
             "runs": warm}]


def run_kexec_bench(flavours):
    rows = []
    for flavour in flavours:
        if flavour == "twin":
            continue
        rows.append(_kexec_loads(flavour))
        rows += _reboots(flavour)
    out = BUILD / "bench" / "kexec.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=1))
    return rows


def _kexec_table(rows, flavours):
    get = {(r["flavour"], r["test"]): r for r in rows}
    print()
    print(f"{'kexec (seconds)':<28}" + "".join(f"{f:>10}" for f in flavours)
          + (f"{'rust/c':>9}" if "c" in flavours and "rust" in flavours else ""))
    for test, label in (("kexec_load_16mib", f"kexec_load {KEXEC_LOAD_MIB} MiB"),
                        ("cold_boot", "cold boot to userspace"),
                        ("kexec_e_reboot", "kexec -e to userspace")):
        vals = {f: get[(f, test)]["seconds"] for f in flavours if (f, test) in get}
        line = f"{label:<28}" + "".join(f"{vals.get(f, '-'):>10.4f}" if f in vals else
                                        f"{'-':>10}" for f in flavours)
        if "c" in vals and "rust" in vals and vals["c"]:
            line += f"{vals['rust'] / vals['c']:>8.2f}x"
        print(line)
    for f in flavours:
        cold, warm = get.get((f, "cold_boot")), get.get((f, "kexec_e_reboot"))
        if cold and warm and warm["seconds"]:
            print(f"{f}: kexec -e / cold boot = {warm['seconds'] / cold['seconds']:.2f} "
                  "(QEMU's firmware is quick; kexec -e includes shutdown and purgatory)")


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
