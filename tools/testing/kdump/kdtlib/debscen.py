# SPDX-License-Identifier: GPL-2.0
"""Scenarios on the Debian guest (kdtlib/debian.py): kdump as Debian's kdump-tools does it.

debian-local: systemd boots Debian, kdump-tools.service loads the crash kernel, the test's unit
crashes the kernel (sysrq-c), and kdump-tools' capture boot (kdump-tools-dump.service) saves
/var/crash/<stamp>/dump.<stamp> and dmesg.<stamp> with makedumpfile and reboots. The host reads
both from the disk image and opens the dump with drgn.

The fleet (make fleet) is in kdtlib/fleet.py.
"""

import re
import subprocess

from . import debian, kbuild, qemu
from .dumpcheck import PANIC_LINE, Check, check_stack
from .scenarios import boot_text, expect_exit, run_dir

MEM_MIB = 1024
# Debian's own crashkernel= (kdump-tools' /etc/default/grub.d/kdump-tools.cfg): 128 MiB
# from 384 MiB of RAM up. The capture boot is a systemd boot of the same root file system.
CRASHKERNEL = "384M-:128M"
TIMEOUT = 600
# A stamp directory of kdump-tools (date +%Y%m%d%H%M), with its host's name first when remote.
STAMP = re.compile(r"^(?:(?P<host>.+)-)?(?P<stamp>\d{12})$")
NIC = "user,model=virtio-net-pci,restrict=on"


# What the administrator sets in /etc/default/kdump-tools for every guest here. Debian 12's
# makedumpfile (1.7.2) predates the 6.10 page types: on a 6.12 kernel its -d 31 (kdump-tools'
# default) takes slab pages for user pages and leaves them out, so a dump can lose the
# crashed task's task_struct (drgn: "Excluded page"), and a walk of the task list stops early
# without a word (26 of 59 tasks in one dump here). -d 23 keeps user pages and with them the
# slab; on these guests the dump is no bigger.
MAKEDUMP_ARGS = "-c -d 23"


def kdump_defaults(remote="", kexec_args=""):
    """/etc/default/kdump-tools: Debian's file with the administrator's settings appended
    (each documented in the file itself and in kdump-tools(5)); `kexec_args` goes to
    KDUMP_KEXEC_ARGS (kdump-tools adds it to its kexec -p command)."""
    stock = (debian.base() / "etc/default/kdump-tools").read_text()
    extra = f"KDUMP_KEXEC_ARGS=\"{kexec_args}\"\n" if kexec_args else ""
    return stock + ("\n# makedumpfile 1.7.2 with -d 31 drops slab pages of 6.10+ kernels as user "
                    f"pages\nMAKEDUMP_ARGS=\"{MAKEDUMP_ARGS}\"\n") + extra + remote


def cmdline(mode, host="debian"):
    return (f"console=ttyS0 root=/dev/vda rw crashkernel={CRASHKERNEL} "
            f"systemd.hostname={host} kdt.debian={mode}")


def kdump_tools_lines(run, index):
    """What kdump-tools printed on the console during boot `index` (its log lines)."""
    return [line.strip() for line in boot_text(run, index).splitlines()
            if "kdump-tools" in line or "kdump-config" in line]


def first_boot_ready(run):
    """The first boot's kdump-tools state; raises Check unless it loaded a crash kernel."""
    expect_exit(run)
    first = run.boots[0]
    if first.get("debian_boot") is None:
        raise Check("Debian did not reach the test's unit (no 'KDT: debian_boot' on the console; "
                    "see the serial log)")
    state = first.get("kdump_status")
    if state != "ready-to-kdump":
        said = kdump_tools_lines(run, 0)
        raise Check(f"kdump-tools did not load a crash kernel: kdump-config status says "
                    f"'{(state or 'nothing').replace('-', ' ')}'"
                    + (f"; it said: {said[-1]}" if said else ""))
    return first


def panic_time(run):
    """Host seconds (from QEMU's start) of the panic line on the console."""
    t = run.find("Kernel panic - not syncing")
    return t if t is not None else run.boots[0].stamps.get("crashing")


