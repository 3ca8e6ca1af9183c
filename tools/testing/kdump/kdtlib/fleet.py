# SPDX-License-Identifier: GPL-2.0
"""make fleet: Debian guests that ship their dumps to one collector over SSH, as kdump-tools
does on a fleet (SSH= in /etc/default/kdump-tools).

Three guests with different host names boot at once, each with kdump-tools configured for
SSH="kdump@collector" and HOSTTAG=hostname, and each runs `kdump-config propagate`, which sends
its dump key to the collector (kdtlib/collector.py: a real sshd, reached only through QEMU's
guestfwd). When all report kdump ready, the host tells them to crash at the same moment. Each
capture boot pipes `makedumpfile -F` through ssh into /var/crash/<host>-<stamp>/ on the
collector; the host reassembles each dump (makedumpfile -R) and opens it with drgn.

A fourth guest has the same set-up, but its collector goes away just before it crashes:
kdump-tools retries, gives up, and does what /etc/default/kdump-tools documents (no
KDUMP_FAIL_CMD: reboot -f). The run says what it did.
"""

import os
import re
import shutil
import socket
import tempfile
import threading
import time

from . import collector, debian, debscen, kbuild, qemu, symbols
from .common import BUILD, progress
from .dumpcheck import Check

HOSTS = ("web1", "db1", "cache1")
UNREACHABLE = "lost1"
READY_TIMEOUT = 900
TIMEOUT = 1200
RETRY_LINE = "Network not reachable; will try"
GAVE_UP = "Unable to reach remote server"


# The fleet's collector: the dump and dmesg go over SSH, each under a directory named by host.
REMOTE = '\n# The fleet\'s collector\nSSH="kdump@collector"\nHOSTTAG=hostname\n'


class Guest:
    def __init__(self, flavour, host, mode, d, inetd):
        self.flavour, self.host, self.mode, self.d = flavour, host, mode, d
        self.ready = threading.Event()
        self.done = threading.Event()
        self.run = None
        self.error = None
        self.go_sock = os.path.join(tempfile.mkdtemp(prefix="kdt-go-"), "go.sock")
        # The collector's gate for this guest: it answers unless the host marked it down.
        self.down = collector.DIR / f"down-{host}"
        self.down.unlink(missing_ok=True)
        self.gate = collector.DIR / f"gate-{host}"
        self.gate.write_text(f"#!/bin/sh\n[ -e {self.down} ] && exit 1\nexec {inetd}\n")
        self.gate.chmod(0o755)

    def boot(self):
        try:
            bz, _ = kbuild.artefacts(self.flavour)
            self.d.mkdir(parents=True, exist_ok=True)
            img = debian.disk_for_run(self.flavour, self.d / "disk.img", {
                "/etc/default/kdump-tools": debscen.kdump_defaults(REMOTE),
                "/etc/ssh/ssh_known_hosts": collector.known_hosts(),
                "/root/.kdt-collector-password": collector.password() + "\n",
            })
            nic = f"{debscen.NIC},{collector.guestfwd(self.gate)}"
            # The host's word to crash arrives on the guest's second serial port.
            extra = ["-chardev", f"socket,id=go,path={self.go_sock},server=on,wait=off",
                     "-serial", "chardev:go"]
            self.run = qemu.run(kernel=bz, initrd=None,
                                cmdline=debscen.cmdline(self.mode, self.host),
                                log=self.d / "serial.log", mem_mib=debscen.MEM_MIB, cpus=1,
                                disk=img, timeout=TIMEOUT, nic=nic, extra=extra,
                                on_fact={"waiting_for_go": lambda _m: self.ready.set() or ""})
            img.unlink(missing_ok=True)
        except Exception as e:  # noqa: BLE001 - reported in the table, not lost in a thread
            self.error = f"{type(e).__name__}: {e}"
        finally:
            self.done.set()

    def say_go(self):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(self.go_sock)
            s.sendall(b"go\n")


def _wait_ready(guests):
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if all(g.ready.is_set() or g.done.is_set() for g in guests):
            return
        time.sleep(0.5)


def _panic_wall(run):
    t = debscen.panic_time(run)
    return None if t is None else run.wall_start + t


def _arrived(host):
    dirs = [p for p in collector.inbox().glob(f"{host}-*") if p.is_dir()
            and debscen.STAMP.match(p.name)]
    return dirs


