# SPDX-License-Identifier: GPL-2.0
"""QEMU scenarios: each boots a flavour, lets the guest drive stock kexec-tools, and checks
on the host what the guest reported and what it carried out. A scenario returns its details,
or raises Check with the reason it fails; registry.run_scenario() runs one by name and makes
the Result that says pass or fail, why, and how long it took.
"""

import collections
import os
import secrets
import shutil
from pathlib import Path

from . import elfcore, initramfs, kbuild, qemu
from .common import BUILD
from .dumpcheck import (PANIC_ENTRY, PANIC_LINE, Check, carried_vmcore, check_cpus, check_dmesg,
                        check_elf, check_makedumpfile, check_stack, compare_vmcoreinfo,
                        dump_dmesg, first_difference, must_run_through, vmcoreinfo_lines)

MEM_MIB = int(os.environ.get("KDT_MEM_MIB", "1024"))
CRASHKERNEL = os.environ.get("KDT_CRASHKERNEL", "256M")
TIMEOUT = int(os.environ.get("KDT_TIMEOUT", "240"))


def run_dir(flavour, name):
    d = BUILD / "runs" / flavour / name
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    return d


def _cmdline(scenario, extra="", crashkernel=CRASHKERNEL):
    return (f"console=ttyS0 panic=1 oops=panic crashkernel={crashkernel} "
            f"kdt.scenario={scenario} {extra}").strip()


def run_name(name, brk):
    """Runs with a broken check get their own directory, next to the real run's."""
    return f"{name}--{brk}" if brk else name


def boot(flavour, scenario, extra="", disk=False, name=None, brk="", mem_mib=None, disk_mib=None,
          crashkernel=CRASHKERNEL, target=None, cpus=2, on_fact=None, max_mib=None, timeout=None,
          initrd=None):
    """Boot `flavour`; the kernel it kexecs into is its own, or `target` flavour's. `initrd`
    is an initramfs of the scenario's own, for one that needs more than the flavour's."""
    bz, _ = kbuild.artefacts(flavour)
    if initrd is None and target and target != flavour:
        initrd = initramfs.build_for(f"{flavour}-to-{target}", kbuild.artefacts(target)[0])
    elif initrd is None:
        initrd = initramfs.build_for(flavour, bz)
    d = run_dir(flavour, run_name(name or scenario, brk))
    extra = f"{extra} kdt.break={brk}".strip()
    img = None
    if disk:
        img = d / "artefacts.img"
        with open(img, "wb") as f:
            f.truncate((disk_mib or (mem_mib or MEM_MIB) + 64) << 20)
    run = qemu.run(kernel=bz, initrd=initrd, cmdline=_cmdline(scenario, extra, crashkernel),
                   log=d / "serial.log",
                   mem_mib=mem_mib or MEM_MIB, disk=img, timeout=timeout or TIMEOUT, cpus=cpus,
                   on_fact=on_fact, max_mib=max_mib)
    return run, d, img


def expect_exit(run):
    if run.timed_out:
        raise Check(f"guest hung: QEMU did not exit within {run.wall:.0f} s")
    if not run.boots:
        raise Check("no kernel booted (no 'Linux version' line on the serial console)")


def expect_fact(boot, key, want, what):
    got = boot.get(key)
    if got != want:
        raise Check(f"{what}: {key}={got if got is not None else '(not reported)'}, expected {want}")


def reboot(flavour, kexec_flags="", brk="", timeout=None):
    """kexec -l + kexec -e into the same kernel; the second kernel sees the marker."""
    marker = secrets.token_hex(6)
    extra = f"kdt.marker={marker} kdt.kexec_flags={kexec_flags}"
    run, d, _ = boot(flavour, "reboot", extra, name="reboot" + (kexec_flags or ""), brk=brk,
                     timeout=timeout)
    expect_exit(run)
    first = run.boots[0]
    expect_fact(first, "load_rc", "0", "kexec -l failed")
    expect_fact(first, "kexec_loaded", "1", "kexec -l did not load")
    if len(run.boots) < 2:
        raise Check("kexec -e did not start a second kernel"
                    + (f" (kexec -e returned {first.get('exec_rc')})" if first.get("exec_rc") else ""))
    second = run.boots[1]
    expect_fact(second, "second_kernel", "yes", "second kernel did not reach userspace")
    expect_fact(second, "marker", marker, "second kernel's command line lacks the marker")
    return {"kexec -e to Linux version": f"{second.started - first.stamps['executing']:.2f} s",
            "load": f"{first.get('load_secs')} s", "log": d / "serial.log"}


def unload(flavour, brk="", timeout=None):
    """kexec -u and kexec -p -u clear kexec_loaded and kexec_crash_loaded."""
    run, d, _ = boot(flavour, "unload", brk=brk, timeout=timeout)
    expect_exit(run)
    b = run.boots[0]
    expect_fact(b, "l_loaded", "1", "kexec -l did not set /sys/kernel/kexec_loaded")
    expect_fact(b, "u_loaded", "0", "kexec -u did not clear /sys/kernel/kexec_loaded")
    expect_fact(b, "p_loaded", "1", "kexec -p did not set /sys/kernel/kexec_crash_loaded")
    expect_fact(b, "pu_loaded", "0", "kexec -p -u did not clear /sys/kernel/kexec_crash_loaded")
    # C leaves 0 there (Documentation/rust/kdump-kexec.rst): checked on the Rust core only.
    if kbuild.config_value(flavour, "CONFIG_KEXEC_CORE_RUST") == "y":
        expect_fact(b, "limit_split", "5", "kexec_load_limit_panic written as '5' then '\\n'")
    return {"log": d / "serial.log", "limit_split": b.get("limit_split")}


