# SPDX-License-Identifier: GPL-2.0
"""Checks of a dump on the host: its ELF headers and notes against the first kernel's memory,
its kernel log (makedumpfile --dump-dmesg), makedumpfile -d 31, drgn's stacks and CPUs, its
VMCOREINFO against another flavour's, and two carried-out dumps byte for byte. Each raises
Check with the reason a reader can act on; the scenarios (kdtlib/scenarios.py, debscen.py)
call them on what a guest carried out.
"""

import json
import re
import subprocess
import time
from pathlib import Path

from . import elfcore, qemu, symbols
from .common import VENV, KdtError

PANIC_LINE = "Kernel panic - not syncing: sysrq triggered crash"
# The panic entry of an NMI panic, as 6.12 stable names it. Up to 6.12.117 nmi_panic() calls
# panic(); in 6.12.118 panic()'s body moved to vpanic(), which nmi_panic() calls directly, so
# that stack has vpanic and no panic frame: either will do there, neither still fails. Every
# other panic still has panic() on its stack in both (panic() holds the va_list vpanic() reads,
# so it cannot tail-call it), and its checks keep requiring "panic".
PANIC_ENTRY = ("panic", "vpanic")
STACK_MUST_HAVE = ("sysrq_handle_crash", "panic")


class Check(Exception):
    """A scenario check that did not hold; the message is the reason shown to the user."""


def check_cpus(vmcore, vmlinux, d, online, brk=""):
    """Every online CPU has an NT_PRSTATUS note holding its own task's registers, and drgn
    finds a stack for the task running on each; returns drgn's view (drgn_cpus.py)."""
    notes = elfcore.prstatus(vmcore)
    if brk == "lose-cpu":
        notes = notes[:-1]
    if len(notes) != online:
        raise Check(f"vmcore: {len(notes)} NT_PRSTATUS notes for {online} online CPUs")
    py = VENV / "bin" / "python3"
    out = d / "drgn-cpus.json"
    with open(out, "w") as f:
        res = subprocess.run([str(py), str(Path(__file__).with_name("drgn_cpus.py")),
                              str(vmcore), str(vmlinux)], stdout=f, stderr=subprocess.PIPE,
                             text=True, timeout=300)
    if res.returncode != 0:
        tail = res.stderr.strip().splitlines()
        raise Check(f"drgn could not read the CPUs of the dump (exit {res.returncode}): "
                    f"{tail[-1] if tail else ''}")
    view = json.loads(out.read_text())
    for stack in [view["crashed"]] + view["cpus"]:
        stack["frames"] = symbols.demangle_all(stack["frames"])
    cpus = view["cpus"]
    if len(cpus) != online:
        raise Check(f"drgn: {len(cpus)} online CPUs in the dump, the guest had {online}")
    for c in cpus:
        if c["error"] or not c["frames"]:
            raise Check(f"drgn: no stack for CPU {c['cpu']}'s task {c['pid']} ({c['comm']}): "
                        f"{c['error'] or 'no frames'}")
    check_note_pids(cpus, notes)
    sps = [sp for _, _, sp in notes]
    if 0 in sps or len(set(sps)) != len(sps):
        raise Check(f"vmcore: the NT_PRSTATUS stack pointers are not one per CPU: "
                    f"{', '.join(f'{sp:#x}' for sp in sps)}")
    return view


def check_note_pids(cpus, notes):
    """The notes are in CPU order; each holds the pid of the task that CPU ran, its `current`
    (0: its idle task). `current` is the run queue's task but in a context switch's window
    (drgn_cpus.py), where the note is the task being switched out."""
    for c, (pid, _, _) in zip(cpus, notes):
        cur_pid, cur_comm = c.get("current", (c["pid"], c["comm"]))
        if pid != cur_pid:
            queued = "" if cur_pid == c["pid"] else f", its run queue's pid {c['pid']}"
            raise Check(f"vmcore: CPU {c['cpu']}'s NT_PRSTATUS is for pid {pid}, but that CPU "
                        f"ran pid {cur_pid} ({cur_comm}){queued}")


