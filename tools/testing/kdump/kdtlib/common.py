# SPDX-License-Identifier: GPL-2.0
"""Paths, environment and small helpers shared by every kdt command."""

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

# tools/testing/kdump/kdtlib/common.py -> project root is four levels up.
ROOT = Path(__file__).resolve().parents[4]
BUILD = ROOT / "build"
SRC = BUILD / "src"
HARNESS = ROOT / "tools" / "testing" / "kdump"
CONFIGS = HARNESS / "configs"
GUEST = HARNESS / "guest"
HOST_CRATE = ROOT / "tools" / "testing" / "kdump_host"
TARBALL = Path(os.environ.get("KDT_TARBALL", "/usr/src/linux-source-6.12.tar.xz"))
LLVM_BIN = Path("/usr/lib/llvm-19/bin")
CARGO_BIN = Path.home() / ".cargo" / "bin"
VENV = BUILD / "venv"


class KdtError(Exception):
    """A failure with a message meant for the person at the terminal."""


def tool_env():
    """The environment every build and tool runs in: LLVM 19 and cargo first on PATH."""
    env = dict(os.environ)
    parts = [str(LLVM_BIN), str(CARGO_BIN)]
    parts += [p for p in env.get("PATH", "").split(":") if p and p not in parts]
    env["PATH"] = ":".join(parts)
    return env


_T0 = time.monotonic()


def progress(msg):
    """One progress line, stamped with the time since kdt started."""
    print(f"[{time.monotonic() - _T0:7.1f}s] {msg}", flush=True)


def run(cmd, *, cwd=None, log=None, env=None, check=True, quiet=False):
    """Run a command; with `log`, its output goes to that file and its tail is shown on failure."""
    env = env or tool_env()
    if log is None:
        res = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL if quiet else None)
    else:
        log = Path(log)
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "ab") as f:
            f.write(f"\n$ {shlex.join(str(c) for c in cmd)}\n".encode())
            f.flush()
            res = subprocess.run(cmd, cwd=cwd, env=env, stdout=f, stderr=subprocess.STDOUT)
    if check and res.returncode != 0:
        msg = f"command failed (exit {res.returncode}): {shlex.join(str(c) for c in cmd)}"
        if log is not None:
            msg += "\n" + tail(log, 30) + f"\nfull log: {log}"
        raise KdtError(msg)
    return res.returncode


def capture(cmd, *, cwd=None, env=None):
    """Run a command and return its stdout as text (stderr passes through)."""
    res = subprocess.run(cmd, cwd=cwd, env=env or tool_env(), stdout=subprocess.PIPE, text=True)
    if res.returncode != 0:
        raise KdtError(f"command failed (exit {res.returncode}): {shlex.join(str(c) for c in cmd)}")
    return res.stdout


def tail(path, n, indent="    "):
    """The last `n` lines of a text file, indented, for failure messages."""
    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except OSError:
        return f"{indent}(no log at {path})"
    return "\n".join(f"{indent}| " + line for line in lines[-n:])


def die(msg):
    print(f"kdt: error: {msg}", file=sys.stderr, flush=True)
    sys.exit(2)
