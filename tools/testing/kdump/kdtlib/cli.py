# SPDX-License-Identifier: GPL-2.0
"""Command line: `kdt <command>`; the top-level Makefile calls these."""

import argparse
import os
import time

from . import (bench, callgraph, deps, fleet, hosttest, kbuild, kunit, layout, registry, report,
               scenarios, series, symbols, tree)
from . import debian as debian_guest
from .common import KdtError, die, progress
from .flavours import CHECK_SCENARIOS, FLAVOURS, MAIN, TEST, providers
from .flavours import CONFIGS as CONFIG_FLAVOURS
from .report import Row
from .schedule import Failed, Schedule, Task

# Each: (scenario, fault, text the failure reason must hold, QEMU timeout in seconds, flavour).
SELFTESTS = [
    ("kdump", "no-crash-kernel", "no crash kernel loaded", None, "c"),
    ("kdump", "no-vmcore", "no vmcore written", None, "c"),
    ("kdump", "backtrace", "'panic'", None, "c"),
    ("reboot", "hang", "guest hung", 30, "c"),
    # C accepts two PT_LOADs for the same bytes: the corrupt check must see no refusal.
    ("corrupt-overlap", "", "no error naming the corruption", None, "c"),
    # C reads a PT_NOTE beyond old memory (a WARNING from ioremap): the check must see that.
    ("corrupt-note-beyond", "", "no error naming the corruption", None, "c"),
    # The twin comparison must see a difference when the Rust digest skips a MiB.
    ("twin", "differ", "the providers differ", None, "twin"),
    # The errno comparisons must see a case whose errno differs from C's.
    ("errno", "errno-differs", "differ from C", None, "rust"),
    ("file-errno", "errno-differs", "differ from C", None, "rust"),
    # Without lockdown= the sig scenario must see kexec -l load where lockdown refuses it.
    ("sig", "no-lockdown", "l_signed: OK, expected EPERM", None, "c"),
    # The VMCOREINFO comparison must see a value that differs from C's.
    ("vmcoreinfo", "differ", "differ from C's", None, "rust"),
    # The per-CPU check must see a dump that lacks one online CPU's registers.
    ("trigger-sysrq", "lose-cpu", "NT_PRSTATUS notes for 4 online CPUs", None, "c"),
    # The no-kdump check must see the line the Rust crash path says when it skips a loaded
    # crash kernel because the loop holds the kexec lock: on the twin, whose kexec_file_load is
    # C's (the Rust loader does not hold the lock while it reads and hashes).
    ("no-kdump", "crash-loaded", "kdump skipped", None, "twin"),
]

# What each flavour's kernel must be made of, per replaced part (kbuild.PARTS), from the
# flavour records: {part: {flavour: {fact: value}}}.
PROVIDERS = providers()

def _prepare(fresh_source=False):
    deps.ensure(fresh_source)
    tree.prepare()


def source_line():
    """Which kernel source was tested: Debian's package version and the release it is."""
    return (f"kernel source: {deps.SOURCE_PACKAGE} {deps.installed_source_version()} "
            f"(Linux {tree.kernel_version()})")


def _scenario_row(res):
    report.show_result(res)
    if res.ok and os.environ.get("KDT_KEEP") != "1":
        # A passing dump is ~800 MiB; keep only what failed (KDT_KEEP=1 keeps everything).
        for big in ("vmcore", "dump.d31"):
            (res.log.parent / big).unlink(missing_ok=True)
    return Row(res.flavour, res.name, res.ok, res.reason, res.secs)


def _selftest_rows(flavours=("c",)):
    rows = []
    for name, fault, expect, timeout, flavour in SELFTESTS:
        if flavour not in flavours:
            continue
        res = registry.run_scenario(name, flavour, fault, timeout=timeout)
        ok = not res.ok and expect in res.reason
        why = (f"failed as it must: {res.reason}" if ok else
               "passed with its check broken" if res.ok else
               f"failed for another reason: {res.reason}")
        label = f"{name} --break={fault}" if fault else f"{name} on {flavour}"
        print(f"{'PASS' if ok else 'FAIL'} selftest {label}: {why}", flush=True)
        rows.append(Row("selftest", label.replace(" ", ""), ok, why, res.secs))
    return rows


