# SPDX-License-Identifier: GPL-2.0
"""Configure and build the kernel flavours out of tree (O=build/<flavour>) with LLVM=1."""

import hashlib
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

from . import flavours, keys
from .common import BUILD, CONFIGS, LLVM_BIN, SRC, KdtError, progress, run, tool_env
from .flavours import PARTS

JOBS = str(os.cpu_count() or 2)


def flavour_dir(flavour):
    return BUILD / flavour


def fragments(flavour):
    """The config fragments a flavour is made of, in merge order."""
    record = flavours.get(flavour)
    if record.start_config != "tinyconfig" or record.arch != "x86_64":
        # Not the test guests' tiny base: a config of its own (make configs).
        frags = [CONFIGS / f"{flavour}.config"]
    else:
        seed = record.seed
        extra = [CONFIGS / f for f in record.extra_fragments]
        # base.config's trusted test key, in the fragment kdt writes (keys.py)
        frags = [CONFIGS / "base.config", keys.fragment()] + \
            ([CONFIGS / f"{seed}.config"] if seed else []) + extra + [CONFIGS / f"{flavour}.config"]
    for f in frags:
        if not f.exists():
            raise KdtError(f"no config fragment {f} for flavour '{flavour}'")
    return frags


def make(flavour, *targets, log=None, check=True):
    """make in build/<flavour>; returns its exit status (raises on failure when `check`).
    A build beside other work runs from a thread that lowered its own nice value (cli.py)."""
    out = flavour_dir(flavour)
    # ARCH=x86_64 as kunit.py passes it: a build with another ARCH spelling rebuilds it all.
    cmd = ["make", "-C", str(SRC), f"O={out}", f"ARCH={flavours.get(flavour).arch}", "LLVM=1",
           f"-j{JOBS}", *targets]
    return run(cmd, log=log or out / "build.log", check=check)


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
    res = subprocess.run(["make", "-C", str(SRC), f"O={out}", f"ARCH={flavours.get(flavour).arch}",
                          "LLVM=1",
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
    record = flavours.get(flavour)
    start = " + ".join([record.start_config, *record.tree_fragments])
    progress(f"build {flavour}: configuring ({start} + {', '.join(f.name for f in frags)})")
    if "CONFIG_RUST" in _wanted(frags) and _wanted(frags)["CONFIG_RUST"] == "y":
        _rust_available(flavour)
    make(flavour, record.start_config)
    tree_frags = [str(SRC / f) for f in record.tree_fragments]
    run([str(SRC / "scripts/kconfig/merge_config.sh"), "-m", "-O", str(out), str(out / ".config"),
         *tree_frags, *map(str, frags)], cwd=SRC, log=out / "build.log")
    make(flavour, "olddefconfig")
    _check_config(out, frags)
    stamp.write_text(digest)


def seed(flavour):
    """A test flavour's first build (and the C flavour's) starts from a copy of its seed
    flavour's tree: Kbuild then rebuilds only what the differing options reach (a few minutes
    less than from scratch)."""
    out = flavour_dir(flavour)
    seed = flavours.get(flavour).seed or flavours.get(flavour).tree_seed
    if seed is None or (out / ".config").exists() or not (flavour_dir(seed) / "vmlinux").exists():
        return
    progress(f"build {flavour}: starting from a copy of build/{seed}")
    shutil.rmtree(out, ignore_errors=True)
    run(["cp", "-a", "--reflink=auto", str(flavour_dir(seed)), str(out)])
    for stale in (".kdump-config", "last_used_kunitconfig"):
        (out / stale).unlink(missing_ok=True)
    # A few dependency records hold the tree's absolute path (objtool's, which every object
    # depends on, and the Rust crates'): point them at the copy, or make would relink objtool
    # and with it rebuild the whole kernel.
    old, new = str(flavour_dir(seed)).encode(), str(out).encode()
    for d, _, files in os.walk(out):
        for name in files:
            if name.startswith(".") and name.endswith((".cmd", ".d")):
                p = Path(d) / name
                data = p.read_bytes()
                if old in data:
                    st = p.stat()
                    p.write_bytes(data.replace(old, new))
                    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))


