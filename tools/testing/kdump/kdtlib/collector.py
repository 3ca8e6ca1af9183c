# SPDX-License-Identifier: GPL-2.0
"""The fleet's dump collector: Debian's OpenSSH sshd on the host, reachable only from the
guests, through QEMU user networking's guestfwd, which starts `sshd -i` for each connection a
guest opens to collector:22. Nothing listens on any host address.

The collector is build/collector/: sshd and its one extra library, unpacked from Debian's
packages (not installed, so no ssh service starts on the host); its host key; and the account
the guests log in to, `kdump`, which exists only inside the mount namespace each sshd runs in
(its own /etc/passwd, /etc/group and /etc/shadow are bound over the host's there). The dumps
arrive in build/collector/var/crash, which that namespace sees as /var/crash, the directory
kdump-tools writes to; the key `kdump-config propagate` sends arrives in
build/collector/home/.ssh/authorized_keys.
"""

import crypt  # noqa: deprecated in 3.11, and the simplest way to write a shadow entry here
import os
import secrets
import shutil
import subprocess

from .common import BUILD, KdtError, run
from .debian import COLLECTOR_IP

DIR = BUILD / "collector"
PACKAGES = ["openssh-server", "libwrap0"]
USER = "kdump"
UID = 4242          # the collector account's uid and gid (only inside sshd's namespace)
SSHD_UID = 4243     # sshd's privilege separation user


def _unpack():
    pkg = DIR / "pkg"
    sshd = pkg / "usr/sbin/sshd"
    if sshd.exists():
        return sshd
    debs = DIR / "debs"
    shutil.rmtree(debs, ignore_errors=True)
    debs.mkdir(parents=True)
    log = DIR / "setup.log"
    run(["apt-get", "download", *PACKAGES], cwd=debs, log=log)
    for deb in debs.glob("*.deb"):
        run(["dpkg-deb", "-x", str(deb), str(pkg)], log=log)
    if not sshd.exists():
        raise KdtError(f"no sshd in {pkg} after unpacking {', '.join(PACKAGES)} (log: {log})")
    return sshd


def _lib_dir():
    return DIR / "pkg/usr/lib/x86_64-linux-gnu"


def host_key():
    """The collector's public host key line ("ssh-ed25519 AAAA..."), made once."""
    key = DIR / "etc/ssh_host_ed25519_key"
    if not key.exists():
        key.parent.mkdir(parents=True, exist_ok=True)
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "kdt-collector", "-f", str(key)],
            log=DIR / "setup.log")
    return " ".join(key.with_suffix(".pub").read_text().split()[:2])


def password():
    p = DIR / "password"
    if not p.exists():
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(secrets.token_hex(12) + "\n")
        p.chmod(0o600)
    return p.read_text().strip()


def prepare():
    """Everything the collector needs, and an empty inbox: no dump and no authorized key from
    an earlier run, so each fleet run shows kdump-tools' key set-up and dumps anew."""
    sshd = _unpack()
    host_key()
    etc = DIR / "etc"
    home, crash = DIR / "home", DIR / "var/crash"
    for d in (home, DIR / "var"):
        shutil.rmtree(d, ignore_errors=True)
    for d in (home, crash):
        d.mkdir(parents=True)
        os.chown(d, UID, UID)
    os.chown(DIR / "var", 0, 0)
    shadow = crypt.crypt(password(), crypt.mksalt(crypt.METHOD_SHA512))
    (etc / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/sh\n"
        f"sshd:x:{SSHD_UID}:65534::/run/sshd:/usr/sbin/nologin\n"
        f"{USER}:x:{UID}:{UID}:kdump collector:{home}:/bin/sh\n")
    (etc / "group").write_text(f"root:x:0:\nnogroup:x:65534:\n{USER}:x:{UID}:\n")
    (etc / "shadow").write_text(f"root:*:19000:0:99999:7:::\nsshd:*:19000:0:99999:7:::\n"
                                f"{USER}:{shadow}:19000:0:99999:7:::\n")
    (etc / "shadow").chmod(0o600)
    (etc / "sshd_config").write_text(
        f"HostKey {etc}/ssh_host_ed25519_key\n"
        "PidFile none\n"
        "UsePAM no\n"
        # The password is for kdump-config propagate (ssh-copy-id) only; the dumps come in
        # with the key it sends.
        "PasswordAuthentication yes\n"
        "KbdInteractiveAuthentication no\n"
        "PubkeyAuthentication yes\n"
        "AuthorizedKeysFile .ssh/authorized_keys\n"
        f"AllowUsers {USER}\n"
        "PermitRootLogin no\n"
        # build/ may sit under a directory others can write to; the account is the test's own.
        "StrictModes no\n"
        "Subsystem sftp internal-sftp\n"
        "LogLevel VERBOSE\n")
    # The command guestfwd runs for each connection: a private mount namespace in which the
    # collector's account exists and /var is the collector's, then sshd in inetd mode on the
    # connection (its stdin and stdout). Anything it prints goes to the log, never the socket.
    inetd = DIR / "sshd-inetd"
    inetd.write_text(
        "#!/bin/sh\n"
        f"exec 2>>{DIR}/sshd.log\n"
        f"exec unshare --mount --propagation private sh -ec '\n"
        f"mount --bind {etc}/passwd /etc/passwd\n"
        f"mount --bind {etc}/group /etc/group\n"
        f"mount --bind {etc}/shadow /etc/shadow\n"
        "mount -t tmpfs -o mode=755 tmpfs /run\n"
        "mkdir -m 755 /run/sshd\n"
        f"mount --bind {DIR}/var /var\n"
        f"exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LD_LIBRARY_PATH={_lib_dir()} "
        f"{sshd} -i -e -f {etc}/sshd_config\n'\n")
    inetd.chmod(0o755)
    (DIR / "sshd.log").write_text("")
    return inetd


def guestfwd(inetd):
    """QEMU -nic user options: the guests' collector:22 runs `inetd` per connection."""
    return f"guestfwd=tcp:{COLLECTOR_IP}:22-cmd:{inetd}"


def known_hosts():
    """The guests' /etc/ssh/ssh_known_hosts: the collector's host key under its name."""
    return f"collector,{COLLECTOR_IP} {host_key()}\n"


def authorized_keys():
    p = DIR / "home/.ssh/authorized_keys"
    return p.read_text().splitlines() if p.exists() else []


def inbox():
    return DIR / "var/crash"


def self_test():
    """sshd -t on the configuration, in the namespace it runs in: a clear error before any
    guest boots when the collector cannot start."""
    inetd = prepare()
    res = subprocess.run(["sh", "-c", f"sed 's/ -i -e / -t /' {inetd} | sh"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log = (DIR / "sshd.log").read_text(errors="replace").strip()
    if res.returncode != 0:
        raise KdtError(f"the collector's sshd does not start: {res.stdout.strip()} {log}")
    return inetd