def absent_frames(frames, want):
    """What of `want` is not among `frames`, named for a message. An item of `want` is a
    function name or a tuple of names any one of which will do (PANIC_ENTRY)."""
    out = []
    for fn in want:
        names = fn if isinstance(fn, tuple) else (fn,)
        if not any(n in frames for n in names):
            out.append(" or ".join(repr(n) for n in names))
    return out


def must_run_through(frames, want, whose):
    absent = absent_frames(frames, want)
    if absent:
        raise Check(f"drgn: {whose} stack has no {', '.join(absent)} frame: "
                    f"{' <- '.join(frames[:10])}")

# VMCOREINFO keys whose values are this boot's or this build's (KASLR addresses, the build ID,
# the crash time): the only values two flavours' dumps may differ in.
VMCOREINFO_OWN = re.compile(r"^(SYMBOL\(.+\)|BUILD-ID|NUMBER\((VMALLOC_START|phys_base)\)"
                            r"|KERNELOFFSET|CRASHTIME)$")


def vmcoreinfo_lines(text):
    return [tuple(line.split("=", 1)) if "=" in line else (line, "")
            for line in text.splitlines() if line]


def compare_vmcoreinfo(c, r, flavour):
    """C's VMCOREINFO lines `c` against `flavour`'s `r` (vmcoreinfo_lines): the same keys in
    the same order, the same values but for VMCOREINFO_OWN's; returns the details."""
    ck, rk = [k for k, _ in c], [k for k, _ in r]
    if ck != rk:
        first = next((i for i, (a, b) in enumerate(zip(ck, rk)) if a != b), min(len(ck), len(rk)))
        raise Check(f"VMCOREINFO keys differ from C's at line {first + 1}: C has "
                    f"{ck[first] if first < len(ck) else 'nothing'}, {flavour} "
                    f"{rk[first] if first < len(rk) else 'nothing'} ({len(ck)} and {len(rk)} keys)")
    differ = [f"{k}: C {a}, {flavour} {b}" for (k, a), (_, b) in zip(c, r)
              if a != b and not VMCOREINFO_OWN.match(k)]
    if differ:
        raise Check(f"{len(differ)} VMCOREINFO value(s) differ from C's: " + "; ".join(differ[:3]))
    own = sum(1 for (k, a), (_, b) in zip(c, r) if a != b)
    return {"keys": f"{len(ck)}, the same and in the same order as C's",
            "values": f"{len(ck) - own} equal; {own} differ, all addresses, build ID or crash time"}


def check_elf(vmcore, first):
    try:
        core = elfcore.read(vmcore)
    except elfcore.CoreError as e:
        raise Check(f"vmcore ELF header: {e}")
    if not core.phdrs or core.phdrs[0]["type"] != elfcore.PT_NOTE:
        raise Check("vmcore: the first program header is not PT_NOTE")
    if sum(1 for p in core.phdrs if p["type"] == elfcore.PT_NOTE) != 1:
        raise Check("vmcore: PT_NOTE segments were not merged into one")
    names = [(n, t) for n, t, _ in core.notes]
    prstatus = names.count(("CORE", 1))
    if prstatus < 1:
        raise Check("vmcore: no NT_PRSTATUS note")
    if ("VMCOREINFO", 0) not in names:
        raise Check("vmcore: no VMCOREINFO note")
    try:
        ram, crash = elfcore.parse_iomem(first.every.get("iomem", []))
    except ValueError as e:
        raise Check(str(e)) from None
    if not ram:
        raise Check("the first kernel did not report its System RAM (/proc/iomem)")
    missing = elfcore.uncovered(core, ram, crash)
    if missing:
        lo, hi = missing[0]
        raise Check(f"vmcore: System RAM {lo:#x}-{hi - 1:#x} is not covered by any PT_LOAD")
    return {"ELF": f"ELF{core.elf_class}, PT_NOTE first, {len(core.loads())} PT_LOAD cover RAM, "
                   f"{prstatus} NT_PRSTATUS + VMCOREINFO"}