def _provider_rows(flavour):
    rows = []
    for part, want_by_flavour in PROVIDERS.items():
        option, obj, _, _ = kbuild.PARTS[part]
        facts = kbuild.part_facts(flavour, part)
        want = want_by_flavour.get(flavour)
        if want is None:  # a part of another architecture (kexec-x86 on arm64)
            continue
        bad = [f"{k}={facts[k]} (want {v})" for k, v in want.items() if facts[k] != v]
        what = (f"{option}={facts['option']}"
                + ("" if obj is None else f", {obj} built" if facts["c_object"] else f", no {obj}")
                + ", vmlinux has " + (" and ".join(
                    n for n, k in (("C", "c_code"), ("Rust", "rust_code")) if facts[k]) or "no")
                + f" {part} code")
        rows.append(Row("provider" if part == "vmcore" else part, flavour, not bad,
                        what if not bad else "; ".join(bad)))
    return rows


def _build_row(flavour, rows):
    try:
        secs = kbuild.build(flavour)
        record = FLAVOURS[flavour]
        how = "make LLVM=1" if record.arch == "x86_64" else f"make ARCH={record.arch} LLVM=1"
        rows.append(Row("build", flavour, True, f"{how} {record.image}", secs))
        rows += _provider_rows(flavour)
        return True
    except KdtError as e:
        print(f"FAIL build {flavour}: {e}", flush=True)
        rows.append(Row("build", flavour, False, str(e).splitlines()[0]))
        return False


def cmd_deps(args):
    deps.install()
    print("deps: everything is installed")


def cmd_src(args):
    _prepare()


def cmd_build(args):
    _prepare()
    for flavour in args.flavours:
        kbuild.build(flavour)


def cmd_run(args):
    deps.ensure()
    results = []
    for flavour in args.flavour:
        for name in args.scenarios:
            res = registry.run_scenario(name, flavour, args.brk)
            report.show_result(res, verbose=True)
            results.append(res)
    return report.summary(results)


def cmd_scenarios(args):
    _prepare()
    rows = []
    for flavour in MAIN:
        kbuild.build(flavour)
        rows += [_scenario_row(registry.run_scenario(n, flavour)) for n in CHECK_SCENARIOS]
    return report.table(rows)


def cmd_selftest(args):
    _prepare()
    kbuild.build("c")
    flavours = ["c"]
    for extra in ("rust", "twin"):
        if (kbuild.flavour_dir(extra) / "vmlinux").exists():
            kbuild.build(extra)
            flavours.append(extra)
    for name in ("errno", "file-errno"):
        if "rust" in flavours and not scenarios.errno_table_path("c", name).exists():
            # The errno self-tests compare with the C flavour's tables.
            registry.run_scenario(name, "c")
    return report.table(_selftest_rows(flavours))


def cmd_kunit(args):
    _prepare()
    rows, rc, log = kunit.run_kunit(failing=args.failing)
    if not args.failing:
        return report.table(rows)
    # The plumbing check: the deliberate cases (a failed assertion, a returned Err) must fail,
    # everything else must pass.
    deliberate = ("fails_on_purpose", "fails_by_returning_an_error")
    bad = [r for r in rows if r.name.endswith(deliberate) == r.ok]
    seen = [d for d in deliberate if any(r.name.endswith(d) for r in rows)]
    ok = len(seen) == len(deliberate) and not bad and rc != 0
    print(f"kunit --failing: reported {', '.join(seen) or 'none'} of {', '.join(deliberate)}, "
          f"kunit.py exit {rc}; log {log}")
    return report.table([Row("kunit", "failing-case-reported", ok,
                             "the deliberately failing cases are reported failed" if ok else
                             f"unexpected results: {[(r.name, r.reason) for r in rows]}")])


