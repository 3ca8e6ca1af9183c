# SPDX-License-Identifier: GPL-2.0
"""Boot a flavour under QEMU with a bounded timeout, a serial log and an artefact disk.

TCG by default: on these machines a guest under KVM hangs with no output. KDT_KVM=1 opts in.
"""

import os
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from .common import KdtError

KDT_LINE = re.compile(r"KDT: (.*)$")
PAIR = re.compile(r"(\w+)=(\S*)")
BOOT_LINE = "Linux version "
# A kernel message on the serial console (CONFIG_PRINTK_TIME): "[    3.141592] ...".
KMSG = re.compile(r"\[\s*\d+\.\d{6}\] ")


def qemu_binary():
    exe = shutil.which("qemu-system-x86_64")
    if not exe:
        raise KdtError("qemu-system-x86_64 not found: install qemu-system-x86 (make deps)")
    return exe


class Boot:
    """What one kernel of a run reported: its KDT facts, and when it started (host seconds)."""

    def __init__(self, index, started):
        self.index = index
        self.started = started
        self.facts = {}
        self.stamps = {}
        self.every = {}

    def get(self, key, default=None):
        return self.facts.get(key, default)


class Mender:
    """Mends the guest's own lines that a kernel message cut in two on the serial line.

    printk writes to the UART directly, in between the bytes the tty is sending, so the guest's
    "KDT: a=1 b=22" can arrive as "KDT: a=1 b=2[    3.141592] some message" and, after that
    message (and any that follow it), "2". Kernel messages start their line, so a line with one
    after other text holds a cut: that text waits for the next line that is not a kernel
    message, which is its rest.
    """

    def __init__(self):
        self.cut = None

    def feed(self, text):
        """The whole line of guest text that `text` completes; None while one is cut."""
        if BOOT_LINE in text:
            self.cut = None         # a new kernel: nothing from before continues
        if self.cut is not None:
            if KMSG.match(text):
                return None         # a further kernel message before the rest
            text, self.cut = self.cut + text, None
        k = KMSG.search(text)
        if k and text[:k.start()].strip():
            self.cut = text[:k.start()]
            return None
        return text


class Run:
    """The outcome of one QEMU run."""

    def __init__(self, log):
        self.log = Path(log)
        self.mender = Mender()
        self.boots = []
        self.lines = []       # (host seconds, text), as the serial line carried them
        self.timed_out = False
        self.exit_code = None
        self.wall = 0.0
        self.wall_start = 0.0    # host wall-clock time (time.time()) when QEMU started

    def find(self, needle, after=None):
        """Host time of the first serial line (after host time `after`, if given) containing
        `needle`, or None."""
        for t, line in self.lines:
            if (after is None or t > after) and needle in line:
                return t
        return None

    def text(self):
        return "\n".join(line for _, line in self.lines)