# The errno parity table (tools/testing/kdump/kexec-errno): what each fixed case must give on
# every flavour. The seeded random lists have no fixed answer: the Rust flavour must give what
# the C flavour gave for the same seed.
ERRNO_SEED = int(os.environ.get("KDT_ERRNO_SEED", "4"))
ERRNO_COUNT = int(os.environ.get("KDT_ERRNO_COUNT", "2000"))
ERRNO_TABLE = {
    "ok-normal": "OK", "ok-arch-x86_64": "OK", "flags-unknown": "EINVAL",
    "flags-preserve-context": "EINVAL", "arch-i386": "EINVAL", "arch-unknown": "EINVAL",
    "segments-16": "OK", "segments-17": "EINVAL", "segments-array-unmapped": "EFAULT",
    "mem-misaligned": "EADDRNOTAVAIL", "memsz-misaligned": "EADDRNOTAVAIL",
    "mem-wraps": "EADDRNOTAVAIL", "mem-beyond-limit": "EADDRNOTAVAIL", "overlap": "EINVAL",
    "bufsz-over-memsz": "EINVAL", "segment-over-half-ram": "EINVAL",
    "segments-over-half-ram": "EINVAL", "memsz-zero": "OK", "buf-unmapped": "EFAULT",
    "ok-normal-256k": "OK", "ok-crash": "OK", "ok-crash-update-elfcorehdr": "OK",
    "crash-entry-below": "EADDRNOTAVAIL", "crash-entry-above": "EADDRNOTAVAIL",
    "crash-segment-below": "EADDRNOTAVAIL", "crash-segment-straddles-end": "EADDRNOTAVAIL",
    "crash-overlap": "EINVAL", "crash-bufsz-over-memsz": "EINVAL", "crash-buf-unmapped": "EFAULT",
    "crash-no-room-for-control-page": "ENOMEM", "crash-memsz-misaligned": "EADDRNOTAVAIL",
    "unload-normal": "OK", "unload-crash": "OK", "unload-bad-flags": "EINVAL",
    "unprivileged-normal": "EPERM", "unprivileged-crash": "EPERM", "concurrent-loads": "EBUSY",
    "limit-reboot-set-1": "OK", "limit-reboot-raise": "EINVAL", "limit-reboot-negative": "EINVAL",
    "limit-reboot-first-load": "OK", "limit-reboot-second-load": "EPERM",
    "limit-panic-set-1": "OK", "limit-panic-first-load": "OK", "limit-panic-second-load": "EPERM",
    "disabled-set": "OK", "disabled-clear": "EINVAL", "disabled-unload": "EPERM",
}
# Rows that are not a refused load of an image (sysctl writes, unloads): "kept" says nothing.
ERRNO_NOT_LOADS = ("limit-", "disabled-set", "disabled-clear", "unload-")


def errno_results(run):
    """{case: (errno, kept or None)} from an errno loader's KDT-ERRNO lines
    (tools/testing/kdump/kexec-errno/kdt-errno.h)."""
    out = {}
    for _, line in run.lines:
        i = line.find("KDT-ERRNO ")
        if i < 0:
            continue
        parts = line[i:].split()
        if len(parts) >= 3:
            kept = parts[3][5:] if len(parts) > 3 and parts[3].startswith("kept=") else None
            out[parts[1]] = (parts[2], kept)
    return out


def hotplug(flavour, brk="", timeout=None):
    """kexec -s -p, CPU 1 offline, online and offline again (each change rewrites the loaded
    elfcorehdr through the crash hotplug handler), a crash on CPU 0; the capture must show
    what was online at the crash: one NT_PRSTATUS note, and PT_LOADs covering all RAM."""
    run, d, img = boot(flavour, "hotplug", disk=True, brk=brk, timeout=timeout)
    first, cap = _crash_and_capture(run, "", "-s")
    expect_fact(first, "crash_hotplug", "1", "the loaded crash image has no crash hotplug support "
          "(/sys/devices/system/cpu/crash_hotplug)")
    for key in ("cpu1_offline_rc", "cpu1_online_rc", "cpu1_offline_again_rc"):
        expect_fact(first, key, "0", "CPU 1 could not be taken offline or brought back")
    expect_fact(first, "cpus_online", "0", "CPUs online at the crash")
    vmcore = carried_vmcore(cap, img, d)
    details = check_elf(vmcore, first)
    prstatus = [n for n in elfcore.read(vmcore).notes if (n[0], n[1]) == ("CORE", 1)]
    if len(prstatus) != 1:
        raise Check(f"vmcore: {len(prstatus)} NT_PRSTATUS notes with only CPU 0 online at the "
                    "crash (want 1)")
    _, vmlinux = kbuild.artefacts(flavour)
    details["backtrace"] = check_stack(vmcore, vmlinux, d, "crashed")
    details["hotplug"] = "CPU 1 offline, online, offline; one NT_PRSTATUS (CPU 0)"
    return details


# Memory hotplug: a DIMM plugged in through the monitor, which the kernel needs ACPI memory
# hotplug for (the distribution-like kernel).
DIMM_MIB = 128


def _plug_dimm(monitor):
    return (monitor.command(f"object_add memory-backend-ram,id=kdtmem1,size={DIMM_MIB}M")
            + monitor.command("device_add pc-dimm,id=kdtdimm1,memdev=kdtmem1"))


def memhotplug(flavour, brk="", timeout=None):
    """kexec -s -p, then a DIMM plugged in: the kernel onlines it and the crash hotplug
    handler rewrites the loaded elfcorehdr; after a crash the capture's PT_LOADs must cover
    the new memory, which the header loaded before it did not know."""
    run, d, img = boot(flavour, "memhotplug", "memhp_default_state=online", disk=True,
                        brk=brk, timeout=timeout, disk_mib=MEM_MIB + DIMM_MIB + 64,
                        max_mib=4 * MEM_MIB, on_fact={"dimm_now": _plug_dimm})
    first, cap = _crash_and_capture(run, "", "-s")
    expect_fact(first, "crash_hotplug", "1", "the loaded crash image has no memory hotplug support "
          "(/sys/devices/system/memory/crash_hotplug)")
    before, after = int(first.get("memory_blocks_before", "0")), int(
        first.get("memory_blocks_after", "0"))
    if after <= before:
        raise Check(f"the plugged DIMM never came to the kernel ({before} memory blocks before, "
                    f"{after} after)")
    expect_fact(first, "memory_offline", "0", "memory blocks left offline")
    ram, _ = elfcore.parse_iomem(first.every.get("iomem", []))
    plugged = [r for r in ram if r[0] >= (MEM_MIB << 20) and r[1] - r[0] >= DIMM_MIB << 20]
    if not plugged:
        raise Check(f"no System RAM of {DIMM_MIB} MiB above the boot memory in /proc/iomem")
    vmcore = carried_vmcore(cap, img, d)
    # check_elf checks that the PT_LOADs cover all the System RAM the first kernel had at the
    # crash, the plugged DIMM included.
    details = check_elf(vmcore, first)
    _, vmlinux = kbuild.artefacts(flavour)
    details["backtrace"] = check_stack(vmcore, vmlinux, d, "crashed")
    lo, hi = plugged[0]
    details["hotplug"] = (f"{after - before} memory blocks plugged and online at "
                          f"{lo:#x}-{hi - 1:#x}; the PT_LOADs cover them")
    vmcore.unlink()
    return details