def cmd_host_test(args):
    _prepare()
    return report.table(hosttest.run_host_tests() + hosttest.run_harness_tests()
                        + hosttest.run_style_checks() + hosttest.run_fuzz())


def _series_rows():
    """The series as git format-patch writes it: git am, checkpatch, the kernel's rustfmtcheck."""
    t0 = time.monotonic()
    try:
        patches = series.make_series()
    except KdtError as e:
        return [Row("series", "make series", False, str(e).splitlines()[0], time.monotonic() - t0)]
    rows = [Row("series", "make series", True, f"{len(patches)} patches", time.monotonic() - t0)]
    ok, why, secs = series.am_check(patches)
    rows.append(Row("series", "git am", ok, why, secs))
    t0 = time.monotonic()
    for patch, ok, why in series.checkpatch_check(patches):
        rows.append(Row("checkpatch", patch.name[:40], ok, why))
    rows[-1].secs = time.monotonic() - t0
    if rows[1].ok:
        t0 = time.monotonic()
        ok, why = series.rustfmt_check()
        rows.append(Row("style", "make rustfmtcheck", ok, why, time.monotonic() - t0))
    else:
        rows.append(Row("style", "make rustfmtcheck", False, "not run: git am failed"))
    return rows


def _panic_path_rows(flavour="rust"):
    """The panic path's call graph in the flavour's objects, and the same check with an
    allocation added on purpose, which must fail."""
    out = kbuild.flavour_dir(flavour)
    objs = [out / o for o in ("kdump/crash/crash_dump.o", "kdump/crash/glue.o",
                              "rust/helpers/helpers.o",
                              "rust/kernel.o", "rust/core.o", "kdump/kexec/kexec_core.o")
            if (out / o).exists()]
    t0 = time.monotonic()
    ok, note = callgraph.check(objs)
    rows = [Row("panic-path", "call graph from __crash_kexec", ok, note, time.monotonic() - t0)]
    t0 = time.monotonic()
    bad_ok, bad_note = callgraph.check(objs, inject=callgraph.SELFTEST_EDGE)
    caught = not bad_ok and "allocates" in bad_note
    rows.append(Row("selftest", "panic-path--break=allocates", caught,
                    f"failed as it must: {bad_note}" if caught else
                    f"passed with an allocation on the path: {bad_note}", time.monotonic() - t0))
    return rows


def _layout_row(flavour, selftest=False):
    """The bindings' layout of the structs the Rust parts use, against vmlinux's; with
    `selftest`, the check without its known exception, which must fail where bindgen is
    wrong (task_struct without CONFIG_SCHEDSTATS)."""
    t0 = time.monotonic()
    try:
        ok, note = layout.check(kbuild.flavour_dir(flavour), known={} if selftest else None)
    except KdtError as e:
        ok, note = False, str(e).splitlines()[0]
    if selftest:
        caught = not ok and "task_struct.stats" in note
        return Row("selftest", "layout--break=no-known", caught,
                   f"failed as it must: {note}" if caught else f"did not fail: {note}",
                   time.monotonic() - t0)
    return Row("layout", f"{flavour}: bindings = C's struct layouts", ok, note,
               time.monotonic() - t0)


def _clippy_row():
    try:
        ok, note, secs = kbuild.clippy()
    except KdtError as e:
        ok, note, secs = False, str(e).splitlines()[0], 0.0
    return Row("style", "clippy (kernel, CLIPPY=1)", ok, note, secs)


def cmd_clippy(args):
    _prepare()
    kbuild.build("rust")
    return report.table([_clippy_row()])


