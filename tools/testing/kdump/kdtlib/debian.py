# SPDX-License-Identifier: GPL-2.0
"""A Debian 12 guest, as users run kdump: debootstrap's bookworm with systemd and kdump-tools,
on a virtio disk, booted by one of the tree's kernels.

The root file system is made once with debootstrap from Debian's packages and kept in
build/debian-guest/base. Each kernel gets its own disk image (build/debian-guest/<flavour>.img): the base,
the test's guest files, and the kernel installed as a Debian kernel package installs it (in
/boot and /lib/modules, then kdump-tools' own kernel hook, which makes the crash kernel's
initramfs with mkinitramfs). Each run boots a copy of that image with its own
/etc/default/kdump-tools, the administrator's configuration; nothing of kdump-tools' scripts
is changed. What kdump-tools saved is read back from the copy on the host (debugfs).
"""

import hashlib
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

from . import kbuild
from .common import BUILD, GUEST, KdtError, progress, run

SUITE = "bookworm"
MIRROR = os.environ.get("KDT_DEBIAN_MIRROR", "http://deb.debian.org/debian")
# What a Debian machine with kdump needs, and what the scenarios use: kdump-tools and the tools
# it runs (kexec-tools, makedumpfile, initramfs-tools for the crash kernel's initramfs),
# systemd and udev, ssh for a remote collector, iproute2 (kdump-tools names hosts by address).
PACKAGES = ["systemd", "systemd-sysv", "udev", "kdump-tools", "kexec-tools", "makedumpfile",
            "initramfs-tools", "openssh-client", "iproute2", "e2fsprogs"]
DIR = BUILD / "debian-guest"
BASE = DIR / "base"
IMAGE_MIB = 2048
GUEST_FILES = GUEST / "debian"

# The administrator's configuration files the image carries (beside the test's own unit).
FSTAB = "/dev/vda / ext4 rw,errors=remount-ro 0 1\n"
# The collector's name: QEMU user networking forwards this address to the host's sshd.
COLLECTOR_IP = "10.0.2.100"
HOSTS = f"127.0.0.1 localhost\n{COLLECTOR_IP} collector\n"
# initramfs-tools: the kernels here have their drivers built in, so no module goes in.
INITRAMFS_MODULES = "MODULES=list\n"


def _base_key():
    return hashlib.sha256(" ".join([SUITE, MIRROR] + PACKAGES).encode()).hexdigest()


def _ticker(what, log, stop):
    """A progress line every 20 s while a long step runs: the step's own last line."""
    t0 = time.monotonic()
    while not stop.wait(20):
        last = ""
        try:
            lines = [ln for ln in Path(log).read_text(errors="replace").splitlines() if ln.strip()]
            last = lines[-1].strip() if lines else ""
        except OSError:
            pass
        progress(f"{what}: {time.monotonic() - t0:.0f} s{(', ' + last[:80]) if last else ''}")


def _long(what, cmd, log, **kw):
    stop = threading.Event()
    t = threading.Thread(target=_ticker, args=(what, log, stop), daemon=True)
    t.start()
    try:
        return run(cmd, log=log, **kw)
    finally:
        stop.set()
        t.join()


def base():
    """build/debian-guest/base: Debian 12 made by debootstrap (once; about 1 to 2 minutes)."""
    stamp = DIR / "base.key"
    if BASE.is_dir() and stamp.exists() and stamp.read_text() == _base_key():
        return BASE
    if not shutil.which("debootstrap"):
        raise KdtError("debootstrap not found: run `make deps`")
    if os.geteuid() != 0:
        raise KdtError("the Debian guest is made with debootstrap and chroot, which need root")
    DIR.mkdir(parents=True, exist_ok=True)
    tmp = DIR / "base.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    log = DIR / "debootstrap.log"
    log.write_text("")
    progress(f"debian: debootstrap {SUITE} from {MIRROR} into {BASE} ({', '.join(PACKAGES)}; "
             f"about 1 to 2 min; log: {log})")
    _long("debian: debootstrap", ["debootstrap", "--variant=minbase",
                                  "--include=" + ",".join(PACKAGES), SUITE, str(tmp), MIRROR], log)
    # The package cache is not part of the machine.
    for deb in (tmp / "var/cache/apt/archives").glob("*.deb"):
        deb.unlink()
    shutil.rmtree(BASE, ignore_errors=True)
    tmp.rename(BASE)
    stamp.write_text(_base_key())
    return BASE


def _files_key():
    h = hashlib.sha256()
    for p in sorted(GUEST_FILES.iterdir()):
        h.update(p.name.encode() + p.read_bytes())
    h.update((FSTAB + HOSTS + INITRAMFS_MODULES).encode())
    h.update(Path(__file__).read_bytes())
    return h.hexdigest()


def kernel_release(flavour):
    out = kbuild.flavour_dir(flavour)
    return (out / "include/config/kernel.release").read_text().strip()


def _chroot(root, script, log):
    """Run `script` with sh in a chroot of `root`, with /proc, /sys and /dev mounted in a mount
    namespace of its own (nothing stays mounted on the host)."""
    run(["unshare", "--mount", "--propagation", "private", "sh", "-ec",
         'mount -t proc proc "$0/proc"; mount -t sysfs sys "$0/sys"; '
         'mount --rbind /dev "$0/dev"; exec chroot "$0" sh -ec "$1"', str(root), script],
        log=log)