# The trigger scenarios: one kind of crash each, on a guest with TRIGGER_CPUS CPUs. Each kind:
# (what it is, extra kernel command line, a line the first kernel's console must show, the
# functions the crashed stack must run through).
TRIGGER_CPUS = 4
TRIGGER_MEM_MIB = int(os.environ.get("KDT_TRIGGER_MEM_MIB", "512"))
SYSRQ_STACK = ("sysrq_handle_crash", "panic")
TRIGGERS = {
    "sysrq": ("sysrq-c", "", PANIC_LINE, SYSRQ_STACK),
    "exception": ("an oops: LKDTM EXCEPTION, a NULL write (oops=panic)", "",
                  "BUG: kernel NULL pointer dereference", ("lkdtm_EXCEPTION",)),
    "bug": ("an oops: LKDTM BUG (oops=panic)", "", "kernel BUG at", ("lkdtm_BUG",)),
    "warning": ("a WARN with panic_on_warn=1: LKDTM WARNING", "panic_on_warn=1",
                "Kernel panic - not syncing: kernel: panic_on_warn set", ("panic", "lkdtm_WARNING")),
    "stack": ("a stack overflow: LKDTM EXHAUST_STACK, the guard page, a double fault", "",
              "stack guard page was hit", ("recursive_loop",)),
    "nmi": ("an NMI from the QEMU monitor with unknown_nmi_panic=1", "unknown_nmi_panic",
            "Kernel panic - not syncing: NMI: Not continuing",
            # the NMI entry, its handler for an NMI no one claims, and the panic entry
            ("exc_nmi", "unknown_nmi_error", PANIC_ENTRY)),
    "cpu3": ("sysrq-c from a task bound to CPU 3", "", PANIC_LINE, SYSRQ_STACK),
    "two": ("sysrq-c from CPUs 1 and 2 at the same moment: one goes on, the dump is whole", "",
            PANIC_LINE, SYSRQ_STACK),
}



# The sysrq handler: a CPU with this frame on its stack got into it. (Its log line is no proof
# either way: from 6.7 on, printk drops what a CPU says once another CPU is in panic().)
SYSRQ_HANDLER = "__handle_sysrq"
# How often `two` is booted again when one CPU never reached the sysrq handler (see trigger()).
TWO_ATTEMPTS = 3


class NotRaced(Check):
    """The two CPUs of `two` did not both reach the sysrq handler: the race was not run."""


def trigger(flavour, kind, brk="", timeout=None):
    """kexec -p, one kind of crash (TRIGGERS) on a 4-CPU guest, capture; the dump must hold
    every online CPU's registers, and its crashed stack run through what crashed.

    `two` tests two CPUs in panic() at once, which only happens when both got into the sysrq
    handler before the winner's NMI stopped the other. A guest CPU is a host thread: on a busy
    2-core host one can be off the host CPU for the milliseconds that takes, and then nothing
    raced. Such a boot is not a result; it is booted again, up to TWO_ATTEMPTS times, and every
    boot that did race is held to the whole check."""
    if kind != "two":
        return _trigger_once(flavour, kind, brk, f"trigger-{kind}", timeout)
    missed = []
    for attempt in range(1, TWO_ATTEMPTS + 1):
        name = "trigger-two" if attempt == 1 else f"trigger-two-{attempt}"
        try:
            details = _trigger_once(flavour, kind, brk, name, timeout)
        except NotRaced as e:
            missed.append(str(e))
            continue
        if missed:
            details["attempts"] = f"{attempt}: {'; '.join(missed)}"
        return details
    raise Check(f"{TWO_ATTEMPTS} boots, and in none did both CPUs reach the sysrq handler: "
                f"{'; '.join(missed)}")


def _trigger_once(flavour, kind, brk, name, timeout):
    what, extra, line, want = TRIGGERS[kind]
    on_fact = {"nmi_now": lambda monitor: monitor.command("nmi")} if kind == "nmi" else None
    run, d, img = boot(flavour, "trigger", f"kdt.trigger={kind} {extra}", disk=True,
                        name=name, brk=brk, timeout=timeout, mem_mib=TRIGGER_MEM_MIB,
                        crashkernel=TWIN_CRASHKERNEL, cpus=TRIGGER_CPUS, on_fact=on_fact)
    first, cap = _crash_and_capture(run, "")
    expect_fact(first, "cpus_online", f"0-{TRIGGER_CPUS - 1}", "CPUs online before the crash")
    vmcore = carried_vmcore(cap, img, d)
    details = check_elf(vmcore, first)
    # The crash's own line, from the dump's log: what printk says in NMI context (the NMI, the
    # double fault) reaches the console only later, which a kdump never lets come.
    seen = dump_dmesg(vmcore, d, line)
    if kind == "two" and len(seen) != 1:
        raise Check(f"{len(seen)} CPUs went on through panic(), not one: {seen}")
    _, vmlinux = kbuild.artefacts(flavour)
    view = check_cpus(vmcore, vmlinux, d, TRIGGER_CPUS, brk)
    crashed = view["crashed"]
    must_run_through(crashed["frames"], want, "the crashed")
    cpu = view["crashing_cpu"]
    if kind == "cpu3" and cpu != 3:
        raise Check(f"the crash was taken on CPU {cpu}, not on CPU 3 where it was triggered")
    if kind == "two":
        if cpu not in (1, 2):
            raise Check(f"the crash was taken on CPU {cpu}, not on CPU 1 or 2, which crashed")
        other = view["cpus"][3 - cpu]
        if SYSRQ_HANDLER not in other["frames"]:
            vmcore.unlink()
            raise NotRaced(f"{d.name}: CPU {other['cpu']} never reached the sysrq handler: "
                           f"{' <- '.join(other['frames'][:4])}")
        must_run_through(other["frames"], SYSRQ_STACK,
                          f"CPU {other['cpu']}'s (the one that lost the race into panic())")
    vmcore.unlink()
    details.update({
        "crash": what, "log line": seen[0].split("] ", 1)[-1],
        "crashed": f"CPU {cpu}: {' <- '.join(crashed['frames'][:6])}",
        "cpus": "; ".join(f"{c['cpu']}: {c['comm']} {' <- '.join(c['frames'][:3])}"
                          for c in view["cpus"]),
        "log": d / "serial.log"})
    return details