def cmd_configs(args):
    t0 = time.monotonic()
    _prepare()
    rows = []
    bad = [f for f in args.flavours if f not in CONFIG_FLAVOURS]
    if bad:
        raise KdtError(f"no config flavour {', '.join(bad)} (there are {', '.join(CONFIG_FLAVOURS)})")
    for flavour in args.flavours or CONFIG_FLAVOURS:
        if not _build_row(flavour, rows):
            continue
        if FLAVOURS[flavour].layout:
            rows.append(_layout_row(flavour))
        rows += [_scenario_row(registry.run_scenario(n, flavour))
                 for n in FLAVOURS[flavour].scenarios]
    progress(f"configs: done in {(time.monotonic() - t0) / 60:.1f} min")
    return report.table(rows)


def cmd_series(args):
    _prepare()
    patches = series.make_series(series.signoff_from_env())
    print("\n".join(str(p) for p in patches))
    if args.check:
        return report.table(_series_rows()[1:])
    return 0


def _build_task(flavour, **deps):
    """Building `flavour`: its build row and provider rows; it fails when the build does."""
    def build():
        rows = []
        if not _build_row(flavour, rows):
            raise Failed(rows[0].reason, rows)
        return rows
    return Task(f"build {flavour}", build, **deps)


def _scenario_task(flavour, **deps):
    """The scenarios `flavour`'s record names, one row each."""
    return Task(f"scenarios {flavour}", lambda: [_scenario_row(registry.run_scenario(n, flavour))
                                                 for n in FLAVOURS[flavour].scenarios], **deps)


def _guarded(fn):
    """fn(), its failure a Failed naming it: a harness fault fails the row, not the check."""
    try:
        return fn()
    except KdtError as e:
        raise Failed(str(e))
    except Exception as e:  # noqa: BLE001 - a harness fault fails the row, not the check
        raise Failed(f"harness error: {type(e).__name__}: {e}")


def _debian_root():
    _guarded(debian_guest.base)
    return []


def _debian_failed(flavour, error):
    print(f"FAIL build {flavour}: {error}", flush=True)
    return [Row("build", flavour, False, str(error).splitlines()[0])]


def _debian_build(flavour):
    """The Debian flavour's kernel and the Debian guest image made from it."""
    try:
        secs = _guarded(lambda: kbuild.build(flavour))
        _guarded(lambda: debian_guest.image(flavour))
    except Failed as e:
        raise Failed(e.why, _debian_failed(flavour, e.why))
    return [Row("build", flavour, True, "make LLVM=1 bzImage (nice 10, beside the scenarios), "
                "Debian guest image", secs)] + _provider_rows(flavour)


# The flavour make check builds beside the scenarios, with the Debian guest image.
BESIDE = "debian"
# The nice value of the work beside the foreground: it takes the CPU the foreground leaves.
NICE = 10


