# SPDX-License-Identifier: GPL-2.0
"""`make deps`: install, idempotently, everything the tree needs on a Debian 12 machine."""

import os
import re
import shutil
import subprocess

from .common import BUILD, CARGO_BIN, LLVM_BIN, VENV, KdtError, capture, progress, run, tool_env

APT_PACKAGES = [
    "linux-source-6.12",
    "clang-19", "lld-19", "llvm-19", "libclang-19-dev",
    "qemu-system-x86",
    "kexec-tools", "makedumpfile", "busybox-static",
    "cpio", "flex", "bison", "bc", "make", "patch", "rsync", "xz-utils", "zstd",
    "libelf-dev", "libssl-dev", "libdw-dev", "python3", "python3-venv", "file",
    # c++filt -i: the Rust frames of drgn's backtraces, demangled (kdtlib/symbols.py)
    "binutils",
    # cargo fuzz builds libFuzzer's C++ sources (libfuzzer-sys, through cc-rs's `c++`)
    "g++",
    # The Debian guest (debootstrap, mkfs.ext4 -d and debugfs) and the fleet's collector
    # (ssh-keygen for its host key)
    "debootstrap", "e2fsprogs", "openssh-client",
    # scripts/checkpatch.pl runs scripts/spdxcheck.py, which needs these
    "python3-ply", "python3-git", "perl",
    # Every tiny flavour's build: openssl makes the module signing key (MODULE_SIG) and the
    # test keys the kernels trust (and one they do not, kdtlib/keys.py); sbsign signs a
    # guest's kernel with them for the sig scenario, as a distribution signs its own
    "openssl", "sbsigntool",
]
BINDGEN_VERSION = "0.73.2"  # 6.12 needs >= 0.65.1; this one is known to work with it
BINDGEN_MIN = (0, 65, 1)
RUSTC_MIN = (1, 78, 0)      # Documentation/process/changes.rst of 6.12
DRGN_VERSION = "0.3.0"
MATPLOTLIB_VERSION = "3.10.8"  # draws `make bench`'s pictures (kdtlib/plots.py), in the venv
CARGO_FUZZ_VERSION = "0.13.2"  # runs on the stable toolchain with RUSTC_BOOTSTRAP=1


def _version(text):
    m = re.search(r"(\d+)\.(\d+)\.(\d+)", text)
    return tuple(int(x) for x in m.groups()) if m else (0, 0, 0)


def _sudo():
    return [] if os.geteuid() == 0 else ["sudo"]


# The kernel source is the one package kept at Debian's current version, not just present: a new
# machine gets whatever stable update Debian serves now, so developers and CI test that one.
SOURCE_PACKAGE = "linux-source-6.12"


def missing_apt():
    missing = []
    for pkg in APT_PACKAGES:
        res = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        if "install ok installed" not in res.stdout:
            missing.append(pkg)
    return missing


def apt_policy(policy_output):
    """(installed, candidate) versions from `apt-cache policy PKG`; None where apt says
    "(none)" or does not say."""
    found = {}
    for line in policy_output.splitlines():
        m = re.match(r"\s*(Installed|Candidate):\s*(\S+)", line)
        if m and m.group(1) not in found:
            found[m.group(1)] = None if m.group(2) == "(none)" else m.group(2)
    return found.get("Installed"), found.get("Candidate")


def source_versions():
    """(installed, candidate) of the kernel source package, as apt knows them now."""
    res = subprocess.run(["apt-cache", "policy", SOURCE_PACKAGE], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True, env=_apt_env())
    return apt_policy(res.stdout)


def newer(candidate, installed):
    """Whether Debian version `candidate` is newer than `installed` (dpkg's ordering), so
    that a newer one installed by hand (a backport) is left alone."""
    if installed is None:
        return True
    return subprocess.run(["dpkg", "--compare-versions", candidate, "gt", installed]).returncode == 0