# Mid-load kdump: the loaders a panic can interrupt (kdt.loader= of guest/scenarios/midload),
# and the line the Rust crash path prints when it finds the kexec lock held.
MIDLOAD_LOADERS = {"l": "kexec -l", "s-l": "kexec -s -l", "p": "kexec -p (reload)",
                   "s-p": "kexec -s -p (reload)"}
KDUMP_SKIPPED = "kdump skipped: the kexec lock is held"


def midload_attempt(flavour, loader, seed, extra="", name=None, crash_loaded=True,
                    mem_mib=TRIGGER_MEM_MIB, brk="", timeout=None):
    """One panic at a random moment (drawn from `seed`) of a loop of `loader` loads; returns
    whether the capture kernel came up, whether any second kernel booted and whether the first
    kernel said kdump was skipped. `extra` adds guest parameters (guest/scenarios/midload);
    with `crash_loaded` false no crash kernel is loaded first."""
    run, d, _ = boot(flavour, "midload", f"kdt.loader={loader} kdt.seed={seed} {extra}".strip(),
                      name=name or f"midload-{loader}", brk=brk, timeout=timeout, mem_mib=mem_mib,
                      crashkernel=TWIN_CRASHKERNEL)
    expect_exit(run)
    first = run.boots[0]
    if first.get("error"):
        raise Check(f"midload {MIDLOAD_LOADERS[loader]}: {first.get('error')}; see "
                    f"{d / 'serial.log'}")
    expect_fact(first, "kexec_crash_loaded", "1" if crash_loaded else "0",
          "the crash kernel loaded (or not) before the loop")
    # The guest's own "crashing" line may die in the tty's buffer; the kernel's does not.
    if run.find(PANIC_LINE) is None:
        raise Check(f"the guest never crashed; see {d / 'serial.log'}")
    captured = len(run.boots) > 1 and run.boots[1].get("captured") == "yes"
    said = run.find(KDUMP_SKIPPED) is not None
    return {"captured": captured, "second_boot": len(run.boots) > 1, "said_skipped": said,
            "load_period": float(first.get("load_period", "0")),
            "delay_us": int(first.get("delay_us", "0")), "log": str(d / "serial.log")}


# A panic with no crash kernel loaded while another CPU loads with kexec -s -l: C's
# kexec_file_load holds the kexec lock for the whole call, reading and hashing an initrd made
# big, and the panic comes half a load after one starts (the Rust loader takes the lock only
# to swap the image in). A 1 GiB guest:
# a load has the file, its copy in the kernel, the image's pages and the image it replaces.
NO_KDUMP_ATTEMPTS = 2
NO_KDUMP_INITRD_MIB = 32


def no_kdump(flavour, brk="", timeout=None):
    """Panics in the middle of kexec -s -l loads with no crash kernel loaded: there is no
    kdump to wait for, so the kernel must not say kdump was skipped, and no capture kernel may
    come up; each panic goes on to reboot. (That the crash path does not wait for the lock
    there is the KUnit case rust_crash.a_panic_with_no_crash_kernel_says_nothing_of_the_held_lock:
    a millisecond is not seen from the serial console.) The "crash-loaded" fault loads a crash
    kernel first, so where kexec_file_load is C's (the twin) the lock held by the loop makes
    the Rust crash path skip kdump, and say so."""
    loaded = brk == "crash-loaded"
    extra = (f"kdt.at=mid-load kdt.initrd_mib={NO_KDUMP_INITRD_MIB}"
             + ("" if loaded else " kdt.crash=none"))
    runs = [midload_attempt(flavour, "s-l", n, extra, crash_loaded=loaded, mem_mib=MEM_MIB,
                            name="no-kdump" if n == 1 else f"no-kdump-{n}", brk=brk,
                            timeout=timeout)
            for n in range(1, NO_KDUMP_ATTEMPTS + 1)]
    # Every attempt's line first: with the fault, the one that found the lock held says so.
    for n, r in enumerate(runs, 1):
        if r["said_skipped"]:
            raise Check(f"attempt {n}: the kernel said '{KDUMP_SKIPPED}'"
                        + ("" if loaded else " with no crash kernel loaded") + f"; see {r['log']}")
    for n, r in enumerate(runs, 1):
        if r["second_boot"]:
            raise Check(f"attempt {n}: a second kernel booted after the panic; see {r['log']}")
    return {"attempts": f"{len(runs)} panics half-way through kexec -s -l loads of a "
                        f"{NO_KDUMP_INITRD_MIB} MiB initrd (periods "
                        + ", ".join(f"{r['load_period']:.2f}" for r in runs)
                        + " s): no line, rebooted",
            "log": runs[-1]["log"]}



# kexec -s -p reloads (guest/scenarios/reload): the refused ones, and the crashkernel size that
# leaves room for a second image beside the loaded one but not for an initrd of the whole region.
RELOAD_REFUSALS = ("cmdline", "truncated", "noroom")
RELOAD_CRASHKERNEL = "128M"
# What the Rust loader says when a crash image does not fit beside the loaded one.
NO_ROOM_BESIDE = "does not fit beside the loaded one"


