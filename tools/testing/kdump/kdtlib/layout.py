# SPDX-License-Identifier: GPL-2.0
"""The bindings' struct layouts against the kernel's own: for every struct the Rust parts
name (`bindings::<name>`, or imported with `use bindings::{...}`), the offset of each member and the size that bindgen's Rust gives
must be the ones C compiled into vmlinux (its DWARF, read by drgn).

bindgen can get a layout wrong where C's rules are GNU extensions: without CONFIG_SCHEDSTATS,
`struct sched_statistics` is empty but `____cacheline_aligned`, and bindgen's `task_struct`
drops that alignment, so every Rust offset from `stats` on is short; a field read there reads
another field (the crash path's first version wrote the wrong pid into each CPU's note).

The Rust side: a host program that includes the flavour's bindings_generated.rs and prints
`offset_of!` and `size_of` for those structs (the kernel's x86_64 target lays `repr(C)` out as
the host does). The C side: kdtlib/drgn_layout.py."""

import re
import subprocess
import tempfile
from pathlib import Path

from .common import ROOT, VENV, KdtError, tool_env

# The Rust parts and the kernel-crate modules they add.
SOURCES = ["crash", "kexec", "vmcore", "rust/kernel/kexec.rs", "rust/kernel/initcall.rs"]

# Layouts C and bindgen disagree on, and what keeps the Rust parts correct despite it:
# {struct: (first member that moves, why it is safe)}.
KNOWN = {
    "task_struct": ("stats", "the Rust parts read no task_struct member: the crash path "
                             "reads pid through rust_helper_crash_task_pid()"),
}
# Structs C defines in a private header, which bindgen sees as opaque (size 0): used only
# through pointers.
OPAQUE = {"proc_dir_entry"}

FFI = ("pub type c_char = i8; pub type c_schar = i8; pub type c_uchar = u8; "
       "pub type c_short = i16; pub type c_ushort = u16; pub type c_int = i32; "
       "pub type c_uint = u32; pub type c_long = i64; pub type c_ulong = u64; "
       "pub type c_longlong = i64; pub type c_ulonglong = u64; pub use core::ffi::c_void;")


# A `use` of bindings: `use bindings::zone;`, `use kernel::bindings::{zone, page as P};`.
USE_BINDINGS = re.compile(r"\buse\s+(?:::)?(?:kernel::)?bindings::([^;]*);")


def names_in(rust_text):
    """Every name a Rust file takes from the bindings: `bindings::name` paths and the names
    its `use ...bindings::{...}` statements import (an `as` alias is the bindings' name's)."""
    names = set(re.findall(r"bindings::([A-Za-z_][A-Za-z0-9_]*)\b", rust_text))
    for tree in USE_BINDINGS.findall(rust_text):
        names |= set(re.findall(r"\b([A-Za-z_][A-Za-z0-9_]*)\b",
                                re.sub(r"\bas\s+\w+", "", tree)))
    return names


def named_structs(bindings_text):
    """Structs of the bindings that the Rust parts name, however they import them, sorted."""
    names = set()
    for src in SOURCES:
        path = ROOT / src
        for f in ([path] if path.is_file() else sorted(path.rglob("*.rs"))):
            names |= names_in(f.read_text())
    return sorted(n for n in names if f"\npub struct {n} {{" in bindings_text)


def members(bindings_text, name):
    """The named members bindgen gives struct `name` (not its padding, bitfield units or
    anonymous unions)."""
    start = bindings_text.index(f"\npub struct {name} {{")
    body = bindings_text[start:bindings_text.index("\n}\n", start)]
    return [m for m in re.findall(r"^\s+pub (\w+):", body, re.M)
            if not m.startswith(("__bindgen", "_bitfield"))]


def rust_layouts(bindings, names, text):
    """{(struct, member or 'SIZE'): bytes} as the bindings lay them out."""
    prints = []
    for n in names:
        for m in members(text, n):
            prints.append(f'println!("{n} {m} {{}}", core::mem::offset_of!(b::{n}, {m}));')
        prints.append(f'println!("{n} SIZE {{}}", core::mem::size_of::<b::{n}>());')
    program = ("#![allow(warnings)]\n"
               f"mod ffi {{ {FFI} }}\n"
               "mod b { use super::ffi; type __kernel_size_t = usize; "
               "type __kernel_ssize_t = isize; type __kernel_ptrdiff_t = isize;\n"
               f'include!("{bindings}");\n}}\n'
               "fn main() {\n" + "\n".join(prints) + "\n}\n")
    with tempfile.TemporaryDirectory() as d:
        src, exe = Path(d) / "layout.rs", Path(d) / "layout"
        src.write_text(program)
        res = subprocess.run(["rustc", "--edition", "2021", "-o", str(exe), str(src)],
                             env=tool_env(), capture_output=True, text=True)
        if res.returncode != 0:
            first = next((ln for ln in res.stderr.splitlines() if ln.startswith("error")), "")
            raise KdtError(f"the bindings layout program did not compile: {first}")
        out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
    return {(s, m): int(v) for s, m, v in (ln.split() for ln in out.splitlines())}


def c_layouts(vmlinux, keys):
    """{(struct, member or 'SIZE'): bytes} from vmlinux's DWARF (None: no such member)."""
    req = "\n".join(f"{s} {m}" for s, m in keys)
    res = subprocess.run([str(VENV / "bin" / "python3"),
                          str(Path(__file__).with_name("drgn_layout.py")), str(vmlinux)],
                         input=req, capture_output=True, text=True)
    if res.returncode != 0:
        tail = res.stderr.strip().splitlines()
        raise KdtError(f"drgn could not read vmlinux's types: {tail[-1] if tail else ''}")
    got = {}
    for ln in res.stdout.splitlines():
        s, m, v = ln.split()
        got[(s, m)] = None if v == "-" else int(v)
    return got


def check(flavour_dir, known=None):
    """(ok, note): the bindings of the kernel built in `flavour_dir` against its vmlinux;
    `known` replaces KNOWN (the self-test passes none, and must see task_struct fail)."""
    known = KNOWN if known is None else known
    bindings = flavour_dir / "rust" / "bindings" / "bindings_generated.rs"
    vmlinux = flavour_dir / "vmlinux"
    for p in (bindings, vmlinux):
        if not p.exists():
            raise KdtError(f"no {p}: build the flavour first")
    text = bindings.read_text()
    names = named_structs(text)
    rust = rust_layouts(bindings, names, text)
    c = c_layouts(vmlinux, list(rust))
    wrong, excused = [], []
    for n in names:
        moved = [(m, c[(n, m)], v) for (s, m), v in rust.items()
                 if s == n and c.get((s, m)) is not None and c[(s, m)] != v]
        if not moved or (n in OPAQUE and [m for m, _, _ in moved] == ["SIZE"]):
            continue
        if n in known and moved[0][0] == known[n][0]:
            excused.append(f"{n} from {known[n][0]} on ({len(moved)} members; {known[n][1]})")
            continue
        m, cv, rv = moved[0]
        wrong.append(f"{n}.{m}: C {cv}, Rust {rv}" + (f" (and {len(moved) - 1} more)"
                                                       if len(moved) > 1 else ""))
    members_n = sum(1 for (s, m), v in c.items() if m != "SIZE" and v is not None)
    if wrong:
        return False, "bindgen's layout is not C's: " + "; ".join(wrong)
    return True, (f"{len(names)} structs, {members_n} members at C's offsets"
                  + (f"; known to differ: {'; '.join(excused)}" if excused else ""))
