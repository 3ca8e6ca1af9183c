# SPDX-License-Identifier: GPL-2.0
"""`make bench`: C and Rust flavours side by side under the same QEMU settings.

vmcore: dd of /proc/vmcore at bs=1M and bs=4k, makedumpfile -d 31 with and without mmap, at
several guest RAM sizes, each KDT_BENCH_REPEATS (3) times, and the ceilings they are read
against, measured in the capture kernel that serves the file: its CPU copying as many bytes as
the dump holds in the same 1 MiB or 4 KiB pieces (copy-ceiling: rep movsq, as copy_to_user()
on this CPU; no syscall, no page walk), and, for reference, a tmpfs file read with dd in both
kernels (page cache to user memory, a page at a time). For makedumpfile the dump it made is
reported too: its size and the pages it kept, which the first kernel decides, so its time is
compared per kept page. Figures go to build/bench/vmcore.json (every run's seconds, the median
as "seconds", the spread (max - min) / median); the table shows median MB/s, Rust/C ratios, the
share of the copy ceiling, and how the dd bs=1M time grows with the guest. Nothing here asserts
a time: the numbers are for reading.

Every guest gets its TSC frequency on the command line (tsc_early_khz=, tsc=reliable): under
TCG a kernel with no HPET or PM timer to calibrate it against (no ACPI) would time on jiffies,
in 4 ms steps, and one that has them must not time differently from one that does not.

kexec: the kexec_load syscall time of a 16 MiB normal image (two segments, as a kernel and an
initrd) from the test loader, KDT_BENCH_LOADS (20) times in each of KDT_BENCH_LOAD_BOOTS (8)
boots a flavour, the flavours taking turns (the figure is the median of the boots' medians after
two warm-up loads, the spread that of the boot medians); the kexec_file_load time of the C
flavour's bzImage padded to 16 MiB (or to the most bzImage64_load takes: the kernel segment may
not be longer than init_size, 15.3 MiB) with a 64 MiB initrd, as a normal (kexec -s -l) and a
crash image (kexec -s -p), KDT_BENCH_FILE_LOADS (2) times in each of KDT_BENCH_FILE_BOOTS (3)
boots a flavour, counted as kexec_load's but with no warm-up load dropped, and how long each
holds the kexec lock, seen by a probe on the other CPU in KDT_BENCH_FILE_PROBES (1) more loads
(kexec-errno/kexec-file-time.c);
and kexec -e into the C flavour's kernel (the same work after the jump for every flavour)
against a cold QEMU boot of the flavour's own (host wall time from QEMU start, or from the
guest's "executing" line, to the kernel's first userspace line), KDT_BENCH_REBOOTS (6) times,
with kexec -e in three steps: the shutdown to the jump, the jump to the new kernel's first
line, and its boot. Figures go to build/bench/kexec.json.

crash: sysrq-c into a loaded crash kernel, KDT_BENCH_PANICS (6) times a flavour (panic to the
capture kernel's first line, to its userspace, to the vmcore written to disk, to QEMU's exit);
and kdump in the middle of a load, KDT_BENCH_MIDLOADS (20) panics per loader (kexec -l,
kexec -s -l, kexec -p and kexec -s -p reloading the crash kernel) and flavour, at random moments
of a loop of loads: how many were captured, and of those skipped how many the console named.
Figures go to build/bench/crash.json.

Pictures of vmcore.json and crash.json (kdtlib/plots.py, in the venv's python, which has
matplotlib) go to build/bench/vmcore-throughput.png and kdump-timeline.png.
"""

import json
import os
import re
import statistics
import subprocess

from . import initramfs, kbuild, qemu, scenarios
from .common import BUILD, HARNESS, VENV, KdtError, progress
from .dumpcheck import Check
from .scenarios import CRASHKERNEL, MIDLOAD_LOADERS, midload_attempt

KEXEC_LOAD_MIB = 16
KEXEC_LOADS = int(os.environ.get("KDT_BENCH_LOADS", "20"))
KEXEC_BOOTS = int(os.environ.get("KDT_BENCH_LOAD_BOOTS", "8"))
# kexec_file_load: the kernel file padded to this size (or to the most bzImage64_load takes,
# which init_size decides: 15.3 MiB for the C flavour's kernel) and the initrd.
FILE_KERNEL_MIB = 16
FILE_INITRD_MIB = 64
FILE_LOADS = int(os.environ.get("KDT_BENCH_FILE_LOADS", "2"))
FILE_PROBES = int(os.environ.get("KDT_BENCH_FILE_PROBES", "1"))
FILE_BOOTS = int(os.environ.get("KDT_BENCH_FILE_BOOTS", "3"))
# The test loader's names for the two kinds of image, and what the rows call them.
FILE_KINDS = {"l": "normal", "p": "crash"}