def reload(flavour, brk="", timeout=None):
    """kexec -s -p refused three ways with a crash kernel loaded, then a crash; and two reloads
    that succeed (one too big to go beside the loaded kernel), then a crash. Where the Rust loader serves kexec_file_load a refused reload
    must leave the loaded crash kernel loaded, and capture the crash; C drops it (the scenario
    records what C does). The reload that succeeds must capture with the new kernel."""
    rust = kbuild.config_value(flavour, "CONFIG_KEXEC_FILE_RUST") == "y"
    run, d, _ = boot(flavour, "reload", "kdt.marker=old", name="reload", brk=brk,
                     crashkernel=RELOAD_CRASHKERNEL, timeout=timeout)
    expect_exit(run)
    first = run.boots[0]
    expect_fact(first, "load_rc", "0", "the first kexec -s -p failed")
    expect_fact(first, "kexec_crash_loaded", "1", "the first kexec -s -p loaded nothing")
    refused = {}
    for name in RELOAD_REFUSALS:
        if first.get(f"{name}_rc") in (None, "0"):
            raise Check(f"the {name} reload was not refused (exit {first.get(f'{name}_rc')})")
        refused[name] = first.get(f"{name}_loaded")
    kept = all(v == "1" for v in refused.values())
    captured = len(run.boots) > 1 and run.boots[1].get("role") == "capture"
    if rust:
        if not kept:
            raise Check("a refused kexec -s -p left no crash kernel loaded: "
                        + ", ".join(f"{k} {v}" for k, v in refused.items()))
        if not captured:
            raise Check("no capture kernel booted after the refused reloads")
        expect_fact(run.boots[1], "marker", "old", "the capture kernel was not the one loaded first")
    run2, d2, _ = boot(flavour, "reload", "kdt.marker=old kdt.part=replace",
                       name="reload-replace", brk=brk, crashkernel=RELOAD_CRASHKERNEL,
                       timeout=timeout)
    expect_exit(run2)
    expect_fact(run2.boots[0], "inplace_rc", "0", "the reload too big to go beside the loaded one failed")
    if rust and run2.find(NO_ROOM_BESIDE) is None:
        raise Check(f"the kernel did not say '{NO_ROOM_BESIDE}' for the big reload")
    expect_fact(run2.boots[0], "replace_rc", "0", "the reload that should succeed failed")
    if len(run2.boots) < 2 or run2.boots[1].get("role") != "capture":
        raise Check(f"no capture kernel booted after the reload; see {d2 / 'serial.log'}")
    expect_fact(run2.boots[1], "marker", "new", "the capture kernel was not the reloaded one")
    return {"refused reloads, crash kernel still loaded": ", ".join(
                f"{k}: {'yes' if v == '1' else 'no'}" for k, v in refused.items()),
            "crash after them": "captured by the first kernel" if captured else "not captured",
            "log": f"{d / 'serial.log'} {d2 / 'serial.log'}"}


def vmcoreinfo_compare(flavour, brk=""):
    """The VMCOREINFO of this flavour's kdump against the C flavour's: the same keys in the
    same order, the same values but for this boot's addresses, the build ID and the crash
    time. Both kdump scenarios must have run (make check runs C first)."""
    theirs = BUILD / "runs" / "c" / "kdump" / "vmcoreinfo.txt"
    mine = BUILD / "runs" / flavour / "kdump" / "vmcoreinfo.txt"
    for p in (theirs, mine):
        if not p.exists():
            raise Check(f"no {p}: run the kdump scenario on that flavour first")
    c, r = vmcoreinfo_lines(theirs.read_text()), vmcoreinfo_lines(mine.read_text())
    if brk == "differ" and r:
        r[-2] = (r[-2][0], r[-2][1] + "0")
    return compare_vmcoreinfo(c, r, flavour)


def errno_table_path(flavour, name="errno"):
    """Where scenario `name` (errno, file-errno) leaves its table on `flavour`."""
    return BUILD / "runs" / flavour / name / "errno.txt"


def write_errno_table(d, res):
    """errno.txt in run directory `d`: one line a case, "<case> <errno> <kept, or ->"."""
    (d / "errno.txt").write_text("".join(f"{k} {e} {kept or '-'}\n"
                                         for k, (e, kept) in res.items()))


def check_fixed_errnos(res, table):
    """Every case of `table` gave the errno it names there."""
    wrong = [f"{k}: {res[k][0]}, expected {want}" for k, want in table.items()
             if res[k][0] != want]
    if wrong:
        raise Check(f"{len(wrong)} table case(s) wrong: " + "; ".join(wrong[:5]))


def check_same_as_c(res, flavour, name="errno"):
    """Every case gave the errno the C flavour's run of scenario `name` gave (its table must
    be there: make check runs C first); returns how many cases were compared."""
    ref = errno_table_path("c", name)
    if not ref.exists():
        raise Check(f"no C errno table to compare with ({ref}): run the C flavour's {name} "
                    "first")
    c = {}
    for line in ref.read_text().splitlines():
        k, e, _ = line.split()
        c[k] = e
    diff = [f"{k}: C {c.get(k)}, {flavour} {e}" for k, (e, _) in res.items() if c.get(k) != e]
    diff += [f"{k}: C {e}, {flavour} (not reported)" for k, e in c.items() if k not in res]
    if diff:
        raise Check(f"{len(diff)} of {len(res)} cases differ from C: " + "; ".join(diff[:5]))
    return len(res)


def errno(flavour, brk="", timeout=None):
    """The kexec_load errno table and seeded random lists from the test loader; the fixed
    cases must give ERRNO_TABLE's errno, a refused load must leave the loaded images in place
    (Rust core), and every case must give the C flavour's errno."""
    extra = f"kdt.seed={ERRNO_SEED} kdt.count={ERRNO_COUNT}"
    run, d, _ = boot(flavour, "errno", extra, brk=brk, timeout=timeout)
    expect_exit(run)
    b = run.boots[0]
    expect_fact(b, "errno_rc", "0", "the test loader failed")
    res = errno_results(run)
    if brk == "errno-differs" and "r0" in res:
        res["r0"] = ("E999", None)
    write_errno_table(d, res)
    missing = [k for k in ERRNO_TABLE if k not in res]
    randoms = [k for k in res if k[:1] == "r" and k[1:].isdigit()]
    if missing or len(randoms) != ERRNO_COUNT:
        raise Check(f"the loader's report is incomplete: {len(randoms)} of {ERRNO_COUNT} random "
                    f"cases, table cases missing: {' '.join(missing) or 'none'}")
    check_fixed_errnos(res, ERRNO_TABLE)
    lost = [k for k, (e, kept) in res.items()
            if k in ERRNO_TABLE and e != "OK" and not k.startswith(ERRNO_NOT_LOADS)
            and kept != "11"]
    details = {"log": d / "serial.log", "cases": len(res), "table": len(ERRNO_TABLE),
               "random": len(randoms), "refusals_logged": b.get("refusals_logged"),
               "lost_by_refusal": lost}
    if flavour == "c":
        return details
    if lost:
        raise Check("a refused load dropped a loaded image: " + " ".join(lost))
    details["same_as_c"] = check_same_as_c(res, flavour)
    return details