def _install_guest_files(root):
    (root / "etc/fstab").write_text(FSTAB)
    (root / "etc/hosts").write_text(HOSTS)
    (root / "etc/hostname").write_text("debian\n")
    (root / "etc/initramfs-tools/conf.d/kdt-modules").write_text(INITRAMFS_MODULES)
    sbin = root / "usr/local/sbin"
    for name in ("kdt-debian", "kdt-askpass"):
        shutil.copy(GUEST_FILES / name, sbin / name)
        (sbin / name).chmod(0o755)
    shutil.copy(GUEST_FILES / "kdt-debian.service", root / "etc/systemd/system/kdt-debian.service")
    shutil.copy(GUEST_FILES / "20-wired.network", root / "etc/systemd/network/20-wired.network")


def image(flavour):
    """build/debian-guest/<flavour>.img: the Debian disk with `flavour`'s kernel installed."""
    bz, _ = kbuild.artefacts(flavour)
    out = kbuild.flavour_dir(flavour)
    root = base()
    kver = kernel_release(flavour)
    key = hashlib.sha256(b"".join([bz.read_bytes(), _base_key().encode(), _files_key().encode(),
                                   kver.encode()])).hexdigest()
    img = DIR / f"{flavour}.img"
    stamp = DIR / f"{flavour}.key"
    if img.exists() and stamp.exists() and stamp.read_text() == key:
        return img
    log = DIR / f"{flavour}.log"
    log.write_text("")
    progress(f"debian: installing the {flavour} kernel ({kver}) into a copy of the base, "
             f"kdump-tools' kernel hook making the crash kernel's initramfs (log: {log})")
    stage = DIR / f"{flavour}.stage"
    shutil.rmtree(stage, ignore_errors=True)
    run(["cp", "-a", "--reflink=auto", str(root), str(stage)])
    _install_guest_files(stage)
    shutil.copy(bz, stage / f"boot/vmlinuz-{kver}")
    shutil.copy(out / ".config", stage / f"boot/config-{kver}")
    shutil.copy(out / "System.map", stage / f"boot/System.map-{kver}")
    mods = stage / f"lib/modules/{kver}"
    mods.mkdir(parents=True, exist_ok=True)
    for name in ("modules.builtin", "modules.builtin.modinfo", "modules.order"):
        if (out / name).exists():
            shutil.copy(out / name, mods / name)
    # What the image's systemd starts: the network (the capture kernel's ssh needs it) and the
    # test's driver; no getty on a virtual terminal the kernels here do not have.
    _chroot(stage, f"depmod {kver}; systemctl enable systemd-networkd.service kdt-debian.service; "
                   "systemctl mask getty@tty1.service serial-getty@ttyS0.service getty-static.service apt-daily.timer apt-daily-upgrade.timer "
                   "e2scrub_all.timer fstrim.timer dpkg-db-backup.timer; "
                   f"/etc/kernel/postinst.d/kdump-tools {kver}; "
                   # kdump-config load remakes that initramfs whenever /etc/kdump/sysctl.conf
                   # differs from the copy it keeps beside it, so a machine's first load makes
                   # it a second time. The image carries the copy as after that first load:
                   # each test boot would otherwise spend 90 s in mkinitramfs under TCG.
                   f"cp /etc/kdump/sysctl.conf /var/lib/kdump/latest_sysctls-{kver}", log)
    if not (stage / f"var/lib/kdump/initrd.img-{kver}").exists():
        raise KdtError(f"kdump-tools' kernel hook made no /var/lib/kdump/initrd.img-{kver} "
                       f"(log: {log})")
    tmp = img.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    run(["mkfs.ext4", "-q", "-F", "-L", "debian", "-d", str(stage), str(tmp), f"{IMAGE_MIB}M"],
        log=log)
    tmp.rename(img)
    shutil.rmtree(stage, ignore_errors=True)
    stamp.write_text(key)
    return img


def disk_for_run(flavour, dest, files):
    """A copy of `flavour`'s image at `dest`, with `files` ({guest path: text}) written in."""
    src = image(flavour)
    run(["cp", "--sparse=always", str(src), str(dest)])
    cmds = []
    staging = Path(dest).with_suffix(".files")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    for i, (path, text) in enumerate(sorted(files.items())):
        local = staging / str(i)
        local.write_text(text)
        cmds += [f"rm {path}", f"write {local} {path}"]
    if cmds:
        script = staging / "debugfs.cmds"
        script.write_text("\n".join(cmds) + "\n")
        subprocess.run(["debugfs", "-w", "-f", str(script), str(dest)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        for path in files:
            if read_file(dest, path) is None:
                raise KdtError(f"could not write {path} into {dest}")
    shutil.rmtree(staging, ignore_errors=True)
    return dest


def read_file(img, path):
    """A file's text from an ext4 image, or None."""
    res = subprocess.run(["debugfs", "-R", f"cat {path}", str(img)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    if res.returncode != 0 or b"File not found" in res.stderr:
        return None
    return res.stdout.decode("utf-8", "replace")


def copy_out(img, path, dest):
    """Copy a directory out of an ext4 image (debugfs rdump); returns dest/<basename>."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(["debugfs", "-R", f"rdump {path} {dest}", str(img)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return dest / Path(path).name