REPEATS = int(os.environ.get("KDT_BENCH_REPEATS", "3"))
REBOOTS = int(os.environ.get("KDT_BENCH_REBOOTS", "6"))
PANICS = int(os.environ.get("KDT_BENCH_PANICS", "6"))
MIDLOADS = int(os.environ.get("KDT_BENCH_MIDLOADS", "20"))
TESTS = ["ceiling_1m", "ceiling_4k", "cap_ceiling_1m", "cap_ceiling_4k", "copy_1m", "copy_4k",
         "vmcore_1m", "vmcore_4k", "makedumpfile_mmap", "makedumpfile_non_mmap"]


def clock_params():
    """Kernel parameters that give the guest a microsecond clock under TCG.

    A guest with no ACPI cannot calibrate its TSC (no PIT, HPET or PM timer reference under
    TCG), marks it unstable and runs on jiffies: every guest time then moves in 4 ms steps. (The
    tiny flavours have ACPI since they check kexec signatures, and calibrate it against QEMU's
    HPET.) QEMU's TCG TSC is the host's TSC, so the guest is told its frequency and that it is
    reliable."""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("cpu MHz"):
                return f"tsc_early_khz={int(float(line.split(':')[1]) * 1000)} tsc=reliable"
    except (OSError, ValueError):
        pass
    return ""


CLOCK = clock_params()


def _one(flavour, mem_mib):
    bz, _ = kbuild.artefacts(flavour)
    initrd = initramfs.build_for(flavour, bz)
    d = BUILD / "bench" / "runs" / f"{flavour}-{mem_mib}"
    d.mkdir(parents=True, exist_ok=True)
    ceiling = min(400, mem_mib // 3)
    cmdline = (f"console=ttyS0 panic=1 oops=panic crashkernel={CRASHKERNEL} kdt.scenario=bench "
               f"kdt.ceiling_mib={ceiling} kdt.repeats={REPEATS} {CLOCK}")
    run = qemu.run(kernel=bz, initrd=initrd, cmdline=cmdline, log=d / "serial.log",
                   mem_mib=mem_mib, timeout=600)
    if run.timed_out:
        raise KdtError(f"bench {flavour} {mem_mib} MiB: guest hung; see {d / 'serial.log'}")
    rows, info = [], {}
    for boot in run.boots:
        for key, val in boot.facts.items():
            if key.startswith("i_"):
                info[key[2:]] = val
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
                         "spread": round((max(runs) - min(runs)) / secs, 3) if secs > 0 else None,
                         "mb_per_s": round(int(nbytes) / 1e6 / secs, 1) if secs > 0 else None})
    for r in rows:
        r["clocksource"] = info.get("clocksource")
        if "makedumpfile" in r["test"]:
            # What makedumpfile kept decides its work as much as the provider's speed does.
            pre = "twin_rust_" if r["test"].startswith("twin_rust_") else ""
            kept = _int(info.get(f"{pre}pages_kept"))
            r["dump_bytes"] = _int(info.get(f"{pre}dump_bytes"))
            r["pages_kept"] = kept
            r["pages_total"] = _int(info.get(f"{pre}pages_total"))
            r["us_per_kept_page"] = round(r["seconds"] * 1e6 / kept, 3) if kept else None
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


def _int(text):
    try:
        return int(text, 0)
    except (TypeError, ValueError):
        return None


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
    run_crash_bench(flavours)
    print(f"figures: {out}, {out.with_name('kexec.json')}, {out.with_name('crash.json')}")
    print(_plots(out.parent))
    return 0