def check_tasks(ok):
    """`make check`'s phases, in the order of their rows; `ok(name)` says whether a phase ran
    and succeeded (the schedule's), for the self-tests, which run on the flavours that built."""
    # The test flavours make check builds before the scenarios: variations of the Rust flavour.
    tests = [n for n, f in FLAVOURS.items()
             if f.suite == "check" and not f.main and n != BESIDE]
    built = ("rust", "c", *tests)
    return [
        Task("host tests", hosttest.run_host_tests),
        Task("harness tests", hosttest.run_harness_tests),
        Task("style", hosttest.run_style_checks),
        Task("structure", hosttest.run_structure_checks),
        # debootstrap (mostly waiting on the mirror) and the series (git and perl, one core)
        # run beside the fuzzers, which keep one core busy each in turn; at nice 10, so the
        # fuzzers keep their core.
        Task("debian root fs", _debian_root, after=("structure",), background=True, nice=NICE),
        Task("series", _series_rows, after=("structure",), background=True, nice=NICE),
        Task("fuzz", hosttest.run_fuzz, after=("structure",)),
        # The kernel builds take both cores: after the fuzzers and the series. The Rust flavour
        # builds first: the C flavour's first build then starts from a copy of its tree (its
        # record's tree_seed) and rebuilds only what Rust's options reach.
        _build_task("rust", after=("fuzz", "series")),
        _build_task("c", after=("build rust",)),
        # Every other tiny flavour is built before any scenario runs.
        *[_build_task(f, needs=("build rust",), after=(prev,))
          for prev, f in zip([f"build {x}" for x in ("c", *tests)], tests)],
        # The Debian flavour's tree is copied from build/rust here, before kunit.py builds
        # there again.
        Task("seed debian", lambda: kbuild.seed(BESIDE) or [], needs=("build rust",),
             after=tuple(f"build {f}" for f in built)),
        # The scenarios run on C first: the Rust flavour's vmcoreinfo row compares with C's
        # dump, its errno row with C's table.
        _scenario_task("c", needs=("build c",), after=("seed debian",)),
        _scenario_task("rust", needs=("build rust",), after=("scenarios c",)),
        Task("clippy", lambda: [_clippy_row()], needs=("build rust",),
             after=("scenarios rust",)),
        Task("panic path", _panic_path_rows, needs=("build rust",), after=("clippy",)),
        Task("layout", lambda: [_layout_row("rust"), _layout_row("rust", selftest=True)],
             needs=("build rust",), after=("panic path",)),
        *[_scenario_task(f, needs=(f"build {f}",), after=(prev,))
          for prev, f in zip(["layout", *[f"scenarios {x}" for x in tests]], tests)],
        # The self-tests break the scenarios' checks after the real runs (the errno and
        # vmcoreinfo ones compare with them), on every flavour that built.
        Task("selftests", lambda: _selftest_rows([f for f in built if ok(f"build {f}")]),
             after=tuple(f"scenarios {f}" for f in built) + ("layout",)),
        Task("kunit", lambda: kunit.run_kunit()[0], needs=("build rust",), after=("selftests",),
             not_run=lambda name, why: [Row("kunit", "kunit.py", False,
                                            "not run: the Rust flavour did not build")]),
        # The Debian flavour's kernel and the Debian guest image are made beside the scenarios,
        # at a lower priority: it takes the CPU the guests leave (all of it, by vmstat), and no
        # other build competes with it. Its rows come after kunit's.
        Task(f"build {BESIDE}", lambda: _debian_build(BESIDE),
             needs=("build rust", "seed debian", "debian root fs"), background=True, nice=NICE,
             not_run=lambda name, why: (_debian_failed(BESIDE, why)
                                        if name == "debian root fs" else [])),
        # The Debian guest last, when the background work is done.
        _scenario_task(BESIDE, needs=(f"build {BESIDE}",), after=("kunit",)),
    ]


def cmd_check(args):
    t0 = time.monotonic()
    _prepare(fresh_source=True)
    source = source_line()
    progress(f"check: {source}")
    sched = Schedule(check_tasks(lambda name: sched.ok(name)),
                     say=lambda msg: progress(f"check: {msg}"))
    rows = sched.run()
    progress(f"check: done in {(time.monotonic() - t0) / 60:.1f} min")
    return report.table(rows, notes=["check: phases (start and seconds from the phases' start)",
                                     *sched.table(), f"check: {source}"])


# The demo's summary: what the kdump run measured and found (its details' keys), then which code
# each replaced part comes from (PROVIDERS, in its order).
DEMO_FACTS = [
    ("kexec -p (tool + syscall)", "load"),
    ("crash to capture userspace", "crash to capture userspace"),
    ("/proc/vmcore to disk (1M dd)", "vmcore read+write (dd bs=1M)"),
    ("read and mmap contract", "read/mmap"),
    ("makedumpfile -d 31 -c", "makedumpfile -d 31"),
    ("panic line from the dump", "panic"),
]
DEMO_PARTS = {
    "vmcore": "/proc/vmcore served by",
    "kexec": "kexec core (kexec_core.o)",
    "crash": "__crash_kexec (crash_core.o)",
    "vmcore-info": "VMCOREINFO (vmcore_info.o)",
    "kexec-x86": "x86_64 machine_kexec glue",
    "kexec-file": "kexec_file_load (kexec_file.o)",
    "kexec-file-x86": "bzImage64 loader (kexec-bzimage64.o)",
}
# Facts a good run may lack: the guest's own "crashing" line, which the crash time is taken
# from, may die in the tty's buffer.
DEMO_OPTIONAL = {"crash to capture userspace": "not measured (the guest's 'crashing' line did "
                                               "not reach the console)"}