# Load/unload cycles from the test loader: a normal and a crash image of CYCLE_MIB each, loaded
# and unloaded CYCLES times. Free memory after the last cycle may be at most LEAK_BOUND_KIB below
# free memory after cycle 20 (the first cycles warm up slab caches). The loader counts free
# memory as MemFree plus the per-CPU free lists, the most of five reads: MemFree alone moves by
# tens of MiB as those lists grow and shrink, and even so counted about 300 KiB comes and goes
# in an idle guest of either flavour. One page leaked a cycle would be 1,520 KiB.
CYCLES = 400
CYCLE_MIB = 16
LEAK_BOUND_KIB = 768


def cycles(flavour, brk="", timeout=None):
    """400 load/unload cycles of a normal and a crash image; free memory comes back."""
    run, d, _ = boot(flavour, "cycles", f"kdt.cycles={CYCLES} kdt.mib={CYCLE_MIB}", brk=brk,
                     timeout=timeout)
    expect_exit(run)
    expect_fact(run.boots[0], "cycles_rc", "0", "a load or unload failed")
    free = {}
    for _, line in run.lines:
        i = line.find("KDT-MEMFREE ")
        if i >= 0:
            _, cycle, kib = line[i:].split()[:3]
            free[int(cycle)] = int(kib)
    if 20 not in free or CYCLES not in free:
        raise Check(f"free memory not reported after cycles 20 and {CYCLES}: {free}")
    if min(free.values()) < 0:
        raise Check(f"the loader could not read free memory: {free}")
    lost = free[20] - free[CYCLES]
    if lost > LEAK_BOUND_KIB:
        raise Check(f"free memory went down by {lost} KiB from cycle 20 to {CYCLES} "
                    f"(bound {LEAK_BOUND_KIB} KiB): a leak")
    return {"log": d / "serial.log", "cycles": CYCLES, "image": f"{CYCLE_MIB} MiB normal + crash",
            "free after 20": f"{free[20]} kB", f"free after {CYCLES}": f"{free[CYCLES]} kB",
            "lost": f"{lost} KiB (bound {LEAK_BOUND_KIB})"}


RACE_ATTEMPTS = int(os.environ.get("KDT_RACE_ATTEMPTS", "30"))
RACE_MIB = 48