def installed_source_version():
    """The installed kernel source package's version (e.g. 6.12.118-1~deb12u1), or None."""
    res = subprocess.run(["dpkg-query", "-W", "-f=${Version}", SOURCE_PACKAGE],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return res.stdout.strip() or None


def _apt_env():
    # LC_ALL=C: apt's output is parsed (apt_policy, apt_side_effects), and it is translated.
    return dict(os.environ, DEBIAN_FRONTEND="noninteractive", LC_ALL="C")


def _apt_update(sudo=None):
    # Error-Mode=any: apt-get update exits 0 when it cannot reach a mirror, only warning.
    run((_sudo() if sudo is None else sudo) + ["apt-get", "-o", "APT::Update::Error-Mode=any",
                                               "update"],
        env=_apt_env(), log=BUILD / "logs" / "deps.log")


def _apt_install(pkgs, sudo=None):
    """apt-get install `pkgs`, first naming what it would remove or change on the machine."""
    env = _apt_env()
    cmd = ["apt-get", "install", "-y", "--no-install-recommends"] + pkgs
    sim = subprocess.run(["apt-get", "-s"] + cmd[1:], env=env, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    removed, changed = apt_side_effects(sim.stdout)
    for what in removed:
        progress(f"deps: note: apt removes {what}, which was installed (a dependency of the above)")
    for what in changed:
        progress(f"deps: note: apt changes the installed {what}")
    run((_sudo() if sudo is None else sudo) + cmd, env=env, log=BUILD / "logs" / "deps.log")


def refresh_source(updated=False):
    """Bring the kernel source package to Debian's current version (apt-get update first,
    unless `updated`).

    Where that cannot be done (no mirror, apt busy, no password-less sudo), an installed source
    is kept and said so: the tree still builds and tests, on what the machine has."""
    progress(f"deps: asking apt for Debian's current {SOURCE_PACKAGE}")
    installed = installed_source_version()
    # sudo -n: a README command does not stop to ask for a password for this.
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    try:
        if not updated:
            _apt_update(sudo)
        installed, candidate = source_versions()
        if candidate is None:
            raise KdtError(f"apt offers no {SOURCE_PACKAGE}: is bookworm-security in the apt "
                           "sources?")
        if newer(candidate, installed):
            progress(f"deps: {SOURCE_PACKAGE} {installed or '(not installed)'} -> {candidate}, "
                     "Debian's current one")
            _apt_install([SOURCE_PACKAGE], sudo)
        else:
            progress(f"deps: {SOURCE_PACKAGE} {installed} is Debian's current one"
                     + ("" if installed == candidate else f" or newer (apt offers {candidate})"))
    except (KdtError, OSError) as e:
        if installed is None:
            raise
        progress(f"deps: note: could not ask apt ({str(e).splitlines()[0]}); keeping the "
                 f"installed {SOURCE_PACKAGE} {installed}")


def rust_src_present():
    try:
        sysroot = capture(["rustc", "--print", "sysroot"]).strip()
    except (KdtError, FileNotFoundError):
        return False
    return os.path.isdir(os.path.join(sysroot, "lib/rustlib/src/rust/library/core"))


def bindgen_version():
    exe = shutil.which("bindgen", path=tool_env()["PATH"])
    if not exe:
        return None
    res = subprocess.run([exe, "--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return _version(res.stdout)


def cargo_fuzz_ok():
    return shutil.which("cargo-fuzz", path=tool_env()["PATH"]) is not None


def _venv_has(module, version):
    """Whether the venv's python imports `module` at exactly `version`."""
    py = VENV / "bin" / "python3"
    if not py.exists():
        return False
    res = subprocess.run([str(py), "-c", f"import {module}; print({module}.__version__)"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return res.returncode == 0 and res.stdout.strip() == version


def drgn_ok():
    return _venv_has("drgn", DRGN_VERSION)


def matplotlib_ok():
    return _venv_has("matplotlib", MATPLOTLIB_VERSION)


def problems():
    """What is missing, as a list of human-readable lines (empty when all is there)."""
    out = []
    apt = missing_apt()
    if apt:
        out.append("Debian packages: " + " ".join(apt))
    if not shutil.which("rustc", path=tool_env()["PATH"]):
        out.append("rustc (install a Rust toolchain with rustup)")
    else:
        v = _version(capture(["rustc", "--version"]))
        if v < RUSTC_MIN:
            out.append(f"rustc {'.'.join(map(str, v))} is older than {'.'.join(map(str, RUSTC_MIN))}")
        if not rust_src_present():
            out.append("rust-src (rustup component add rust-src)")
    bv = bindgen_version()
    if bv is None or bv < BINDGEN_MIN:
        out.append(f"bindgen >= {'.'.join(map(str, BINDGEN_MIN))} "
                   f"(cargo install --locked bindgen-cli --version {BINDGEN_VERSION})")
    if not drgn_ok():
        out.append(f"drgn {DRGN_VERSION} in {VENV}")
    if not matplotlib_ok():
        out.append(f"matplotlib {MATPLOTLIB_VERSION} in {VENV}")
    if not cargo_fuzz_ok():
        out.append(f"cargo-fuzz {CARGO_FUZZ_VERSION} (cargo install --locked cargo-fuzz)")
    return out


def apt_side_effects(sim_output):
    """What an `apt-get -s install` would do to packages already on the machine.

    Returns (removed, changed): package names apt would remove, and "name old -> new" lines for
    installed packages whose version it would change (an upgrade or a downgrade to satisfy what
    the tree asks for, such as a backported qemu-utils replaced by bookworm's).
    """
    removed, changed = [], []
    for line in sim_output.splitlines():
        m = re.match(r"Remv (\S+) \[([^\]]+)\]", line)
        if m:
            removed.append(f"{m.group(1)} {m.group(2)}")
            continue
        m = re.match(r"Inst (\S+) \[([^\]]+)\] \((\S+)", line)
        if m:
            changed.append(f"{m.group(1)} {m.group(2)} -> {m.group(3)}")
    return removed, changed


def install(fresh_source=True):
    """Install what `problems()` reports; safe to run again and again. With `fresh_source`,
    also bring the kernel source to Debian's current version (an older one is upgraded)."""
    apt = missing_apt()
    if apt:
        progress(f"deps: apt-get install {' '.join(apt)}")
        _apt_update()
        _apt_install(apt)
    if fresh_source:
        refresh_source(updated=bool(apt))
    path = tool_env()["PATH"]
    if not shutil.which("rustup", path=path) and not shutil.which("rustc", path=path):
        raise KdtError("no Rust toolchain: install rustup (https://rustup.rs) and run `make deps` again")
    if not rust_src_present():
        progress("deps: rustup component add rust-src")
        run(["rustup", "component", "add", "rust-src"], log=BUILD / "logs" / "deps.log")
    bv = bindgen_version()
    if bv is None or bv < BINDGEN_MIN:
        progress(f"deps: cargo install bindgen-cli {BINDGEN_VERSION} (about 2 minutes)")
        run(["cargo", "install", "--locked", "bindgen-cli", "--version", BINDGEN_VERSION],
            log=BUILD / "logs" / "deps.log")
    if not cargo_fuzz_ok():
        progress(f"deps: cargo install cargo-fuzz {CARGO_FUZZ_VERSION} (about 1.5 minutes)")
        run(["cargo", "install", "--locked", "cargo-fuzz", "--version", CARGO_FUZZ_VERSION],
            log=BUILD / "logs" / "deps.log")
    pins = [f"drgn=={DRGN_VERSION}"] if not drgn_ok() else []
    if not matplotlib_ok():
        pins.append(f"matplotlib=={MATPLOTLIB_VERSION}")
    if pins:
        progress(f"deps: {' '.join(pins)} into {VENV}")
        run(["python3", "-m", "venv", str(VENV)], log=BUILD / "logs" / "deps.log")
        run([str(VENV / "bin" / "pip"), "install", "--quiet"] + pins,
            log=BUILD / "logs" / "deps.log")
    left = problems()
    if left:
        raise KdtError("still missing after install:\n  " + "\n  ".join(left))


def ensure(fresh_source=False):
    """Called by every command: install only when something is missing. The README's commands
    (`make demo`, `make check`) pass `fresh_source`, so they test the kernel source a new machine
    gets; the others build on what is installed, with no apt round trip."""
    if problems():
        install(fresh_source)
    elif fresh_source:
        refresh_source()
    if not (LLVM_BIN / "clang").exists():
        raise KdtError(f"{LLVM_BIN}/clang not found: install clang-19 (make deps)")
    if not (CARGO_BIN / "cargo").exists() and not shutil.which("cargo"):
        raise KdtError("cargo not found: install a Rust toolchain with rustup")