# The Rust crash path in the demo's backtrace: a frame of the crate (demangled), or one whose
# source is under kdump/crash/ (were crash_kexec_now inlined into __crash_kexec).
DEMO_RUST_FRAME = "crash_dump::"
DEMO_RUST_SOURCE = "kdump/crash/"


def demo_summary(res, build_secs, parts, source):
    """The demo's closing lines, from the Rust flavour's kdump result `res` and `parts`
    ({part: Row} as _provider_rows makes them). Raises KdtError naming whatever the summary
    cannot state: a fact the run did not report, a part the flavour does not take from Rust,
    a backtrace that does not run through the Rust crash path."""
    d = dict(DEMO_OPTIONAL, **{k: v for k, v in res.details.items() if v not in (None, "")})
    problems = [f"the kdump run reported no '{key}'"
                for key in [k for _, k in DEMO_FACTS] + ["vmcore", "ELF"] if key not in d]
    problems += [f"no provider row for the {part} part" for part in PROVIDERS if part not in parts]
    problems += [f"{part}: {row.reason}" for part, row in parts.items() if not row.ok]
    backtrace = str(d.get("backtrace") or "")
    frames = symbols.stack_frames(backtrace)
    if not any(ln.startswith("#") and (DEMO_RUST_FRAME in ln or DEMO_RUST_SOURCE in ln)
               for ln in backtrace.splitlines()):
        problems.append(f"the backtrace has no frame of the Rust crash path ({DEMO_RUST_FRAME}...): "
                        f"{' <- '.join(frames[:8]) or 'no frames'}")
    if problems:
        raise KdtError("demo: the summary cannot be made: " + "; ".join(problems))
    width = max(len(label) for label in
                [lb for lb, _ in DEMO_FACTS] + list(DEMO_PARTS.values()) + ["whole QEMU cycle"]) + 2
    line = lambda label, value: f"{label + ':':<{width}}{value}"  # noqa: E731
    out = ["=== Rust flavour kdump demo ===", source,
           line("build (make LLVM=1 bzImage)", f"{build_secs:.0f} s")]
    out += [line(label, d[key]) for label, key in DEMO_FACTS[:3]]
    out.append(line("whole QEMU cycle", f"{res.secs:.1f} s"))
    out += [line(DEMO_PARTS.get(part, part), parts[part].reason) for part in PROVIDERS]
    out.append(line("vmcore", f"{d.get('vmcore')} ({d.get('ELF')})"))
    out += [line(label, d[key]) for label, key in DEMO_FACTS[3:]]
    out.append("drgn backtrace of the crashed thread:")
    out += [f"  {text}" for text in backtrace.splitlines()]
    return out


def cmd_demo(args):
    t0 = time.monotonic()
    _prepare(fresh_source=True)
    source = source_line()
    progress(f"demo: {source}")
    build_secs = kbuild.build("rust")
    progress("demo: booting the Rust flavour, loading a crash kernel, crashing it (sysrq-c)")
    res = registry.run_scenario("kdump", "rust")
    if not res.ok:
        report.show_result(res)
        return 1
    parts = dict(zip(PROVIDERS, _provider_rows("rust")))
    lines = demo_summary(res, build_secs, parts, source)
    progress(f"demo: done in {(time.monotonic() - t0) / 60:.1f} min; serial log: {res.log}")
    print()
    print("\n".join(lines))
    return 0


def cmd_fleet(args):
    _prepare()
    kbuild.build(args.flavour)
    return fleet.run_fleet(args.flavour)


