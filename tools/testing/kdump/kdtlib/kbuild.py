# SPDX-License-Identifier: GPL-2.0
"""Configure and build the kernel flavours out of tree (O=build/<flavour>) with LLVM=1."""

import hashlib
import os
import re
import subprocess
import time
from pathlib import Path

from .common import BUILD, CONFIGS, SRC, KdtError, progress, run, tool_env

JOBS = str(os.cpu_count() or 2)


def flavour_dir(flavour):
    return BUILD / flavour


def fragments(flavour):
    """The config fragments a flavour is made of, in merge order."""
    frags = [CONFIGS / "base.config", CONFIGS / f"{flavour}.config"]
    for f in frags:
        if not f.exists():
            raise KdtError(f"no config fragment {f} for flavour '{flavour}'")
    return frags


def make(flavour, *targets, log=None):
    out = flavour_dir(flavour)
    # ARCH=x86_64 as kunit.py passes it: a build with another ARCH spelling rebuilds it all.
    cmd = ["make", "-C", str(SRC), f"O={out}", "ARCH=x86_64", "LLVM=1", f"-j{JOBS}", *targets]
    run(cmd, log=log or out / "build.log")


def read_options(path):
    """The options a config file or fragment sets: name -> value ('n' for "is not set")."""
    opts = {}
    for line in Path(path).read_text().splitlines():
        m = re.match(r"^(CONFIG_\w+)=(.*)$", line)
        if m:
            opts[m.group(1)] = m.group(2)
        m = re.match(r"^# (CONFIG_\w+) is not set", line)
        if m:
            opts[m.group(1)] = "n"
    return opts


def _wanted(frags):
    want = {}
    for f in frags:
        want.update(read_options(f))
    return want


def _check_config(out, frags):
    have = read_options(out / ".config")
    bad = []
    for name, val in _wanted(frags).items():
        got = have.get(name, "n")
        if got != val:
            bad.append(f"{name}: fragment wants {val}, .config has {got}")
    if bad:
        raise KdtError("kernel config does not hold what the fragments ask (a dependency is "
                       "missing, or a tool such as rustc/bindgen was not found):\n  " + "\n  ".join(bad)
                       + f"\nsee {out}/build.log")


def _rust_available(flavour):
    """Stop early, with the kernel's own explanation, when rustc/bindgen/rust-src do not fit."""
    out = flavour_dir(flavour)
    res = subprocess.run(["make", "-C", str(SRC), f"O={out}", "ARCH=x86_64", "LLVM=1",
                          "rustavailable"],
                         env=tool_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if res.returncode != 0:
        raise KdtError("the Rust toolchain does not fit this kernel (make rustavailable):\n"
                       + res.stdout.strip() + "\nrun `make deps`, or install what it names")


def configure(flavour):
    """(Re)generate build/<flavour>/.config when a fragment changed; incremental otherwise."""
    out = flavour_dir(flavour)
    out.mkdir(parents=True, exist_ok=True)
    frags = fragments(flavour)
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in frags)).hexdigest()
    stamp = out / ".kdump-config"
    if (out / ".config").exists() and stamp.exists() and stamp.read_text() == digest:
        return
    progress(f"build {flavour}: configuring (tinyconfig + {', '.join(f.name for f in frags)})")
    if "CONFIG_RUST" in _wanted(frags) and _wanted(frags)["CONFIG_RUST"] == "y":
        _rust_available(flavour)
    make(flavour, "tinyconfig")
    run([str(SRC / "scripts/kconfig/merge_config.sh"), "-m", "-O", str(out), str(out / ".config"),
         *map(str, frags)], cwd=SRC, log=out / "build.log")
    make(flavour, "olddefconfig")
    _check_config(out, frags)
    stamp.write_text(digest)


def build(flavour):
    """Build bzImage (and vmlinux); returns seconds taken."""
    out = flavour_dir(flavour)
    out.mkdir(parents=True, exist_ok=True)
    (out / "build.log").write_text("")  # this build's log only
    configure(flavour)
    progress(f"build {flavour}: make ARCH=x86_64 LLVM=1 -j{JOBS} bzImage (from scratch ~10 min on "
             f"2 cores; log: {out}/build.log)")
    t0 = time.monotonic()
    make(flavour, "bzImage")
    secs = time.monotonic() - t0
    progress(f"build {flavour}: done in {secs:.0f} s")
    return secs


def artefacts(flavour):
    out = flavour_dir(flavour)
    bz = out / "arch/x86/boot/bzImage"
    vmlinux = out / "vmlinux"
    for p in (bz, vmlinux):
        if not p.exists():
            raise KdtError(f"{p} missing: build the {flavour} flavour first (make {flavour})")
    return bz, vmlinux


def config_value(flavour, name):
    cfg = Path(flavour_dir(flavour) / ".config")
    for line in cfg.read_text().splitlines():
        if line.startswith(name + "="):
            return line.split("=", 1)[1]
    return None
