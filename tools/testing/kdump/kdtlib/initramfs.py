# SPDX-License-Identifier: GPL-2.0
"""The guest's initramfs: busybox-static, the stock kexec and makedumpfile, and the test init.

It is two concatenated newc archives. The base archive holds the userspace; the second holds
the flavour's bzImage and a copy of the base archive as /boot/initrd.img, which is what
`kexec -l/-p` hands to the next kernel (a capture kernel or a rebooted one needs no further
kexec, so it gets the base alone).
"""

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

from . import keys
from .common import BUILD, GUEST, LLVM_BIN, ROOT, KdtError, progress, run

# Stock userspace programs copied in with the shared libraries they need.
PROGRAMS = {
    "/sbin/kexec": ["/sbin/kexec", "/usr/sbin/kexec"],
    "/usr/sbin/makedumpfile": ["/usr/sbin/makedumpfile", "/usr/bin/makedumpfile"],
}
BUSYBOX = "/bin/busybox"
BUSYBOX_CANDIDATES = ["/bin/busybox", "/usr/bin/busybox"]


class Cpio:
    """A newc ("070701") archive written by hand, so device nodes need no root."""

    def __init__(self):
        self.out = bytearray()
        self.ino = 1
        self.seen = set()

    def _entry(self, name, mode, data=b"", rdev=(0, 0), nlink=1):
        name = name.lstrip("/")
        fields = [self.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1],
                  len(name) + 1, 0]
        self.ino += 1
        self.out += b"070701" + b"".join(b"%08X" % f for f in fields)
        self.out += name.encode() + b"\0"
        self.out += b"\0" * (-len(self.out) % 4)
        self.out += data
        self.out += b"\0" * (-len(self.out) % 4)

    def dir(self, path):
        parts = Path(path.lstrip("/")).parts
        for i in range(1, len(parts) + 1):
            p = "/".join(parts[:i])
            if p not in self.seen:
                self.seen.add(p)
                self._entry(p, 0o040755, nlink=2)

    def file(self, path, data, mode=0o644):
        self.dir(str(Path(path).parent))
        self._entry(path, 0o100000 | mode, data)

    def symlink(self, path, target):
        self.dir(str(Path(path).parent))
        self._entry(path, 0o120777, target.encode())

    def chardev(self, path, major, minor):
        self.dir(str(Path(path).parent))
        self._entry(path, 0o020600, rdev=(major, minor))

    def finish(self):
        self._entry("TRAILER!!!", 0)
        self.out += b"\0" * (-len(self.out) % 512)
        return bytes(self.out)


def _find(candidates):
    for c in candidates:
        if os.path.exists(c):
            return c
    raise KdtError(f"none of {', '.join(candidates)} exists: install the Debian package (make deps)")


def _libs(binary):
    """Shared libraries (and the loader) a dynamic binary needs, as absolute host paths."""
    out = subprocess.run(["ldd", binary], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True).stdout
    if "not a dynamic executable" in out:
        return []
    libs = []
    for line in out.splitlines():
        m = re.search(r"=>\s+(/\S+)", line) or re.match(r"\s*(/\S+)\s+\(", line)
        if m:
            libs.append(m.group(1))
        elif "not found" in line:
            raise KdtError(f"{binary} needs a library that is not installed: {line.strip()}")
    return libs


def _add_host_file(cpio, guest_path, host_path, mode=0o755):
    cpio.file(guest_path, Path(host_path).read_bytes(), mode)


# Test helpers compiled for the guest (glibc, as the stock tools): guest path -> source.
HELPERS = {
    # preloaded into kexec to craft elfcorehdrs (see its source)
    "/lib/kdt/kexec-elfcorehdr.so": ROOT / "tools/testing/kdump/elfcorehdr/kexec-elfcorehdr.c",
    # the /proc/vmcore read and mmap contract, checked in the capture kernel
    "/lib/kdt/vmcore-check": ROOT / "tools/testing/kdump/vmcore-check/vmcore-check.c",
    # raw kexec_load calls for the errno parity table
    "/lib/kdt/kexec-errno": ROOT / "tools/testing/kdump/kexec-errno/kexec-errno.c",
    # raw kexec_file_load calls for the kexec_file_load errno parity table
    "/lib/kdt/kexec-file-errno": ROOT / "tools/testing/kdump/kexec-errno/kexec-file-errno.c",
    # kexec_file_load timing and the kexec lock's hold time, for make bench
    "/lib/kdt/kexec-file-time": ROOT / "tools/testing/kdump/kexec-errno/kexec-file-time.c",
    # CLOCK_MONOTONIC with microseconds, for lib.sh's now()
    "/lib/kdt/now": ROOT / "tools/testing/kdump/now/now.c",
    # the guest CPU's own copy rate, the bench's ceiling
    "/lib/kdt/copy-ceiling": ROOT / "tools/testing/kdump/now/copy-ceiling.c",
    # sysrq-c from two CPUs at the same moment (the trigger scenario)
    "/lib/kdt/panic-pair": ROOT / "tools/testing/kdump/now/panic-pair.c",
}


def _helper(guest_path, src):
    """Compile one test helper with the machine's clang; returns the binary's host path. The
    headers beside its source (what the errno loaders share) count as its source too."""
    out = BUILD / "initramfs" / Path(guest_path).name
    newest = max(p.stat().st_mtime for p in [src, *src.parent.glob("*.h")])
    if not out.exists() or out.stat().st_mtime < newest:
        out.parent.mkdir(parents=True, exist_ok=True)
        shared = ["-shared", "-fPIC"] if guest_path.endswith(".so") else []
        run([str(LLVM_BIN / "clang"), *shared, "-O2", "-Wall", "-Wextra", "-Werror",
             "-o", str(out), str(src)], log=BUILD / "logs" / "initramfs.log")
    return out


