# SPDX-License-Identifier: GPL-2.0
"""file-errno: the kexec_file_load errno parity table.

The test loader (tools/testing/kdump/kexec-errno/kexec-file-errno.c) makes raw
kexec_file_load calls in the guest with the real bzImage and initrd, files it crafts from them
and edge inputs, and reports each case's errno and which images are loaded after it. Every
case has a fixed errno here, what C's kernel/kexec_file.c, arch/x86/kernel/kexec-bzimage64.c
and fs/kernel_read_file.c give in 6.12; a flavour other than C must also give the C flavour's
errno for every case, so the same table proves parity once kexec_file_load is Rust.

The kept column is recorded, not required of C: C's kexec_file_load with KEXEC_FILE_ON_CRASH
frees the loaded crash image before it reads anything, so every crash load it refuses after
taking the kexec lock leaves no crash image (kept=10). A flavour whose kexec_file_load is Rust
(KEEPING_OPTION) must leave both images loaded after every refusal.
"""

from . import kbuild
from .dumpcheck import Check
from .scenarios import (boot, check_fixed_errnos, check_same_as_c, errno_results, expect_exit,
                        write_errno_table)

NAME = "file-errno"

# Cases the loader makes twice: as a normal load, and as "crash-<case>" with
# KEXEC_FILE_ON_CRASH added. The crash load is refused for the same reason.
PAIRED = {
    # good loads beside kexec -s -l and kexec -s -p
    "ok-no-initramfs": "OK", "ok-debug": "OK",
    # KEXEC_FILE_NO_INITRAMFS: initrd_fd is not looked at
    "ok-no-initramfs-empty-initrd": "OK",
    # bzImage64_probe: each setup-header field it checks, broken alone
    "kernel-short": "ENOEXEC", "kernel-no-hdrs": "ENOEXEC", "kernel-no-boot-flag": "ENOEXEC",
    "kernel-version-0x20b": "ENOEXEC", "kernel-version-0x20c": "OK",
    "kernel-no-loaded-high": "ENOEXEC", "kernel-no-xlf-kernel-64": "ENOEXEC",
    "kernel-no-xlf-above-4g": "ENOEXEC",
    # bzImage64_load: the real-mode part, (setup_sects + 1) * 512 bytes, must be in the file;
    # nothing more is (the protected-mode kernel may be empty)
    "kernel-truncated": "ENOEXEC", "kernel-setup-only-minus-1": "ENOEXEC",
    "kernel-setup-only": "OK",
    # kernel_read_file_from_fd: the fd needs FMODE_READ (O_PATH has none), the file must be
    # regular, not empty, at most 4 GiB, and open for writing nowhere (deny_write_access)
    "kernel-empty": "EINVAL", "kernel-over-4gib": "EFBIG", "kernel-dir": "EINVAL",
    "kernel-fd-minus-1": "EBADF", "kernel-write-only": "EBADF",
    "kernel-open-for-write": "ETXTBSY", "kernel-read-write": "ETXTBSY", "kernel-o-path": "EBADF",
    "initrd-empty": "EINVAL", "initrd-over-4gib": "EFBIG", "initrd-dir": "EINVAL",
    "initrd-fd-minus-1": "EBADF", "initrd-write-only": "EBADF",
    # the command line: a length of 0 reads nothing; otherwise its last byte must be NUL
    # (kimage_file_prepare_segments), and bzImage64_load keeps 30 bytes of the header's
    # cmdline_size free for the "elfcorehdr=0x<address> " a crash image's command line starts
    # with, for every image: the longest is cmdline_size - 30 bytes, the NUL counted
    "cmdline-none": "OK", "cmdline-len-0-bad-pointer": "OK", "cmdline-only-nul": "OK",
    "cmdline-no-nul": "EINVAL", "cmdline-embedded-nul": "OK", "cmdline-max": "OK",
    "cmdline-max-plus-1": "EINVAL", "cmdline-size": "EINVAL", "cmdline-size-plus-1": "EINVAL",
    "cmdline-1mib": "EINVAL", "cmdline-bad-pointer": "EFAULT",
    # memdup_user cannot allocate 1 TiB: no length check comes before it
    "cmdline-len-huge": "ENOMEM",
}

# Flags: the four kexec_file_load knows (UNLOAD 0x1, ON_CRASH 0x2, NO_INITRAMFS 0x4, DEBUG 0x8)
# in every combination, with a good kernel, initrd and command line; then unknown bits.
FLAGS = {**{f"flags-{f:#x}": "OK" for f in range(16)},
         "flags-0x10": "EINVAL", "flags-0x12": "EINVAL", "flags-bit-63": "EINVAL"}