def cmd_bench(args):
    _prepare()
    for flavour in args.flavour:
        kbuild.build(flavour)
    # With both flavours, also both providers in one kernel (the twin), the cleanest A/B.
    twin = "c" in args.flavour and "rust" in args.flavour
    if twin:
        kbuild.build("twin")
    return bench.run_bench(args.flavour, [int(m) for m in args.mem.split(",")], twin=twin)


def main(argv):
    p = argparse.ArgumentParser(prog="kdt", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("deps", help="install what the tree needs").set_defaults(fn=cmd_deps)
    sub.add_parser("src", help="prepare build/src").set_defaults(fn=cmd_src)
    b = sub.add_parser("build", help="build kernel flavours")
    b.add_argument("flavours", nargs="*", default=list(MAIN),
                   choices=MAIN + TEST)
    b.set_defaults(fn=cmd_build)
    r = sub.add_parser("run", help="run QEMU scenarios on built flavours")
    r.add_argument("scenarios", nargs="+", choices=list(registry.SCENARIOS))
    r.add_argument("--flavour", action="append", choices=MAIN + TEST)
    r.add_argument("--break", dest="brk", default="",
                   choices=["", "no-crash-kernel", "no-vmcore", "backtrace", "hang", "differ",
                            "errno-differs", "lose-cpu", "crash-loaded", "no-lockdown"],
                   help="break what the scenario checks, to see it fail")
    r.set_defaults(fn=cmd_run)
    sub.add_parser("scenarios", help="every scenario on both flavours").set_defaults(fn=cmd_scenarios)
    sub.add_parser("selftest", help="scenarios with their checks broken must fail").set_defaults(
        fn=cmd_selftest)
    k = sub.add_parser("kunit", help="KUnit via kunit.py")
    k.add_argument("--failing", action="store_true", help="with the deliberately failing case")
    k.set_defaults(fn=cmd_kunit)
    sub.add_parser("host-test", help="cargo test of the host crate").set_defaults(fn=cmd_host_test)
    cf = sub.add_parser("configs", help="build the distribution-like and the minimal kernel; "
                        "boot and crash the first")
    # (no choices=: argparse refuses an empty list against them)
    cf.add_argument("flavours", nargs="*", help=f"some of {', '.join(CONFIG_FLAVOURS)}")
    cf.set_defaults(fn=cmd_configs)
    sub.add_parser("clippy", help="the Rust flavour's Rust objects built with CLIPPY=1").set_defaults(
        fn=cmd_clippy)
    sr = sub.add_parser("series", help="the tree as a git format-patch series in build/series "
                        "(SIGNOFF='Name <mail>' in the environment adds a Signed-off-by)")
    sr.add_argument("--check", action="store_true",
                    help="also apply it with git am, run checkpatch and rustfmtcheck")
    sr.set_defaults(fn=cmd_series)
    sub.add_parser("check", help="everything that tests").set_defaults(fn=cmd_check)
    sub.add_parser("demo", help="build the Rust flavour and show a kdump cycle").set_defaults(
        fn=cmd_demo)
    fl = sub.add_parser("fleet", help="Debian guests with kdump-tools crash at once and ship "
                        "their dumps over SSH to one collector; prints a table")
    fl.add_argument("--flavour", default="distro", choices=MAIN + TEST,
                    help="the kernel the guests boot (default: the distribution-like one)")
    fl.set_defaults(fn=cmd_fleet)
    bn = sub.add_parser("bench", help="C and Rust side by side: /proc/vmcore throughput, "
                        "kexec_load and kexec_file_load time, kexec -e against a cold boot, "
                        "kdump in the middle of a load")
    bn.add_argument("--flavour", action="append", choices=MAIN)
    bn.add_argument("--mem", default="1024,2048,4096", help="guest RAM sizes in MiB")
    bn.set_defaults(fn=cmd_bench)
    args = p.parse_args(argv)
    if getattr(args, "flavour", "unset") is None:
        args.flavour = ["c"] if args.cmd == "run" else list(MAIN)
    try:
        return args.fn(args) or 0
    except KdtError as e:
        die(str(e))
    except KeyboardInterrupt:
        die("interrupted")