def check_saved(stampdir, vmlinux, d, flattened=False):
    """The dump and dmesg kdump-tools saved in `stampdir`: the dmesg holds the panic line, and
    drgn finds the crashed stack in the dump. Returns details."""
    m = STAMP.match(stampdir.name)
    stamp = m.group("stamp")
    dump, dmesg = stampdir / f"dump.{stamp}", stampdir / f"dmesg.{stamp}"
    if not dump.exists():
        raise Check(f"kdump-tools saved no dump.{stamp} in {stampdir}: "
                    f"{', '.join(p.name for p in stampdir.iterdir()) or 'empty'}")
    if not dmesg.exists():
        raise Check(f"kdump-tools saved no dmesg.{stamp} beside the dump in {stampdir}")
    panic = [ln.strip() for ln in dmesg.read_text(errors="replace").splitlines() if PANIC_LINE in ln]
    if not panic:
        raise Check(f"{dmesg} has no '{PANIC_LINE}' line")
    details = {"dump": f"{dump.stat().st_size / 2**20:.1f} MiB", "panic": panic[0]}
    opened = dump
    if flattened:
        # makedumpfile -F over ssh: one flattened stream; -R puts it back together.
        opened = d / f"{stampdir.name}.dump"
        with open(dump, "rb") as src:
            res = subprocess.run(["makedumpfile", "-R", str(opened)], stdin=src,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if res.returncode != 0 or not opened.exists():
            raise Check(f"makedumpfile -R could not reassemble {dump}: {res.stdout.strip()}")
        details["reassembled"] = f"{opened.stat().st_size / 2**20:.1f} MiB"
    sd = d / stampdir.name
    sd.mkdir(exist_ok=True)
    details["backtrace"] = check_stack(opened, vmlinux, sd)
    return details


def local(flavour, brk="", timeout=None, kexec_args="", name="debian-local"):
    """kdump-tools loads the crash kernel at boot (with `kexec_args` added, e.g. -s for
    kexec_file_load), a crash, and its capture boot saves the dump and dmesg."""
    d = run_dir(flavour, name)
    bz, vmlinux = kbuild.artefacts(flavour)
    img = debian.disk_for_run(flavour, d / "disk.img",
                              {"/etc/default/kdump-tools": kdump_defaults(kexec_args=kexec_args)})
    run = qemu.run(kernel=bz, initrd=None, cmdline=cmdline("local"), log=d / "serial.log",
                   mem_mib=MEM_MIB, cpus=2, disk=img, timeout=timeout or TIMEOUT, nic=NIC)
    first = first_boot_ready(run)
    if first.get("crashing") is None:
        raise Check("the test's unit did not crash the kernel")
    if len(run.boots) < 2:
        raise Check("no capture kernel booted after the crash")
    crash = debian.copy_out(img, "/var/crash", d)
    dirs = [p for p in crash.iterdir() if p.is_dir() and STAMP.match(p.name)] \
        if crash.is_dir() else []
    if len(dirs) != 1:
        said = kdump_tools_lines(run, 1)
        raise Check(f"kdump-tools' capture boot saved {len(dirs)} dump directories in /var/crash "
                    f"(one expected)" + (f"; it said: {said[-1]}" if said else ""))
    details = check_saved(dirs[0], vmlinux, d, flattened=True)
    kexec_cmd = debian.read_file(img, "/var/crash/kexec_cmd")
    img.unlink()
    if kexec_args and f" {kexec_args}" not in (kexec_cmd or ""):
        raise Check(f"kdump-tools did not load with {kexec_args}: {kexec_cmd!r}")
    t_panic = panic_time(run)
    t_up = run.boots[1].started
    details.update({
        "log": d / "serial.log",
        "saved": f"/var/crash/{dirs[0].name}/ (dump.{dirs[0].name}, dmesg.{dirs[0].name})",
        "kdump-tools loaded": re.sub(r' --command-line="[^"]*"', "", (kexec_cmd or "").strip()),
        "panic to capture kernel": f"{t_up - t_panic:.1f} s",
        "panic to QEMU exit (dump saved, reboot -f)": f"{run.wall - t_panic:.1f} s",
        "whole run": f"{run.wall:.0f} s",
    })
    return details


SCENARIOS = {
    "debian-local": ("Debian 12 + kdump-tools: loaded at boot, crash, dump and dmesg saved in "
                     "/var/crash, drgn backtrace",
                     lambda f, b, t: local(f, brk=b, timeout=t)),
    "debian-local-s": ("Debian 12 + kdump-tools loading with kexec -s (KDUMP_KEXEC_ARGS): crash, "
                       "dump and dmesg saved in /var/crash, drgn backtrace",
                       lambda f, b, t: local(f, brk=b, timeout=t, kexec_args="-s",
                                             name="debian-local-s")),
}
