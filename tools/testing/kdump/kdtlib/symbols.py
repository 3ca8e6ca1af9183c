# SPDX-License-Identifier: GPL-2.0
"""Kernel function names as a person reads them: drgn 0.3.0 prints Rust frames with their v0
mangled symbol (`_RNvNtCs8auaERGICD_10crash_dump5panic15crash_kexec_now`); binutils' c++filt
demangles them (`crash_dump::panic::crash_kexec_now`; `-i` leaves out the crate hash). C names
pass through unchanged."""

import subprocess

from .common import KdtError


def demangle(text):
    """`text` with every mangled symbol in it demangled, line for line."""
    if "_R" not in text and "_Z" not in text:
        return text
    try:
        res = subprocess.run(["c++filt", "-i"], input=text, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, timeout=60)
    except FileNotFoundError:
        raise KdtError("c++filt not found: install binutils (make deps)") from None
    if res.returncode != 0:
        raise KdtError(f"c++filt -i failed (exit {res.returncode}): {res.stderr.strip()}")
    out = res.stdout
    # c++filt ends its output with a newline whether or not its input had one.
    return out if text.endswith("\n") else out.rstrip("\n")


def demangle_all(names):
    """A list of symbol names, each demangled."""
    return demangle("\n".join(names)).split("\n") if names else []


def stack_frames(text):
    """Function names of a backtrace as drgn_stack.py prints it (`#3  name at file:line`),
    innermost first. A demangled Rust name may hold spaces (`<T as Trait>::f`), so the name is
    what stands between the frame number and ` at `."""
    frames = []
    for line in text.splitlines():
        if line.startswith("#"):
            rest = line.split(None, 1)[1] if len(line.split(None, 1)) > 1 else "??"
            frames.append(rest.split(" at ", 1)[0].strip())
    return frames