class Monitor:
    """The QEMU human monitor on a Unix socket, for what only the machine can do to the guest
    (an NMI). The socket lives in a short temporary directory: a path under a deep clone
    could pass the 107 bytes a Unix socket address holds."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="kdt-mon-")
        self.path = os.path.join(self.dir, "monitor.sock")

    def args(self):
        return ["-monitor", f"unix:{self.path},server=on,wait=off"]

    def command(self, line):
        """Send one monitor command; returns what the monitor answered."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(self.path)
            s.sendall(line.encode() + b"\n")
            out = b""
            # The answer ends at the next prompt.
            while out.count(b"(qemu)") < 2:
                try:
                    chunk = s.recv(4096)
                except socket.timeout:
                    break
                if not chunk:
                    break
                out += chunk
        return out.decode("utf-8", "replace")

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def run(*, kernel, initrd, cmdline, log, mem_mib=1024, cpus=2, disk=None, timeout=180,
        on_fact=None, max_mib=None, nic=None, extra=()):
    """Boot `kernel` (with `initrd`, if not None) and wait until the guest exits or `timeout`
    seconds pass.

    `on_fact` maps a KDT fact to a function called with the QEMU Monitor when the guest
    first reports it (given one, QEMU gets a monitor socket). `max_mib` gives the machine
    DIMM slots up to that much memory, which a monitor command can fill. `nic` is a -nic
    option (none by default), `extra` more QEMU arguments."""
    on_fact = dict(on_fact) if on_fact else None
    monitor = Monitor() if on_fact else None
    # With max_mib, two DIMM slots up to that much memory, for memory hotplug.
    mem = f"{mem_mib},slots=2,maxmem={max_mib}M" if max_mib else str(mem_mib)
    cmd = [qemu_binary(), "-m", mem, "-smp", str(cpus),
           "-kernel", str(kernel), *(["-initrd", str(initrd)] if initrd else []),
           "-append", cmdline, "-display", "none", "-serial", "stdio",
           *(monitor.args() if monitor else ["-monitor", "none"]), "-nic", nic or "none",
           "-no-reboot", *extra]
    if os.environ.get("KDT_KVM") == "1":
        cmd += ["-accel", "kvm", "-cpu", "host"]
    else:
        cmd += ["-accel", "tcg"]
    if Path("/usr/share/qemu/qboot.rom").exists():
        cmd += ["-bios", "qboot.rom"]
    if disk is not None:
        cmd += ["-drive", f"file={disk},format=raw,if=virtio,cache=unsafe"]

    res = Run(log)
    res.log.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    res.wall_start = time.time()
    with open(res.log, "w") as logf:
        logf.write("# " + " ".join(cmd) + "\n")
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True)
        buf = b""
        deadline = t0 + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                res.timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)
                break
            ready, _, _ = select.select([proc.stdout], [], [], min(left, 1.0))
            if not ready:
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            buf += chunk
            *done, buf = buf.split(b"\n")
            for raw in done:
                console_line(res, time.monotonic() - t0, raw, logf)
                _act(res, on_fact, monitor, logf, t0)
        if buf:
            console_line(res, time.monotonic() - t0, buf, logf)
        res.exit_code = proc.wait()
        if monitor:
            monitor.close()
        res.wall = time.monotonic() - t0
        logf.write(f"# exit {res.exit_code}{' (timed out)' if res.timed_out else ''} "
                   f"after {res.wall:.1f} s\n")
    return res


def _act(res, on_fact, monitor, logf, t0):
    """Call what `on_fact` asks for the facts the guest has now reported, once each."""
    if not on_fact or not res.boots:
        return
    for key in [k for k in on_fact if k in res.boots[-1].facts]:
        answer = on_fact.pop(key)(monitor)
        logf.write(f"[{time.monotonic() - t0:8.3f}] # host, on {key}: "
                   f"{_monitor_text(answer)!r}\n")


# The monitor echoes each typed character with cursor movements (ESC [ K, ESC [ D).
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _monitor_text(answer):
    """What the monitor said, without its banner, prompts and echo: the lines after each
    command line, joined."""
    lines = [ln.strip() for ln in _ANSI.sub("", str(answer)).replace("\r", "").split("\n")]
    return "; ".join(ln for ln in lines if ln and not ln.startswith(("QEMU ", "(qemu)")))


def console_line(res, t, raw, logf):
    """One console line `raw` read at `t` s into run `res`: logged, and the boots and facts
    it starts or states recorded."""
    text = raw.decode("utf-8", "replace").rstrip("\r")
    res.lines.append((t, text))
    logf.write(f"[{t:8.3f}] {text}\n")
    if BOOT_LINE in text:
        res.boots.append(Boot(len(res.boots), t))
    whole = res.mender.feed(text)
    m = whole is not None and KDT_LINE.search(whole)
    if m and res.boots:
        boot = res.boots[-1]
        for word in m.group(1).split():
            kv = PAIR.fullmatch(word)
            key, val = (kv.group(1), kv.group(2)) if kv else (word, "yes")
            boot.facts.setdefault(key, val)
            boot.stamps.setdefault(key, t)
            boot.every.setdefault(key, []).append(val)


def artefacts(disk, dest):
    """Extract the files the guest wrote to the artefact disk; returns {name: path}."""
    out = {}
    with open(disk, "rb") as f:
        index = f.read(4096).split(b"\0", 1)[0].decode("ascii", "replace")
        if "end" not in index.split():
            return out
        for line in index.splitlines():
            parts = line.split()
            if len(parts) != 3:
                continue
            name, mib, size = parts[0], int(parts[1]), int(parts[2])
            path = Path(dest) / name
            f.seek(mib << 20)
            with open(path, "wb") as o:
                left = size
                while left:
                    chunk = f.read(min(left, 8 << 20))
                    if not chunk:
                        break
                    o.write(chunk)
                    left -= len(chunk)
            out[name] = path
    return out