def _drop_replaced(out):
    """Objects of C files a Rust part replaces, left from before the option was on (Kbuild
    never deletes them); the tree then shows what the kernel is made of."""
    replaced = {}
    for opt, obj, _, _ in PARTS.values():
        if obj:
            replaced.setdefault(opt, []).append(obj)
    have = read_options(out / ".config")
    for opt, objs in replaced.items():
        if have.get(opt) == "y":
            for o in objs:
                (out / o).unlink(missing_ok=True)
                (out / Path(o).parent / f".{Path(o).name}.cmd").unlink(missing_ok=True)


def build(flavour):
    """Build bzImage (and vmlinux), or vmlinux alone for a compile test; returns seconds
    taken."""
    seed(flavour)
    out = flavour_dir(flavour)
    out.mkdir(parents=True, exist_ok=True)
    (out / "build.log").write_text("")  # this build's log only
    configure(flavour)
    record = flavours.get(flavour)
    progress(f"build {flavour}: make ARCH={record.arch} LLVM=1 -j{JOBS} {record.image} (~10 min "
             f"from scratch on 2 cores, less when incremental; log: {out}/build.log)")
    t0 = time.monotonic()
    make(flavour, record.image)
    _drop_replaced(out)
    secs = time.monotonic() - t0
    progress(f"build {flavour}: done in {secs:.0f} s")
    return secs


def clippy():
    """(ok, note, secs): the project's kernel Rust built with CLIPPY=1 and the tree's lint
    settings; with CONFIG_WERROR (base.config) any clippy warning stops the build."""
    seed("clippy")
    out = flavour_dir("clippy")
    configure("clippy")
    log = out / "clippy.log"
    log.write_text("")
    progress(f"clippy: make CLIPPY=1 kdump/ samples/rust/ (log: {log})")
    t0 = time.monotonic()
    # -k: every crate's findings, not the first's
    rc = make("clippy", "CLIPPY=1", "-k", "kdump/", "samples/rust/", log=log, check=False)
    secs = time.monotonic() - t0
    text = log.read_text(errors="replace").splitlines()
    findings = [line for line in text if line.startswith(("error", "warning"))
                and "aborting due to" not in line]
    if rc != 0 or findings:
        first = next((line for line in text if line.startswith(("error:", "warning:"))),
                     findings[0] if findings else f"make exit {rc}")
        where = next((line.strip() for line in text if line.strip().startswith("--> ")), "")
        return False, f"{len(findings)} findings; first: {first} {where} (log: {log})", secs
    linted = sum(1 for line in text if line.strip().startswith("CLIPPY"))
    return True, f"no clippy finding ({linted} Rust objects linted)", secs


def artefacts(flavour):
    out = flavour_dir(flavour)
    bz = out / "arch/x86/boot/bzImage"
    vmlinux = out / "vmlinux"
    for p in (bz, vmlinux):
        if not p.exists():
            raise KdtError(f"{p} missing: build the {flavour} flavour first (make {flavour})")
    return bz, vmlinux


def part_facts(flavour, part):
    """What the flavour's kernel takes a part from: its option, whether the C object was
    built, and whether vmlinux holds the C and the Rust code."""
    option, obj, c_sym, rust_sym = PARTS[part]
    out = flavour_dir(flavour)
    nm = subprocess.run([str(LLVM_BIN / "llvm-nm"), str(out / "vmlinux")], stdout=subprocess.PIPE,
                        stderr=subprocess.DEVNULL, text=True).stdout
    syms = {line.split()[-1] for line in nm.splitlines() if line.strip()}
    return {
        "option": config_value(flavour, option) or "n",
        "c_object": obj is not None and (out / obj).exists(),
        "c_code": c_sym in syms,
        "rust_code": any(rust_sym in s for s in syms),
    }


def config_value(flavour, name):
    cfg = Path(flavour_dir(flavour) / ".config")
    for line in cfg.read_text().splitlines():
        if line.startswith(name + "="):
            return line.split("=", 1)[1]
    return None