def build_base():
    """The flavour-independent base archive; rebuilt when its inputs change."""
    out = BUILD / "initramfs" / "base.cpio"
    busybox = _find(BUSYBOX_CANDIDATES)
    helpers = {g: _helper(g, src) for g, src in HELPERS.items()}
    inputs = [busybox, *map(str, helpers.values())] + [
        str(p) for p in sorted(GUEST.rglob("*")) if p.is_file()]
    progs = {g: _find(c) for g, c in PROGRAMS.items()}
    libs = sorted({lib for p in progs.values() for lib in _libs(p)})
    inputs += list(progs.values()) + libs
    h = hashlib.sha256()
    for p in inputs:
        h.update(p.encode())
        h.update(Path(p).read_bytes())
    digest = h.hexdigest()
    stamp = out.with_suffix(".sha")
    if out.exists() and stamp.exists() and stamp.read_text() == digest:
        return out
    progress("initramfs: busybox-static + kexec + makedumpfile + libraries")
    c = Cpio()
    for d in ("/bin", "/sbin", "/usr/bin", "/usr/sbin", "/proc", "/sys", "/dev", "/tmp", "/boot",
              "/mnt", "/root"):
        c.dir(d)
    c.chardev("/dev/console", 5, 1)
    c.chardev("/dev/null", 1, 3)
    _add_host_file(c, BUSYBOX, busybox)
    for guest_path, host_path in progs.items():
        _add_host_file(c, guest_path, host_path)
    # Libraries keep their host paths (the real file, and the ldd path as a symlink to it), so
    # the dynamic loader finds them where it looks on the host.
    for lib in libs:
        real = os.path.realpath(lib)
        _add_host_file(c, real, real)
        if real != lib:
            c.symlink(lib, real)
    for guest_path, host_path in helpers.items():
        _add_host_file(c, guest_path, host_path)
    for p in sorted(GUEST.rglob("*")):
        if p.is_file():
            rel = p.relative_to(GUEST)
            target = "/init" if str(rel) == "init" else f"/kdt/{rel}"
            c.file(target, p.read_bytes(), 0o755)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(c.finish())
    stamp.write_text(digest)
    return out


def build_for(flavour, bzimage):
    """base + (/boot/bzImage, /boot/initrd.img) for one flavour; returns its path."""
    base = build_base()
    out = BUILD / "initramfs" / f"{flavour}.cpio"
    if (out.exists() and out.stat().st_mtime >= bzimage.stat().st_mtime
            and out.stat().st_mtime >= base.stat().st_mtime):
        return out
    base_bytes = base.read_bytes()
    c = Cpio()
    c.file("/boot/bzImage", bzimage.read_bytes())
    c.file("/boot/initrd.img", base_bytes)
    tmp = out.with_suffix(".tmp")
    tmp.write_bytes(base_bytes + c.finish())
    tmp.rename(out)
    shutil.copystat(out, out)
    return out


def build_signed(flavour, bzimage):
    """For the signature scenario: base + the flavour's bzImage unsigned (/boot/bzImage),
    signed with the trusted test key (/boot/bzImage.signed) and with the other
    (/boot/bzImage.other) by keys.sign(), and two initrds for a kexec'd kernel: the base alone
    (/boot/initrd.img) and, for a kernel that loads the signed one once more and is refused
    the unsigned one, the base with both kernels and the base alone again in /boot
    (/boot/initrd-signed.img). Returns its path."""
    base = build_base()
    out = BUILD / "initramfs" / f"{flavour}-sig.cpio"
    inputs = [bzimage, base, *(p for name in keys.KEY_NAMES for p in keys.key(name))]
    if all(p.exists() for p in inputs[2:]) and out.exists() and \
            out.stat().st_mtime >= max(p.stat().st_mtime for p in inputs):
        return out
    images = {}
    for name, suffix in (("trusted", "signed"), ("other", "other")):
        path = BUILD / "initramfs" / f"{flavour}-bzImage.{suffix}"
        images[suffix] = keys.sign(bzimage, name, path).read_bytes()
    # A trusted key made after the kernel was built (build/keys deleted) is not the one the
    # kernel trusts: its signed image would be refused as if the loader were wrong.
    if keys.key("trusted")[1].stat().st_mtime > bzimage.stat().st_mtime:
        raise KdtError(f"{keys.key('trusted')[1]} is newer than {bzimage}, which trusts the "
                       f"key it was built with: rebuild it (kdt build {flavour})")
    base_bytes = base.read_bytes()
    again = Cpio()
    again.file("/boot/bzImage", bzimage.read_bytes())
    again.file("/boot/bzImage.signed", images["signed"])
    again.file("/boot/initrd.img", base_bytes)
    c = Cpio()
    c.file("/boot/bzImage", bzimage.read_bytes())
    for suffix, data in images.items():
        c.file(f"/boot/bzImage.{suffix}", data)
    c.file("/boot/initrd.img", base_bytes)
    c.file("/boot/initrd-signed.img", base_bytes + again.finish())
    tmp = out.with_suffix(".tmp")
    tmp.write_bytes(base_bytes + c.finish())
    tmp.rename(out)
    return out