def _plots(bench_dir):
    """Draw the JSON files in `bench_dir` as PNG files there (kdtlib/plots.py, in the venv's
    python, which has matplotlib); returns one line naming them, or naming why not."""
    try:
        res = subprocess.run([str(VENV / "bin" / "python3"), "-m", "kdtlib.plots", str(bench_dir)],
                             cwd=HARNESS, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"pictures: not drawn: {e}"
    if res.returncode != 0:
        why = (res.stderr.strip().splitlines() or [f"exit {res.returncode}"])[-1]
        return f"pictures: not drawn ({VENV / 'bin' / 'python3'} -m kdtlib.plots): {why}"
    return "pictures: " + ", ".join(res.stdout.split())


# A kernel line the serial console printed into the middle of a guest's line (its timestamp).
KERNEL_STAMP = re.compile(r"\[\s*\d+\.\d+\]")


def own_words(line, i):
    """The words of the guest's line that starts at `i`, up to a kernel line the console printed
    into it."""
    return KERNEL_STAMP.split(line[i:], 1)[0].split()


def _kexec_loads(flavour, boot):
    progress(f"bench: {flavour} flavour, kexec_load of a {KEXEC_LOAD_MIB} MiB image "
             f"x{KEXEC_LOADS} (boot {boot + 1}/{KEXEC_BOOTS})")
    run, d, _ = scenarios.boot(flavour, "kload",
                      f"kdt.mib={KEXEC_LOAD_MIB} kdt.repeats={KEXEC_LOADS} {CLOCK}",
                      name="bench-kload")
    times = []
    for _, line in run.lines:
        i = line.find("KDT-LOAD ")
        if i >= 0:
            secs, err = own_words(line, i)[1:3]
            if err != "OK":
                raise KdtError(f"bench {flavour}: kexec_load gave {err}; see {d / 'serial.log'}")
            times.append(float(secs))
    if len(times) != KEXEC_LOADS:
        raise KdtError(f"bench {flavour}: {len(times)} of {KEXEC_LOADS} load times; "
                       f"see {d / 'serial.log'}")
    return times


def _kexec_load_rows(flavours):
    """kexec_load times over KEXEC_BOOTS boots a flavour, the flavours taking turns.

    One boot's loads agree with each other, but boots do not: where KASLR put the kernel
    decides how many freshly allocated pages are the image's own destinations and go through
    the dest_pages list, and a boot now and then is 2-3x slower for either flavour. The figure
    is the median over boots of each boot's median (after two warm-up loads); the spread is
    that of the boot medians."""
    boots = {f: [] for f in flavours}
    for b in range(KEXEC_BOOTS):
        for f in (flavours if b % 2 == 0 else list(reversed(flavours))):
            boots[f].append(_kexec_loads(f, b))
    rows = []
    for f, runs in boots.items():
        medians = [statistics.median(t[2:]) for t in runs]
        secs = statistics.median(medians)
        rows.append({"flavour": f, "test": "kexec_load_16mib", "seconds": round(secs, 6),
                     "boot_medians": [round(m, 6) for m in medians],
                     "spread": round((max(medians) - min(medians)) / secs, 3),
                     "runs": runs})
    return rows


def parse_file_loads(lines):
    """The test loader's lines (kexec-errno/kexec-file-time.c) from one boot: {"info": {key:
    int}, "loads": {kind: [seconds]}, "probes": {kind: [{"seconds", "hold", "busy", "samples",
    "sample_us", "retries", "other"}]}}, kinds "normal" and "crash". A load that failed raises
    KdtError naming it."""
    out = {"info": {}, "loads": {k: [] for k in FILE_KINDS.values()},
           "probes": {k: [] for k in FILE_KINDS.values()}}
    for line in lines:
        for tag in ("KDT-FLOAD-INFO ", "KDT-FLOAD ", "KDT-FLOCK "):
            i = line.find(tag)
            if i >= 0:
                break
        else:
            continue
        words = own_words(line, i)
        if tag == "KDT-FLOAD-INFO ":
            out["info"] = {k: int(v) for k, v in (w.split("=", 1) for w in words[1:])}
            continue
        kind, secs, err = words[1:4]
        kind = FILE_KINDS.get(kind, kind)
        if err != "OK":
            raise KdtError(f"kexec_file_load of a {kind} image gave {err}")
        if tag == "KDT-FLOAD ":
            out["loads"][kind].append(float(secs))
            continue
        probe = {k: float(v) for k, v in (w.split("=", 1) for w in words[4:])}
        for k in ("samples", "retries", "other"):
            probe[k] = int(probe.get(k, 0))
        out["probes"][kind].append({"seconds": float(secs), **probe})
    return out


def _file_loads(flavour, boot):
    progress(f"bench: {flavour} flavour, kexec_file_load of a kernel of up to {FILE_KERNEL_MIB} "
             f"MiB and a {FILE_INITRD_MIB} MiB initrd x{FILE_LOADS}, x{FILE_PROBES} with the lock "
             f"probe (boot {boot + 1}/{FILE_BOOTS})")
    # Every flavour loads the C flavour's kernel, so that both load the same file.
    run, d, _ = scenarios.boot(flavour, "fload",
                               f"kdt.kernel_mib={FILE_KERNEL_MIB} kdt.initrd_mib={FILE_INITRD_MIB} "
                               f"kdt.repeats={FILE_LOADS} kdt.probes={FILE_PROBES} {CLOCK}",
                               name="bench-fload", target="c", timeout=600)
    try:
        got = parse_file_loads(line for _, line in run.lines)
    except KdtError as e:
        raise KdtError(f"bench {flavour}: {e}; see {d / 'serial.log'}")
    for kind in FILE_KINDS.values():
        if (len(got["loads"][kind]), len(got["probes"][kind])) != (FILE_LOADS, FILE_PROBES):
            raise KdtError(f"bench {flavour}: {len(got['loads'][kind])} of {FILE_LOADS} "
                           f"kexec_file_load times and {len(got['probes'][kind])} of "
                           f"{FILE_PROBES} probed loads of a {kind} image; "
                           f"see {d / 'serial.log'}")
    return got


def _spread(values, mid):
    return round((max(values) - min(values)) / mid, 3) if mid else None


def file_load_rows(boots):
    """kexec.json's kexec_file_load rows from {flavour: [parse_file_loads() of each boot]}.

    For each flavour and kind of image: "kexec_file_load_<kind>", the load's time, the median of
    the boots' medians with the spread of those (as kexec_load's); and "kexec_file_lock_<kind>",
    how long the probed loads held the kexec lock, the median of the boots' medians of the
    longest hold a load ("seconds"), with the median share of the probe's samples that found the
    lock held ("busy"), the probed loads' own time ("load_seconds": the probe on the other CPU
    slows them), the probe's mean time a sample ("sample_us": the hold is within about one
    sample of the truth) and the loads its own hold of the lock refused ("retries")."""
    rows = []
    for f, runs in boots.items():
        info = runs[0]["info"] if runs else {}
        for kind in FILE_KINDS.values():
            loads = [b["loads"][kind] for b in runs]
            medians = [statistics.median(t) for t in loads if t]
            secs = statistics.median(medians) if medians else None
            rows.append({"flavour": f, "test": f"kexec_file_load_{kind}",
                         "seconds": round(secs, 6) if secs is not None else None,
                         "boot_medians": [round(m, 6) for m in medians],
                         "spread": _spread(medians, secs) if medians else None,
                         "kernel_bytes": info.get("kernel"), "initrd_bytes": info.get("initrd"),
                         "runs": loads})
            probes = [b["probes"][kind] for b in runs]
            holds = [statistics.median(p["hold"] for p in ps) for ps in probes if ps]
            every = [p for ps in probes for p in ps]
            hold = statistics.median(holds) if holds else None
            rows.append({"flavour": f, "test": f"kexec_file_lock_{kind}",
                         "seconds": round(hold, 6) if hold is not None else None,
                         "boot_medians": [round(h, 6) for h in holds],
                         "spread": _spread(holds, hold) if holds else None,
                         "busy": statistics.median(p["busy"] for p in every) if every else None,
                         "load_seconds": (statistics.median(p["seconds"] for p in every)
                                          if every else None),
                         "sample_us": (statistics.median(p["sample_us"] for p in every)
                                       if every else None),
                         "retries": sum(p["retries"] for p in every),
                         "other": sum(p["other"] for p in every),
                         "runs": probes})
    return rows


def _file_load_rows(flavours):
    """kexec_file_load times over FILE_BOOTS boots a flavour, the flavours taking turns."""
    boots = {f: [] for f in flavours}
    for b in range(FILE_BOOTS):
        for f in (flavours if b % 2 == 0 else list(reversed(flavours))):
            boots[f].append(_file_loads(f, b))
    return file_load_rows(boots)


def _reboots(flavour):
    """Cold boot and kexec -e, REBOOTS times. Every flavour kexecs into the C flavour's kernel,
    so that what follows the jump is the same work: relocate_kernel, purgatory's digest check
    and the decompressor run over the same image (the Rust flavour's own kernel is bigger, by
    its KUnit suites and samples, and takes longer to check and decompress), and the same
    kernel boots. kexec -e is timed in three steps: the shutdown up to the jump
    (kernel_kexec(), the flavour's kexec core), from there to the new kernel's first line, and
    that kernel's boot to userspace."""
    cold, warm, steps = [], [], {"shutdown": [], "jump": [], "boot": []}
    for i in range(REBOOTS):
        progress(f"bench: {flavour} flavour, cold boot and kexec -e ({i + 1}/{REBOOTS})")
        run, d, _ = scenarios.boot(flavour, "reboot", "kdt.marker=bench kdt.kexec_flags=",
                          name="bench-reboot", target="c")
        t_first = run.find("KDT: role=first")
        t_exec = run.find("KDT: executing")
        t_second = run.find("KDT: role=second")
        if None in (t_first, t_exec, t_second):
            raise KdtError(f"bench {flavour}: the kexec -e run did not reach the second kernel; "
                           f"see {d / 'serial.log'}")
        cold.append(round(t_first, 3))
        warm.append(round(t_second - t_exec, 3))
        t_jump = run.find("Starting new kernel", after=t_exec)
        t_new = run.find("Linux version", after=t_jump or t_exec)
        if t_jump is not None and t_new is not None:
            steps["shutdown"].append(round(t_jump - t_exec, 3))
            steps["jump"].append(round(t_new - t_jump, 3))
            steps["boot"].append(round(t_second - t_new, 3))
    return [{"flavour": flavour, "test": "cold_boot", "seconds": statistics.median(cold),
             "runs": cold},
            {"flavour": flavour, "test": "kexec_e_reboot", "seconds": statistics.median(warm),
             "runs": warm,
             "steps": {k: statistics.median(v) for k, v in steps.items() if v},
             "step_runs": steps}]


def run_kexec_bench(flavours):
    flavours = [f for f in flavours if f != "twin"]
    rows = _kexec_load_rows(flavours)
    rows += _file_load_rows(flavours)
    for flavour in flavours:
        rows += _reboots(flavour)
    out = BUILD / "bench" / "kexec.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=1))
    return rows


def _panics(flavours):
    """sysrq-c into a loaded crash kernel, PANICS times a flavour, the flavours taking turns:
    from the panic line to the capture kernel's first line (the crash path: registers and
    VMCOREINFO saved, the other CPUs stopped, the jump, purgatory, the decompressor), and on
    to its userspace, to the vmcore written to the artefact disk (after the scenario's checks of
    it), and to QEMU's exit (the capture kernel's reboot -f, under -no-reboot). Every flavour
    loads the C flavour's kernel as its crash kernel, so what follows the jump is the same work
    for both. Times are the host's, as the serial lines arrive."""
    runs = {f: {"capture": [], "userspace": [], "dump_written": [], "reboot": []}
            for f in flavours}
    for i in range(PANICS):
        for f in (flavours if i % 2 == 0 else list(reversed(flavours))):
            progress(f"bench: {f} flavour, panic into the crash kernel ({i + 1}/{PANICS})")
            run, d, img = scenarios.boot(f, "kdump", f"kdt.kexec_flags= {CLOCK}", disk=True,
                                name="bench-panic", target="c")
            if img is not None:
                img.unlink(missing_ok=True)
            t_panic = run.find("Kernel panic - not syncing")
            t_cap = run.find("Linux version", after=t_panic) if t_panic is not None else None
            t_user = run.find("KDT: role=capture", after=t_cap) if t_cap is not None else None
            if None in (t_panic, t_cap, t_user):
                raise KdtError(f"bench {f}: the panic did not reach the capture kernel's "
                               f"userspace; see {d / 'serial.log'}")
            # The capture kernel's "KDT: art=vmcore ... rc=0" line: the dump is on the disk.
            cap = next((b for b in run.boots if b.get("role") == "capture"), None)
            written = cap is not None and (cap.get("art"), cap.get("rc")) == ("vmcore", "0")
            t_dump = cap.stamps["art"] if written else None
            if t_dump is None or run.timed_out:
                raise KdtError(f"bench {f}: the capture kernel did not write the vmcore and exit; "
                               f"see {d / 'serial.log'}")
            runs[f]["capture"].append(round(t_cap - t_panic, 3))
            runs[f]["userspace"].append(round(t_user - t_panic, 3))
            runs[f]["dump_written"].append(round(t_dump - t_panic, 3))
            runs[f]["reboot"].append(round(run.wall - t_panic, 3))
    return [{"flavour": f, "test": "panic_to_capture", "seconds": statistics.median(r["capture"]),
             "runs": r["capture"], "to_userspace": statistics.median(r["userspace"]),
             "userspace_runs": r["userspace"],
             "to_dump_written": statistics.median(r["dump_written"]),
             "dump_written_runs": r["dump_written"], "to_reboot": statistics.median(r["reboot"]),
             "reboot_runs": r["reboot"]} for f, r in runs.items()]


def _midloads(flavours):
    """Kdump in the middle of a load: MIDLOADS panics a loader and flavour, each at a random
    moment of a loop of loads on another CPU (guest/scenarios/midload); the flavours take
    turns and draw the same moments. Counts the captures, and the skips the console named."""
    runs = {(f, ld): [] for f in flavours for ld in MIDLOAD_LOADERS}
    for i in range(MIDLOADS):
        for n, loader in enumerate(MIDLOAD_LOADERS):
            for f in (flavours if i % 2 == 0 else list(reversed(flavours))):
                progress(f"bench: {f} flavour, panic during {MIDLOAD_LOADERS[loader]} "
                         f"({i + 1}/{MIDLOADS})")
                try:
                    runs[(f, loader)].append(midload_attempt(f, loader, 1000 * i + n))
                except Check as e:
                    raise KdtError(f"bench {f}, panic during {MIDLOAD_LOADERS[loader]}: {e}")
    rows = []
    for (f, loader), rs in runs.items():
        captured = sum(r["captured"] for r in rs)
        said = sum(r["said_skipped"] and not r["captured"] for r in rs)
        rows.append({"flavour": f, "test": "midload", "loader": MIDLOAD_LOADERS[loader],
                     "attempts": len(rs), "captured": captured, "skipped_said": said,
                     "skipped_silently": len(rs) - captured - said,
                     "load_period": statistics.median(r["load_period"] for r in rs) if rs else None,
                     "runs": [{k: r[k] for k in ("captured", "said_skipped", "delay_us")}
                              for r in rs]})
    return rows


def _midload_table(rows, flavours):
    get = {(r["flavour"], r["loader"]): r for r in rows}
    print()
    print(f"{'kdump during a load':<22}" + "".join(f"{f + ' captured':>16}" for f in flavours)
          + "".join(f"{f + ' skips said':>17}" for f in flavours)
          + "".join(f"{f + ' load s':>13}" for f in flavours))
    for loader in MIDLOAD_LOADERS.values():
        line = f"{loader:<22}"
        for f in flavours:
            r = get[(f, loader)]
            line += f"{r['captured']:>10}/{r['attempts']:<5}"
        for f in flavours:
            r = get[(f, loader)]
            skipped = r["attempts"] - r["captured"]
            line += f"{r['skipped_said']:>11}/{skipped:<5}"
        line += "".join(f"{get[(f, loader)]['load_period'] or 0:>13.3f}" for f in flavours)
        print(line)
    print("(captured/panics; skips the console named/skips; load s: one load's median time)")


def run_crash_bench(flavours):
    flavours = [f for f in flavours if f != "twin"]
    rows = _panics(flavours)
    midload = _midloads(flavours)
    rows += midload
    out = BUILD / "bench" / "crash.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=1))
    print()
    print(f"{'crash (seconds)':<34}" + "".join(f"{f:>10}" for f in flavours)
          + (f"{'rust/c':>9}" if "c" in flavours and "rust" in flavours else ""))
    get = {r["flavour"]: r for r in rows if r["test"] == "panic_to_capture"}
    for key, label in (("seconds", "panic to capture kernel's 1st line"),
                       ("to_userspace", "panic to capture userspace"),
                       ("to_dump_written", "panic to vmcore written"),
                       ("to_reboot", "panic to QEMU exit")):
        vals = {f: get[f][key] for f in flavours}
        line = f"{label:<34}" + "".join(f"{vals[f]:>10.3f}" for f in flavours)
        if "c" in vals and "rust" in vals and vals["c"]:
            line += f"{vals['rust'] / vals['c']:>8.2f}x"
        print(line)
    for f in flavours:
        r = get[f]["runs"]
        print(f"{f}: panic to capture kernel, {len(r)} runs (s): "
              + " ".join(f"{v:.3f}" for v in sorted(r)))
    _midload_table(midload, flavours)
    return rows


def _kexec_table(rows, flavours):
    get = {(r["flavour"], r["test"]): r for r in rows}
    print()
    print(f"{'kexec (seconds)':<28}" + "".join(f"{f:>10}" for f in flavours)
          + (f"{'rust/c':>9}" if "c" in flavours and "rust" in flavours else ""))
    for test, label in (("kexec_load_16mib", f"kexec_load {KEXEC_LOAD_MIB} MiB"),
                        ("cold_boot", "cold boot to userspace"),
                        ("kexec_e_reboot", "kexec -e into C's kernel")):
        vals = {f: get[(f, test)]["seconds"] for f in flavours if (f, test) in get}
        line = f"{label:<28}" + "".join(f"{vals.get(f, '-'):>10.4f}" if f in vals else
                                        f"{'-':>10}" for f in flavours)
        if "c" in vals and "rust" in vals and vals["c"]:
            line += f"{vals['rust'] / vals['c']:>8.2f}x"
        print(line)
    for f in flavours:
        load = get.get((f, "kexec_load_16mib"))
        if load and load.get("boot_medians"):
            print(f"{f}: kexec_load medians of {len(load['boot_medians'])} boots (ms): "
                  + " ".join(f"{1000 * m:.2f}" for m in sorted(load["boot_medians"]))
                  + f"; spread {100 * load['spread']:.0f}%")
    print("\n".join(file_table_lines(rows, flavours)))
    for f in flavours:
        warm = get.get((f, "kexec_e_reboot"))
        if warm and warm.get("steps"):
            print(f"{f}: kexec -e medians: " + ", ".join(
                f"{k} {v:.3f} s" for k, v in warm["steps"].items()))
    cold = get.get(("c", "cold_boot"))
    for f in flavours:
        warm = get.get((f, "kexec_e_reboot"))
        if cold and warm and warm["seconds"]:
            print(f"{f}: kexec -e into C's kernel / its cold boot = "
                  f"{warm['seconds'] / cold['seconds']:.2f} "
                  "(QEMU's firmware is quick; kexec -e includes shutdown and purgatory)")


def _ratio(vals):
    """Rust/C of {flavour: value}, or "-"; small ratios keep three digits."""
    if not (vals.get("c") and vals.get("rust") is not None):
        return "-"
    r = vals["rust"] / vals["c"]
    return f"{r:.3f}x" if r < 0.1 else f"{r:.2f}x"


def _ms(secs):
    """Seconds as milliseconds, to a microsecond below 10 ms."""
    return f"{1000 * secs:.3f}" if secs < 0.01 else f"{1000 * secs:.1f}"


def _held(row):
    """A row's seconds as milliseconds; a hold the probe never saw is less than a sample."""
    if row["test"].startswith("kexec_file_lock_") and not row["seconds"] and row.get("sample_us"):
        return f"<{row['sample_us'] / 1000:.3f}"
    return _ms(row["seconds"])


def file_table_lines(rows, flavours):
    """The kexec_file_load table of kexec.json's rows, as lines: per kind of image, the load's
    time and how long it held the kexec lock (ms, medians of boot medians), Rust/C, and the
    spread of the boot medians (the worst flavour's); the share of the probed load the lock was
    held; then each flavour's probe figures."""
    get = {(r["flavour"], r["test"]): r for r in rows}
    both = "c" in flavours and "rust" in flavours
    some = next((r for r in rows if r["test"].startswith("kexec_file_load_")), None)
    if some is None:
        return []
    size = (f"{(some.get('kernel_bytes') or 0) / 2**20:.1f} MiB kernel + "
            f"{(some.get('initrd_bytes') or 0) / 2**20:.0f} MiB initrd")
    out = ["", f"kexec_file_load, {size} (ms)", f"{'':<32}" + "".join(f"{f:>11}" for f in flavours)
           + (f"{'rust/c':>9}" if both else "") + f"{'spread':>8}"]
    for kind, tool in (("normal", "kexec -s -l"), ("crash", "kexec -s -p")):
        for test, label in ((f"kexec_file_load_{kind}", f"{tool}: load"),
                            (f"kexec_file_lock_{kind}", f"{tool}: kexec lock held")):
            vals = {f: get[(f, test)]["seconds"] for f in flavours if (f, test) in get}
            line = f"{label:<32}" + "".join(
                f"{_held(get[(f, test)]):>11}" if vals.get(f) is not None else f"{'-':>11}"
                for f in flavours)
            if both:
                line += f"{_ratio(vals):>9}"
            spreads = [get[(f, test)]["spread"] for f in flavours
                       if get.get((f, test), {}).get("spread") is not None]
            out.append(line + (f"{100 * max(spreads):>7.0f}%" if spreads else f"{'-':>8}"))
        test = f"kexec_file_lock_{kind}"
        busy = {f: get[(f, test)].get("busy") for f in flavours if (f, test) in get}
        out.append(f"{tool + ': share of it held':<32}" + "".join(
            f"{100 * busy[f]:>10.1f}%" if busy.get(f) is not None else f"{'-':>11}"
            for f in flavours))
    for f in flavours:
        probes = [get[(f, f"kexec_file_lock_{k}")] for k in FILE_KINDS.values()
                  if (f, f"kexec_file_lock_{k}") in get]
        if not probes:
            continue
        out.append(f"{f}: probed loads took "
                   + " / ".join(f"{1000 * (r.get('load_seconds') or 0):.1f}" for r in probes)
                   + " ms, a sample "
                   + " / ".join(f"{r.get('sample_us') or 0:.1f}" for r in probes) + " us, "
                   + f"{sum(r.get('retries') or 0 for r in probes)} made again"
                   + "".join(f", {r['other']} odd answers" for r in probes if r.get("other")))
    for f in flavours:
        for kind in FILE_KINDS.values():
            r = get.get((f, f"kexec_file_load_{kind}"))
            if r and r.get("boot_medians"):
                out.append(f"{f}: {kind} kexec_file_load medians of {len(r['boot_medians'])} "
                           "boots (ms): " + " ".join(f"{1000 * m:.1f}"
                                                     for m in sorted(r["boot_medians"])))
    out += ["(lock held: the longest run of EBUSY a probe on the other CPU got writing",
            " /sys/kernel/kexec_crash_size during a load; share: of its samples; probed loads:",
            " normal / crash, and those the probe's own hold of the lock refused, made again)"]
    return out


def _dump_table(get, flavours, mems):
    """makedumpfile -d 31: what it kept decides its work; time per kept page compares like
    with like across flavours whose first kernels left different amounts of memory in use."""
    print()
    print(f"{'guest':>6} {'flavour':<8}{'dump MB':>9}{'kept':>9}{'of pages':>10}"
          f"{'mmap s':>9}{'us/kept':>9}{'non-mmap s':>11}{'us/kept':>9}")
    per = {}
    for mem in mems:
        for f in flavours:
            m = get.get((f, mem, "makedumpfile_mmap"))
            n = get.get((f, mem, "makedumpfile_non_mmap"))
            if not m or not m.get("pages_kept"):
                continue
            per[(f, mem)] = (m.get("us_per_kept_page"), n.get("us_per_kept_page") if n else None)
            print(f"{mem:>6} {f:<8}{(m.get('dump_bytes') or 0) / 1e6:>9.1f}{m['pages_kept']:>9}"
                  f"{m.get('pages_total') or 0:>10}{m['seconds']:>9.3f}"
                  f"{m['us_per_kept_page'] or 0:>9.2f}{n['seconds'] if n else 0:>11.3f}"
                  f"{(n or {}).get('us_per_kept_page') or 0:>9.2f}")
        if ("c", mem) in per and ("rust", mem) in per:
            (cm, cn), (rm, rn) = per[("c", mem)], per[("rust", mem)]
            if cm and rm and cn and rn:
                print(f"{mem:>6} rust/c time per kept page: mmap {rm / cm:.2f}x, "
                      f"non-mmap {rn / cn:.2f}x")


def _table(rows, flavours, mems, growth=True):
    get = {(r["flavour"], r["guest_mib"], r["test"]): r for r in rows}
    print()
    head = f"{'guest':>6} {'test':<22}" + "".join(f"{f + ' MB/s':>12}" for f in flavours)
    if "c" in flavours and "rust" in flavours:
        head += f"{'rust/c':>9}"
    head += f"{'spread':>8}" + "".join(f"{f + ' %ceil':>12}" for f in flavours)
    print(head)
    for mem in mems:
        for test in TESTS:
            line = f"{mem:>6} {test:<22}"
            vals, spread = {}, []
            for f in flavours:
                r = get.get((f, mem, test))
                vals[f] = r["mb_per_s"] if r and r["mb_per_s"] else None
                line += f"{vals[f] if vals[f] else '-':>12}"
                if r and r.get("spread") is not None:
                    spread.append(r["spread"])
            if "c" in flavours and "rust" in flavours:
                ratio = vals["rust"] / vals["c"] if vals.get("rust") and vals.get("c") else None
                line += f"{f'{ratio:.2f}x' if ratio else '-':>9}"
            # (max - min) / median of the repeats, the worst flavour's
            line += f"{f'{100 * max(spread):.0f}%' if spread else '-':>8}"
            if test.startswith("vmcore"):
                # Against the capture kernel's CPU copying the same bytes in the same pieces.
                for f in flavours:
                    ceil = get.get((f, mem, "copy_" + test[-2:]))
                    line += (f"{100 * vals[f] / ceil['mb_per_s']:>11.0f}%"
                             if ceil and ceil["mb_per_s"] and vals.get(f) else f"{'-':>12}")
            print(line)
    _dump_table(get, flavours, mems)
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