def race(flavour, brk="", timeout=None):
    """kexec -p against a shrinking crashkernel region: never both succeed.

    C holds the kexec lock through the whole load, so a shrink in the middle of it is refused
    (EBUSY). The Rust core makes its checks before it takes the lock, so a shrink can come in
    between; the load must then see that the region changed and refuse (EBUSY) rather than
    place the image in memory the kernel gave back. The run must also have met a load in
    progress at least once, or it tested nothing."""
    run, d, _ = boot(flavour, "race", f"kdt.attempts={RACE_ATTEMPTS} kdt.mib={RACE_MIB}",
                      brk=brk, timeout=timeout)
    expect_exit(run)
    attempts, bad, took = [], [], None
    for _, line in run.lines:
        if "KDT-RACE-LOAD " in line:
            took = line.split("KDT-RACE-LOAD ", 1)[1].split()[0]
        i = line.find("KDT-RACE ")
        if i >= 0:
            f = dict(kv.split("=", 1) for kv in line[i:].split()[2:] if "=" in kv)
            attempts.append(f)
            if line.rstrip().endswith(" BAD"):
                bad.append(line[i:].strip())
    if bad:
        raise Check(f"a load and a shrink both succeeded ({len(bad)} of {len(attempts)}): "
                    f"{bad[0]}")
    expect_fact(run.boots[0], "race_rc", "0", "the race loader failed")
    if len(attempts) != RACE_ATTEMPTS:
        raise Check(f"{len(attempts)} of {RACE_ATTEMPTS} attempts reported")
    outcomes = collections.Counter(f"load={a['load']} shrink={a['shrink']}" for a in attempts)
    # A shrink that met the load in progress: refused by the lock (C, and the Rust core's
    # locked part), or let through and the load refused for it (the Rust core's staging).
    met = outcomes["load=OK shrink=EBUSY"] + outcomes["load=EBUSY shrink=OK"]
    if not met:
        raise Check(f"no shrink met a load in progress: {dict(outcomes)}")
    return {"log": d / "serial.log", "one load": f"{took} s", "attempts": len(attempts),
            "outcomes": ", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items()))}


# What vmcore-check reports in the capture kernel, and what it must be (C and Rust alike).
MMAP_CONTRACT = [
    ("mmap_ro", "ok", "read-only mmap of /proc/vmcore"),
    ("mmap_write", "EPERM", "mmap of /proc/vmcore with PROT_WRITE"),
    ("mmap_private", "EPERM", "mmap of /proc/vmcore with PROT_WRITE, MAP_PRIVATE"),
    ("mmap_exec", "EPERM", "mmap of /proc/vmcore with PROT_EXEC"),
    ("mmap_beyond", "EINVAL", "mmap of /proc/vmcore past its end"),
    ("read_vs_mmap", "ok", "pread() at random offsets against a mapping of the whole file"),
]


def kdump(flavour, kexec_flags="", brk="", stack_of="crashed", name="kdump", timeout=None):
    """kexec -p, sysrq-c, capture; the dump is checked with readelf-style parsing,
    makedumpfile and drgn on the host."""
    run, d, img = boot(flavour, "kdump", f"kdt.kexec_flags={kexec_flags}", disk=True,
                        name=name, brk=brk, timeout=timeout)
    first, cap = _crash_and_capture(run, "", kexec_flags)
    if cap.get("vmcore") != "present":
        raise Check("the capture kernel has no /proc/vmcore")
    expect_fact(cap, "vmcore_mode", "400", "/proc/vmcore mode")
    for key, want, what in MMAP_CONTRACT:
        expect_fact(cap, key, want, what)
    arts = qemu.artefacts(img, d)
    vmcore = arts.get("vmcore")
    if vmcore is None:
        raise Check("no vmcore written to the artefact disk by the capture kernel")
    img.unlink()
    size = vmcore.stat().st_size
    if str(size) != cap.get("vmcore_size"):
        raise Check(f"vmcore carried out is {size} bytes, /proc/vmcore said {cap.get('vmcore_size')}")

    details = {"vmcore": f"{size / 2**20:.0f} MiB", "log": d / "serial.log",
               "read/mmap": f"mmap read-only ok, write/private-write/exec EPERM, past the end "
                            f"EINVAL, pread at {cap.get('probes')} random places = mapping"}
    details.update(check_elf(vmcore, first))
    info = elfcore.vmcoreinfo(vmcore)
    if info is None:
        raise Check("the dump has no VMCOREINFO note")
    (d / "vmcoreinfo.txt").write_text(info)
    details["panic"] = check_dmesg(vmcore, d)
    details["makedumpfile -d 31"] = check_makedumpfile(vmcore, d)
    _, vmlinux = kbuild.artefacts(flavour)
    stack = check_stack(vmcore, vmlinux, d, stack_of)
    details["backtrace"] = stack
    crash_t = first.stamps.get("crashing")
    if first.get("load_secs") is not None:
        details["load"] = f"{first.get('load_secs')} s"
    if crash_t is not None:
        details["crash to capture userspace"] = f"{cap.stamps['role'] - crash_t:.2f} s"
    if cap.get("secs") is not None:
        details["vmcore read+write (dd bs=1M)"] = f"{cap.get('secs')} s"
    return details


def boot_text(run, index):
    """The serial lines of boot `index` of a run (from its 'Linux version' line on)."""
    starts = [i for i, (_, line) in enumerate(run.lines) if qemu.BOOT_LINE in line]
    if index >= len(starts):
        return ""
    end = starts[index + 1] if index + 1 < len(starts) else len(run.lines)
    return "\n".join(line for _, line in run.lines[starts[index]:end])


def _crash_and_capture(run, craft, kexec_flags=""):
    """The first kernel loaded a crash kernel (its elfcorehdr crafted as asked) and crashed
    into it; returns the first and the capture kernel's boots."""
    expect_exit(run)
    first = run.boots[0]
    if run.find("cannot allocate crashkernel") is not None:
        raise Check("the first kernel could not reserve its crashkernel= region (no free "
                    "aligned block that large; see the serial log)")
    if craft:
        expect_fact(first, "elfcorehdr", craft, "the test loader did not craft the elfcorehdr")
    if first.get("load_rc") != "0" or first.get("kexec_crash_loaded") != "1":
        raise Check(f"no crash kernel loaded: kexec {kexec_flags + ' ' if kexec_flags else ''}-p exit "
                    f"{first.get('load_rc', '(not run)')}, /sys/kernel/kexec_crash_loaded="
                    f"{first.get('kexec_crash_loaded', '(not read)')}")
    if len(run.boots) < 2 or run.boots[1].get("role") != "capture":
        raise Check("no capture kernel booted after the crash")
    return first, run.boots[1]


# Corrupt elfcorehdrs the test loader makes (kdt.elfcorehdr=<mode>), and what the capture
# kernel's error line must say about each.
CORRUPT = {
    "magic": "bad ELF magic [7e, 45, 4c, 46]",
    "class": "bad EI_CLASS 0x3",
    "phnum": "bad e_phnum 0xffff",
    "note": "bad PT_NOTE p_memsz 0x10000000000",
    # Before the check, reading this PT_NOTE reached ioremap_cache(): a WARNING, a call trace.
    "note-beyond": "PT_NOTE p_offset 0x10000000000000",
    "overlap": "overlaps PT_LOAD at",
    "beyond": "is beyond old memory",
}


def marked_lines(text, marks):
    """The lines of `text` that hold any of `marks`, stripped."""
    return [line.strip() for line in text.splitlines() if any(m in line for m in marks)]


OOPS_MARKS = ("Oops", "BUG:", "WARNING:", "Call Trace", "Kernel panic",
              "general protection fault")


def corrupt(flavour, mode, brk="", timeout=None):
    """kexec -p with a corrupt elfcorehdr, crash: the capture kernel refuses the header with an
    error naming the field, has no /proc/vmcore, and keeps running."""
    run, d, _ = boot(flavour, "corrupt", f"kdt.elfcorehdr={mode}", name=f"corrupt-{mode}",
                      brk=brk, timeout=timeout)
    _, cap = _crash_and_capture(run, mode)
    text = boot_text(run, 1)
    errors = [line.strip() for line in text.splitlines() if "vmcore: elfcorehdr at" in line]
    if not any(CORRUPT[mode] in line for line in errors):
        raise Check(f"no error naming the corruption ('{CORRUPT[mode]}') from the capture "
                    f"kernel; its vmcore lines: {errors or 'none'}")
    oops = marked_lines(text, OOPS_MARKS)
    if oops:
        raise Check(f"the capture kernel oopsed on a corrupt elfcorehdr: {oops[0]}")
    expect_fact(cap, "vmcore", "absent", "the capture kernel served a corrupt elfcorehdr")
    expect_fact(cap, "alive", "yes", "the capture kernel did not keep running")
    return {"error": errors[0].split("] ", 1)[-1], "log": d / "serial.log"}


TWIN_KEYS = ("size", "class", "mdf_mmap_rc", "mdf_mmap_md5", "mdf_nonmmap_rc", "mdf_nonmmap_md5")
# The twin guest: both files are carried out whole, so it is kept small.
TWIN_MEM_MIB = int(os.environ.get("KDT_TWIN_MEM_MIB", "512"))
# 256M does not always fit in 512 MiB: with KASLR the kernel can sit where it leaves no free
# 16 MiB-aligned 256 MiB block below the initrd ("cannot allocate crashkernel"). 192M always
# leaves one on one side of the kernel, and is plenty for the capture kernel here.
TWIN_CRASHKERNEL = os.environ.get("KDT_TWIN_CRASHKERNEL", "192M")


def twin(flavour, elf32=False, brk="", timeout=None):
    """One crash, both providers: /proc/vmcore (C) and /proc/vmcore-rust, carried out whole,
    must be identical byte for byte, and makedumpfile -d 31 (mmap and --non-mmap) of each in
    the capture kernel must give identical output."""
    name = "twin-elf32" if elf32 else "twin-elf64"
    craft = "elf32" if elf32 else ""
    run, d, img = boot(flavour, "twin", f"kdt.elfcorehdr={craft}", disk=True, name=name,
                        brk=brk, timeout=timeout, mem_mib=TWIN_MEM_MIB,
                        disk_mib=2 * TWIN_MEM_MIB + 64,
                        crashkernel=TWIN_CRASHKERNEL)
    _, cap = _crash_and_capture(run, craft)
    for who, path in (("c", "/proc/vmcore"), ("rust", "/proc/vmcore-rust")):
        expect_fact(cap, who, "present", f"{path} missing in the twin capture kernel")
    want_class = "1" if elf32 else "2"
    expect_fact(cap, "c_class", want_class, "C provider's ELF class")
    diff = [f"{k}: C {cap.get('c_' + k)}, Rust {cap.get('rust_' + k)}" for k in TWIN_KEYS
            if cap.get("c_" + k) != cap.get("rust_" + k) or cap.get("c_" + k) is None]
    expect_fact(cap, "c_mdf_mmap_rc", "0", "makedumpfile -d 31 of the C /proc/vmcore")
    arts = qemu.artefacts(img, d)
    if "c" not in arts or "rust" not in arts:
        raise Check(f"the capture kernel did not carry out both files (got {sorted(arts)})")
    img.unlink()
    at = first_difference(arts["c"], arts["rust"])
    if at is not None:
        diff.append(f"content: first difference at byte {at:#x}")
    if diff:
        raise Check("the providers differ: " + "; ".join(diff))
    size = arts["c"].stat().st_size
    if str(size) != cap.get("c_size"):
        raise Check(f"carried out {size} bytes, /proc/vmcore said {cap.get('c_size')}")
    for p in arts.values():
        p.unlink()
    return {"identical": f"{size / 2**20:.0f} MiB byte for byte, ELF{'32' if elf32 else '64'}",
            "makedumpfile -d 31": f"mmap exit {cap.get('c_mdf_mmap_rc')} md5 "
                                  f"{cap.get('c_mdf_mmap_md5')}, --non-mmap exit "
                                  f"{cap.get('c_mdf_nonmmap_rc')} md5 {cap.get('c_mdf_nonmmap_md5')}",
            "log": d / "serial.log"}


def _stack_of(brk):
    # The "backtrace" fault checks kthreadd's stack (PID 2), which never runs through panic.
    return "2" if brk == "backtrace" else "crashed"


# Each scenario of this module: (what it checks, fn(flavour, brk, timeout)); `brk` names the
# fault that breaks its check (--break), `timeout` bounds each QEMU run (None: TIMEOUT).
# kdtlib/registry.py joins this table with the other modules' scenarios.
SCENARIOS = {
    "reboot": ("fast reboot: kexec -l + kexec -e, marker seen",
               lambda f, b, t: reboot(f, brk=b, timeout=t)),
    "reboot-s": ("fast reboot via kexec_file_load (kexec -s -l, -e)",
                 lambda f, b, t: reboot(f, "-s", brk=b, timeout=t)),
    "kdump": ("kdump: kexec -p, sysrq-c, capture, makedumpfile, drgn",
              lambda f, b, t: kdump(f, brk=b, stack_of=_stack_of(b), timeout=t)),
    "kdump-s": ("kdump via kexec_file_load (kexec -s -p)",
                lambda f, b, t: kdump(f, "-s", brk=b, stack_of=_stack_of(b), name="kdump-s",
                                      timeout=t)),
    "reload": ("kexec -s -p refused three ways, then a crash: the loaded crash kernel captures "
               "(Rust); two reloads (one too big to go beside), a crash: the last one captures",
               lambda f, b, t: reload(f, brk=b, timeout=t)),
    "unload": ("unload: kexec -u and kexec -p -u",
               lambda f, b, t: unload(f, brk=b, timeout=t)),
    "errno": ("kexec_load errno table and 2,000 random lists from the test loader",
              lambda f, b, t: errno(f, brk=b, timeout=t)),
    "cycles": ("400 load/unload cycles (normal and crash image), free memory comes back",
               lambda f, b, t: cycles(f, brk=b, timeout=t)),
    "race": ("kexec -p while kexec_crash_size shrinks the region: never both succeed",
             lambda f, b, t: race(f, brk=b, timeout=t)),
    "no-kdump": ("a panic with no crash kernel in the middle of kexec -s -l: no "
                 "'kdump skipped', no capture, reboot",
                 lambda f, b, t: no_kdump(f, brk=b, timeout=t)),
    "hotplug": ("crash hotplug: kexec -s -p, CPU 1 off, on, off, crash; the dump shows CPU 0",
                lambda f, b, t: hotplug(f, brk=b, timeout=t)),
    "memhotplug": ("crash hotplug: kexec -s -p, a DIMM plugged in, crash; the dump covers it",
                   lambda f, b, t: memhotplug(f, brk=b, timeout=t)),
    # No guest: it compares two kdump scenarios' files.
    "vmcoreinfo": ("VMCOREINFO of the kdump dump: C's keys, order and values",
                   lambda f, b, t: vmcoreinfo_compare(f, brk=b)),
    "twin": ("C and Rust /proc/vmcore identical (ELF64), whole and via makedumpfile",
             lambda f, b, t: twin(f, brk=b, timeout=t)),
    "twin-elf32": ("C and Rust /proc/vmcore identical from an ELF32 elfcorehdr",
                   lambda f, b, t: twin(f, elf32=True, brk=b, timeout=t)),
    **{f"trigger-{kind}": (f"{what}: captured, every CPU's registers in the dump",
                           lambda f, b, t, k=kind: trigger(f, k, brk=b, timeout=t))
       for kind, (what, *_) in TRIGGERS.items()},
    **{f"corrupt-{mode}": (f"corrupt elfcorehdr ({mode}) refused: '{text}', no vmcore, no oops",
                           lambda f, b, t, m=mode: corrupt(f, m, brk=b, timeout=t))
       for mode, text in CORRUPT.items()},
}

# What lockdep, RCU-lockdep and the might_sleep() checks print when they find something.
LOCKDEP_MARKS = ("WARNING:", "BUG:", "DEBUG_LOCKS_WARN_ON", "INFO: possible", "INFO: trying to")


def lockdep_reports(log):
    """The lines of a serial log where the kernel's lock checking reported something, and of
    the dump's kernel log beside it, if the run made one: what the kernel says in NMI context
    (a crash from an NMI) reaches the console only after the kdump that never returns."""
    lines = []
    for path in (Path(log), Path(log).with_name("dmesg.txt")):
        if path.exists():
            lines += marked_lines(path.read_text(errors="replace"), LOCKDEP_MARKS)
    return lines