def check_guest(g, vmlinux):
    """One shipping guest's row: what arrived for it, reassembled and opened by drgn."""
    if g.error:
        raise Check(f"harness error: {g.error}")
    debscen.first_boot_ready(g.run)
    first = g.run.boots[0]
    if first.get("propagate") != "ok":
        raise Check("kdump-config propagate did not send the key to the collector")
    if len(g.run.boots) < 2:
        raise Check("no capture kernel booted after the crash")
    dirs = _arrived(g.host)
    if len(dirs) != 1:
        said = debscen.kdump_tools_lines(g.run, 1)
        raise Check(f"{len(dirs)} dump directories for {g.host} at the collector (one expected)"
                    + (f"; kdump-tools said: {said[-1]}" if said else ""))
    details = debscen.check_saved(dirs[0], vmlinux, g.d, flattened=True)
    stamp = debscen.STAMP.match(dirs[0].name).group("stamp")
    dump = dirs[0] / f"dump.{stamp}"
    panic = _panic_wall(g.run)
    details["collector"] = str(dirs[0].relative_to(collector.DIR))
    details["size"] = dump.stat().st_size
    # kdump-tools renames dump-incomplete to dump.<stamp> when the last byte is in.
    details["secs"] = dump.stat().st_ctime - panic if panic else None
    return details


def check_unreachable(g):
    """What kdump-tools did when its collector did not answer: the row's text."""
    if g.error:
        raise Check(f"harness error: {g.error}")
    debscen.first_boot_ready(g.run)
    if len(g.run.boots) < 2:
        raise Check("no capture kernel booted after the crash")
    text = "\n".join(line for _, line in g.run.lines)
    tries = len(re.findall(RETRY_LINE, text))
    if GAVE_UP not in text:
        raise Check(f"kdump-tools did not give up on the unreachable collector ('{GAVE_UP}' "
                    f"not on the console; {tries} retries seen)")
    if _arrived(g.host):
        raise Check(f"a dump of {g.host} arrived at a collector that was down")
    rebooted = g.run.exit_code == 0 and not g.run.timed_out
    # kdump-config says "will try N more times" after each failed attempt, N down to 0.
    return (f"collector down: kdump-tools tried it {tries} times ('{RETRY_LINE} N more "
            f"times'), then '{GAVE_UP} kdump@collector; can't continue'; with no KDUMP_FAIL_CMD "
            f"set it {'rebooted (reboot -f)' if rebooted else 'did NOT reboot'}, as "
            f"/etc/default/kdump-tools documents; no dump left the machine")


def run_fleet(flavour="distro"):
    t0 = time.monotonic()
    bz, vmlinux = kbuild.artefacts(flavour)
    debian.image(flavour)
    inetd = collector.self_test()
    progress(f"fleet: collector ready: sshd -i per connection via QEMU guestfwd, inbox "
             f"{collector.inbox()}")
    d = BUILD / "runs" / flavour / "fleet"
    guests = [Guest(flavour, h, "fleet", d / h, inetd) for h in HOSTS]
    guests.append(Guest(flavour, UNREACHABLE, "unreachable", d / UNREACHABLE, inetd))
    progress(f"fleet: booting {len(guests)} Debian guests on the {flavour} kernel "
             f"({', '.join(g.host for g in guests)}); each runs kdump-config propagate "
             f"(logs: {d}/<host>/serial.log)")
    threads = [threading.Thread(target=g.boot, daemon=True) for g in guests]
    for t in threads:
        t.start()
    _wait_ready(guests)
    waiting = [g for g in guests if g.ready.is_set() and not g.done.is_set()]
    progress(f"fleet: {len(waiting)} of {len(guests)} guests report kdump ready "
             f"after {time.monotonic() - t0:.0f} s; crashing them at once")
    for g in waiting:
        if g.mode == "unreachable":
            g.down.write_text("")
    for g in waiting:
        g.say_go()
    for t in threads:
        t.join(TIMEOUT)
    rows, failed = [], 0
    for g in guests:
        try:
            if g.mode == "unreachable":
                rows.append((g.host, "PASS", "", "", check_unreachable(g)))
            else:
                det = check_guest(g, vmlinux)
                frames = symbols.stack_frames(det["backtrace"])
                rows.append((g.host, "PASS", f"{det['size'] / 2**20:.1f} MiB",
                             f"{det['secs']:.1f}" if det["secs"] is not None else "?",
                             f"{det['collector']}; drgn: {' <- '.join(frames[:4])}"))
        except Check as e:
            failed += 1
            rows.append((g.host, "FAIL", "", "", str(e)))
        g.down.unlink(missing_ok=True)
        g.gate.unlink(missing_ok=True)
        shutil.rmtree(os.path.dirname(g.go_sock), ignore_errors=True)
    keys = collector.authorized_keys()
    print()
    print(f"=== fleet: {len(HOSTS)} Debian guests + 1 with its collector down, {flavour} kernel, "
          f"one collector ===")
    print(f"{'host':8} {'result':6} {'dump':>9} {'panic->dump complete (s)':>25}  what")
    for host, res, size, secs, what in rows:
        print(f"{host:8} {res:6} {size:>9} {secs:>25}  {what}")
    print(f"collector: {len(keys)} keys sent by kdump-config propagate in "
          f"{collector.DIR / 'home/.ssh/authorized_keys'}; dumps in {collector.inbox()}")
    progress(f"fleet: done in {(time.monotonic() - t0) / 60:.1f} min; "
             f"{len(rows) - failed} passed, {failed} failed")
    return 1 if failed else 0
