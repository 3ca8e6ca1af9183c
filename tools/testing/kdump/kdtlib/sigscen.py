# SPDX-License-Identifier: GPL-2.0
"""sig: kexec on a locked-down kernel, as Secure Boot machines run it.

Every tiny flavour has KEXEC_SIG, KEXEC_BZIMAGE_VERIFY_SIG and the lockdown LSM, and trusts
the test key kdt made (kdtlib/keys.py). The guest boots with lockdown=integrity, what Debian's
kernel sets itself under Secure Boot (LOCK_DOWN_IN_EFI_SECURE_BOOT), and runs
guest/scenarios/sig: the loads lockdown must refuse, then kexec -s -l of the kernel signed with
the trusted key and kexec -e into it; that kernel, locked down again, loads the signed kernel
with kexec -s -p, is refused a reload of the unsigned one (which must keep the loaded crash
kernel where the Rust loader serves), and crashes; the capture kernel carries the dump out.

Every refusal must give C's errno, which REFUSALS names, and on a flavour other than C the C
flavour's own run's (its table in build/runs/c/sig/errno.txt, the same comparison as the errno
scenarios). In 6.12 all are EPERM: kexec_load() asks the lockdown LSM first
(kexec_load_check()); kexec_file_load() verifies the PE signature, and on a failure with no
enforcement (KEXEC_SIG_FORCE, or IMA's Secure Boot policy) asks the lockdown LSM
(kimage_validate_signature()), so the verifier's own errno (ENODATA for no signature, ENOKEY
for an untrusted one) is not what the caller sees. Each refusal must leave nothing loaded, and
the kernel must log the lockdown line once for each.
"""

import errno
import os

from . import initramfs, kbuild
from .dumpcheck import PANIC_LINE, Check, carried_vmcore, check_elf, dump_dmesg
from .scenarios import (TRIGGER_MEM_MIB, TWIN_CRASHKERNEL, boot, boot_text, check_fixed_errnos,
                        check_same_as_c, expect_exit, expect_fact, write_errno_table)

NAME = "sig"
# case (guest/scenarios/sig) -> (what it is, the errno C gives)
REFUSALS = {
    "l_signed": ("kexec -l (kexec_load) of the signed kernel", "EPERM"),
    "p_signed": ("kexec -p (kexec_load) of the signed kernel", "EPERM"),
    "s_l_unsigned": ("kexec -s -l of the unsigned kernel", "EPERM"),
    "s_l_other": ("kexec -s -l of the kernel signed with an untrusted key", "EPERM"),
    "s_p_unsigned": ("kexec -s -p of the unsigned kernel", "EPERM"),
    "s_p_other": ("kexec -s -p of the kernel signed with an untrusted key", "EPERM"),
}
# What the lockdown LSM logs when it refuses kexec (security/lockdown/lockdown.c).
LOCKDOWN_LINE = "Lockdown: kexec: kexec of unsigned images is restricted"
LEVEL = "integrity"
# strerror()'s text, as kexec-tools prints it after "load failed: ", back to the errno's name
# (the guest's glibc is the host's: initramfs.py copies the host's libraries in).
ERRNO_NAMES = {os.strerror(n).replace(" ", "_"): name for n, name in errno.errorcode.items()}


def refusals(first):
    """{case: (errno name, "OK" or "?<text>", kexec_loaded and kexec_crash_loaded after it)}
    from the first kernel's facts; "OK" where kexec exited 0."""
    out = {}
    for case in REFUSALS:
        err, rc = first.get(f"refusal_{case}"), first.get(f"rc_{case}")
        if rc is None:
            raise Check(f"the guest did not report {REFUSALS[case][0]} ({case})")
        name = "OK" if rc == "0" else ERRNO_NAMES.get(err, f"?{err}")
        out[case] = (name, first.get(f"loaded_{case}"))
    return out


def refused_reload(second, rust):
    """The signed kernel's kexec -s -p of the unsigned kernel with the signed crash kernel
    loaded: refused with EPERM; where the Rust loader serves kexec_file_load (`rust`) the
    loaded one stays (C drops it, and the guest loads it again). Returns what the details say
    of it."""
    rc, err = second.get("rc_reload_unsigned"), second.get("refusal_reload_unsigned")
    if rc is None:
        raise Check("the guest did not report the reload of the unsigned kernel")
    name = "OK" if rc == "0" else ERRNO_NAMES.get(err, f"?{err}")
    if name != "EPERM":
        raise Check(f"kexec -s -p of the unsigned kernel over the signed one gave {name}, "
                    "C gives EPERM")
    loaded = second.get("loaded_reload_unsigned")
    if loaded not in ("00", "01", "10", "11"):
        raise Check(f"the guest did not report what the refused reload left loaded ({loaded})")
    if loaded[0] != "0":
        raise Check(f"the refused kexec -s -p left a normal image loaded ({loaded})")
    kept = loaded == "01"
    if rust and not kept:
        raise Check("a refused kexec -s -p (unsigned, under lockdown) left no crash kernel "
                    f"loaded ({loaded})")
    if not kept:
        expect_fact(second, "crash_reload_rc", "0", "loading the signed kernel again failed")
    return "yes" if kept else "no (C drops it; loaded again)"