FILE_ERRNO_TABLE = {
    "ok-normal": "OK", "ok-crash": "OK",
    **{name: e for case, e in PAIRED.items() for name in (case, f"crash-{case}")},
    **FLAGS,
    # unloading as kexec-tools does it (fds -1, no command line), again with nothing loaded
    "unload-normal": "OK", "unload-normal-again": "OK", "unload-crash": "OK",
    "unload-crash-again": "OK", "unload-unknown-flag": "EINVAL",
    # no CAP_SYS_BOOT
    "unprivileged-normal": "EPERM", "unprivileged-crash": "EPERM",
    # which check comes first where two inputs are wrong
    "order-permission-before-flags": "EPERM", "order-flags-before-kernel": "EINVAL",
    "order-kernel-before-initrd": "EINVAL", "order-probe-before-initrd": "ENOEXEC",
    "order-initrd-before-cmdline": "EBADF", "order-cmdline-before-setup-sects": "EFAULT",
    "order-setup-sects-before-cmdline-size": "ENOEXEC",
    # the load limits, spent (every call counts, an unload too; each image type its own)
    "limit-reboot-set-1": "OK", "limit-reboot-first-load": "OK",
    "limit-reboot-second-load": "EPERM", "limit-reboot-unload": "EPERM",
    "limit-reboot-crash-load": "OK", "limit-panic-set-1": "OK", "limit-panic-first-load": "OK",
    "limit-panic-second-load": "EPERM", "limit-panic-unload": "EPERM",
}
# kexec_load_disabled, in a boot of its own with both limits unspent (kdt.part=disabled).
DISABLED_TABLE = {
    "disabled-set": "OK", "disabled-load": "EPERM", "disabled-crash-load": "EPERM",
    "disabled-unload": "EPERM", "disabled-crash-unload": "EPERM", "disabled-clear": "EINVAL",
}
FILE_ERRNO_TABLE.update(DISABLED_TABLE)

# The option that puts the Rust kexec_file_load in place of C's: a flavour with it on must
# leave both images loaded when it refuses a load. No flavour has it yet.
KEEPING_OPTION = "CONFIG_KEXEC_FILE_RUST"
RESTORE_FAILED = "KDT-ERRNO-RESTORE "


def dropped_by_refusal(res):
    """The refused cases after which an image that was loaded before is gone (each case starts
    with both loaded)."""
    return [k for k, (e, kept) in res.items() if e != "OK" and kept != "11"]


def judge(res, flavour, keeping=False):
    """Holds `res` ({case: (errno, kept)}) to FILE_ERRNO_TABLE and, on a flavour other than
    C, to the C flavour's table (first, so that a difference is named as one); with `keeping`,
    every refusal must have left both images loaded. Returns the details, or raises Check."""
    missing = [k for k in FILE_ERRNO_TABLE if k not in res]
    extra = [k for k in res if k not in FILE_ERRNO_TABLE]
    if missing or extra:
        raise Check(f"the loader's report is incomplete: cases missing: "
                    f"{' '.join(missing) or 'none'}; cases not in the table: "
                    f"{' '.join(extra) or 'none'}")
    details = {"cases": len(res)}
    if flavour != "c":
        details["same_as_c"] = check_same_as_c(res, flavour, NAME)
    check_fixed_errnos(res, FILE_ERRNO_TABLE)
    dropped = dropped_by_refusal(res)
    if keeping and dropped:
        raise Check(f"{len(dropped)} refused load(s) dropped a loaded image: "
                    + "; ".join(f"{k} kept={res[k][1]}" for k in dropped[:5]))
    details["refusals that dropped an image"] = len(dropped)
    return details


def file_errno(flavour, brk="", timeout=None):
    """The kexec_file_load errno table: two boots of the test loader, the second for
    kexec_load_disabled alone; the merged table goes to build/runs/<flavour>/file-errno/."""
    res, dirs = {}, []
    for part, name in (("", NAME), ("disabled", f"{NAME}-disabled")):
        run, d, _ = boot(flavour, NAME, f"kdt.part={part}", name=name, brk=brk,
                         timeout=timeout)
        expect_exit(run)
        rc = run.boots[0].get("file_errno_rc")
        if rc != "0":
            raise Check(f"the test loader failed (exit {rc or '(not reported)'}); see "
                        f"{d / 'serial.log'}")
        failed = [line.split(RESTORE_FAILED, 1)[1] for _, line in run.lines
                  if RESTORE_FAILED in line]
        if failed:
            raise Check(f"the loader could not load a good image before a case: {failed[0]}")
        res.update(errno_results(run))
        dirs.append(d)
    if brk == "errno-differs" and "ok-normal" in res:
        res["ok-normal"] = ("E999", res["ok-normal"][1])
    write_errno_table(dirs[0], res)
    details = judge(res, flavour, kbuild.config_value(flavour, KEEPING_OPTION) == "y")
    details["log"] = " ".join(str(d / "serial.log") for d in dirs)
    return details


SCENARIOS = {
    NAME: ("kexec_file_load errno table: crafted bzImages, fds, command lines, flags, limits",
           lambda f, b, t: file_errno(f, brk=b, timeout=t)),
}