def _tool(cmd, log, what):
    with open(log, "w") as f:
        res = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT)
    if res.returncode != 0:
        raise Check(f"{what} failed (exit {res.returncode}); output in {log}")


def dump_dmesg(vmcore, d, line):
    """The lines of the dump's kernel log (makedumpfile --dump-dmesg) that hold `line`."""
    out = d / "dmesg.txt"
    out.unlink(missing_ok=True)
    _tool(["makedumpfile", "--dump-dmesg", str(vmcore), str(out)], d / "makedumpfile-dmesg.log",
          "makedumpfile --dump-dmesg")
    seen = [ln.strip() for ln in out.read_text(errors="replace").splitlines() if line in ln]
    if not seen:
        raise Check(f"makedumpfile --dump-dmesg: no '{line}' in {out}")
    return seen


def check_dmesg(vmcore, d):
    return dump_dmesg(vmcore, d, PANIC_LINE)[0]


def check_makedumpfile(vmcore, d):
    out = d / "dump.d31"
    out.unlink(missing_ok=True)
    t0 = time.monotonic()
    _tool(["makedumpfile", "-d", "31", "-c", str(vmcore), str(out)], d / "makedumpfile-d31.log",
          "makedumpfile -d 31 -c")
    secs = time.monotonic() - t0
    if not out.exists() or out.stat().st_size == 0:
        raise Check("makedumpfile -d 31 -c wrote no dump")
    return f"{out.stat().st_size / 2**20:.1f} MiB in {secs:.1f} s"


def check_stack(vmcore, vmlinux, d, which="crashed"):
    py = VENV / "bin" / "python3"
    if not py.exists():
        raise KdtError(f"drgn is not installed in {VENV} (make deps)")
    script = Path(__file__).with_name("drgn_stack.py")
    out = d / "drgn-stack.txt"
    with open(out, "w") as f:
        res = subprocess.run([str(py), str(script), str(vmcore), str(vmlinux), which],
                             stdout=f, stderr=subprocess.STDOUT, timeout=300)
    text = out.read_text(errors="replace")
    if res.returncode != 0:
        raise Check(f"drgn could not read the dump (exit {res.returncode}): "
                    f"{text.strip().splitlines()[-1] if text.strip() else ''}; see {out}")
    text = symbols.demangle(text)
    out.write_text(text)
    frames = symbols.stack_frames(text)
    absent = absent_frames(frames, STACK_MUST_HAVE)
    if absent:
        raise Check(f"drgn backtrace has no {', '.join(absent)} frame: "
                    f"{' <- '.join(frames[:8])}; see {out}")
    return text.rstrip()


def carried_vmcore(cap, img, d):
    """The vmcore the capture kernel wrote to the artefact disk, extracted into `d` (the
    disk image is deleted)."""
    if cap.get("vmcore") != "present":
        raise Check("the capture kernel has no /proc/vmcore")
    vmcore = qemu.artefacts(img, d).get("vmcore")
    img.unlink()
    if vmcore is None:
        raise Check("no vmcore written to the artefact disk by the capture kernel")
    return vmcore


def first_difference(a, b):
    """Offset of the first byte where files `a` and `b` differ (or where the shorter ends)."""
    with open(a, "rb") as fa, open(b, "rb") as fb:
        off = 0
        while True:
            x, y = fa.read(1 << 20), fb.read(1 << 20)
            if x != y:
                n = min(len(x), len(y))
                return off + next((i for i in range(n) if x[i] != y[i]), n)
            if not x:
                return None
            off += len(x)