def sig(flavour, brk="", timeout=None):
    """The refusals, kexec -s -l and -e of the signed kernel, kexec -s -p of it and a capture,
    all under lockdown=integrity; `brk` "no-lockdown" boots the first kernel without it."""
    bz, _ = kbuild.artefacts(flavour)
    initrd = initramfs.build_signed(flavour, bz)
    lockdown = "" if brk == "no-lockdown" else f"lockdown={LEVEL}"
    run, d, img = boot(flavour, NAME, f"{lockdown} kdt.marker={NAME}", disk=True, brk=brk,
                       timeout=timeout, mem_mib=TRIGGER_MEM_MIB, crashkernel=TWIN_CRASHKERNEL,
                       initrd=initrd)
    expect_exit(run)
    first = run.boots[0]
    res = refusals(first)
    if brk == "errno-differs":
        res["s_l_other"] = ("E999", res["s_l_other"][1])
    write_errno_table(d, res)
    details = {"refusals": ", ".join(f"{case} {e}" for case, (e, _) in res.items())}
    if flavour != "c":
        details["same_as_c"] = check_same_as_c(res, flavour, NAME)
    check_fixed_errnos(res, {case: e for case, (_, e) in REFUSALS.items()})
    kept = [f"{case} left {loaded}" for case, (_, loaded) in res.items() if loaded != "00"]
    if kept:
        raise Check("a refused load left an image loaded (kexec_loaded, kexec_crash_loaded): "
                    + "; ".join(kept))
    expect_fact(first, "lockdown", LEVEL, "the first kernel's lockdown level")
    said = sum(1 for line in boot_text(run, 0).splitlines() if LOCKDOWN_LINE in line)
    if said != len(REFUSALS):
        raise Check(f"the kernel logged '{LOCKDOWN_LINE}' {said} times for {len(REFUSALS)} "
                    "refusals")
    expect_fact(first, "load_rc", "0", "kexec -s -l of the signed kernel failed")
    expect_fact(first, "kexec_loaded", "1", "kexec -s -l of the signed kernel did not load")
    if len(run.boots) < 2 or run.boots[1].get("second_kernel") != "yes":
        raise Check("kexec -e did not start the signed kernel"
                    + (f" (kexec -e returned {first.get('exec_rc')})"
                       if first.get("exec_rc") else ""))
    second = run.boots[1]
    expect_fact(second, "marker", NAME, "the signed kernel's command line lacks the marker")
    expect_fact(second, "lockdown", LEVEL, "the signed kernel's lockdown level")
    expect_fact(second, "crash_load_rc", "0", "kexec -s -p of the signed kernel failed")
    expect_fact(second, "kexec_crash_loaded", "1", "kexec -s -p of the signed kernel did not load")
    details["refused reload, crash kernel kept"] = refused_reload(
        second, kbuild.config_value(flavour, "CONFIG_KEXEC_FILE_RUST") == "y")
    if len(run.boots) < 3 or run.boots[2].get("role") != "capture":
        raise Check("no capture kernel booted after the signed kernel crashed")
    vmcore = carried_vmcore(run.boots[2], img, d)
    details.update(check_elf(vmcore, second))
    details["panic"] = dump_dmesg(vmcore, d, PANIC_LINE)[0].split("] ", 1)[-1]
    vmcore.unlink()
    details.update({
        "lockdown lines": said,
        "kexec -s -l signed": f"{first.get('load_secs')} s",
        "kexec -e to Linux version": f"{second.started - first.stamps['executing']:.2f} s",
        "kexec -s -p signed": f"{second.get('crash_load_secs')} s",
        "log": d / "serial.log"})
    return details


SCENARIOS = {
    NAME: ("lockdown=integrity: kexec -l, unsigned and untrusted kexec -s refused with C's "
           "errno; the signed kernel kexec -s -l, -e, then -s -p, an unsigned reload refused, "
           "crash, capture",
           lambda f, b, t: sig(f, brk=b, timeout=t)),
}
