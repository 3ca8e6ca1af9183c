# SPDX-License-Identifier: GPL-2.0
"""The panic path's rules checked on the object code: every function reachable from the crash
path's entry points in the built kdump/crash object (and the Rust helpers it calls through) is
walked, and no call may leave for an allocator, a sleeping lock, might_sleep or a Rust panic.

The walk reads `llvm-objdump -d -r`: a call or jump with a relocation goes to the relocated
symbol; one without goes to the function named in its operand when that is another function of
the same object (calls inside one .text need no relocation)."""

import re
import subprocess

from .common import LLVM_BIN, tool_env

# Where the panic path enters the crash objects: panic() and the oops path call crash_kexec()
# or __crash_kexec(); machine_crash_shutdown() has every other CPU call crash_save_cpu() from
# its NMI handler.
ROOTS = ("__crash_kexec", "crash_kexec", "crash_save_cpu")

# What the panic path must never reach.
FORBIDDEN = [
    ("allocates", re.compile(
        r"^(__)?(k|kv|v|vz|kz)(m|re)?alloc|kmalloc|kmem_cache_alloc|alloc_pages|get_free_page|"
        r"get_zeroed_page|pcpu_alloc|^vmap$|^kfree|^vfree|^kvfree|__rust_(alloc|realloc|dealloc)")),
    ("sleeps", re.compile(
        r"mutex_lock|^down(_|$)|^__down|rt_mutex|^schedule|msleep|usleep|wait_for_completion|"
        r"synchronize_(rcu|srcu|net)|crash_hotplug_lock|__might_sleep|__might_resched|"
        r"__might_fault|^might_sleep")),
    ("can panic", re.compile(
        r"4core9panicking|panic_bounds_check|slice_(start_|end_)?index_(len_|order_)?fail|"
        r"unwrap_failed|expect_failed|rust_begin_unwind|rust_panic|^rust_helper_BUG$")),
]

# The self-test's edge: the Rust __crash_kexec() allocating.
SELFTEST_EDGE = ("__crash_kexec", "__kmalloc_noprof")

# Calls that are no calls: the return thunk of the retpoline/return-thunk mitigations.
IGNORED = {"__x86_return_thunk"}

_FUNC = re.compile(r"^([0-9a-f]+) <(.+)>:$")
_INSN = re.compile(r"^\s+[0-9a-f]+:\s+(\S+)\s*(.*)$")
_RELOC = re.compile(r"^\s+[0-9a-f]+:\s+R_X86_64_\w+\s+(\S+?)(?:[-+]0x[0-9a-f]+)?$")
_TARGET = re.compile(r"<([^>+]+)(?:\+0x[0-9a-f]+)?>")


def parse(text):
    """{function: set of callees} from `llvm-objdump -d -r --no-show-raw-insn` output.
    Callees are symbol names; an indirect call is the callee "*indirect*"."""
    graph, func, pending = {}, None, None

    def flush():
        nonlocal pending
        if pending is not None and func is not None:
            mnem, ops = pending
            m = _TARGET.search(ops)
            if "*" in ops:
                graph[func].add("*indirect*")
            elif m and m.group(1) != func:
                graph[func].add(m.group(1))
        pending = None

    for line in text.splitlines():
        m = _FUNC.match(line)
        if m:
            flush()
            func = m.group(2)
            graph.setdefault(func, set())
            continue
        m = _RELOC.match(line)
        if m and func is not None:
            if pending is not None:
                sym = m.group(1)
                if sym not in IGNORED and not sym.startswith(".") and sym != func:
                    graph[func].add(sym)
                pending = None
            continue
        m = _INSN.match(line)
        if m and func is not None:
            flush()
            mnem, ops = m.group(1), m.group(2)
            if mnem.startswith(("call", "j")):
                pending = (mnem, ops)
    flush()
    return graph


def _callers(graph, roots):
    """{name: the caller it was first reached from (None for a root)} for every function and
    outside callee reachable from roots, breadth first, so each caller chain is a shortest."""
    parent = {r: None for r in roots if r in graph}
    todo = list(parent)
    while todo:
        f = todo.pop(0)
        for callee in sorted(graph.get(f, ())):
            if callee not in parent:
                parent[callee] = f
                if callee in graph:
                    todo.append(callee)
    return parent


def reachable(graph, roots):
    """(functions of the graph reached from roots, {outside callee: a caller})."""
    parent = _callers(graph, roots)
    return ({f for f in parent if f in graph},
            {f: caller for f, caller in parent.items() if f not in graph})


def violations(graph, roots):
    """[(function, why, caller)] of every forbidden function reachable from roots, whether the
    walked objects define it (a panic handler in core.o) or not (an allocator elsewhere)."""
    out = []
    for name, caller in sorted(_callers(graph, roots).items()):
        for why, pattern in FORBIDDEN:
            if pattern.search(name) or pattern.search(short_name(name)):
                out.append((name, why, caller))
                break
    return out


def chain(graph, roots, target):
    """The calls from a root to target, as short names, root first."""
    parent = _callers(graph, roots)
    out, x = [], target
    while x is not None and x in parent:
        out.append(short_name(x))
        x = parent[x]
    return list(reversed(out))


def objdump(path):
    return subprocess.run([str(LLVM_BIN / "llvm-objdump"), "-d", "-r", "--no-show-raw-insn",
                           str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, env=tool_env(), check=True).stdout


def check(objects, roots=ROOTS, inject=None):
    """(ok, note): the walk over the given objects. `inject` is a (caller, callee) edge added
    on purpose, for the self-test."""
    graph = {}
    for o in objects:
        for f, callees in parse(objdump(o)).items():
            graph.setdefault(f, set()).update(callees)
    missing = [r for r in roots if r not in graph]
    if missing:
        return False, f"entry points not in the objects: {', '.join(missing)}"
    if inject:
        graph[inject[0]].add(inject[1])
    seen, outside = reachable(graph, roots)
    bad = violations(graph, roots)
    if bad:
        callee, why, _ = bad[0]
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        path = " -> ".join(chain(graph, roots, callee))
        return False, f"{path}: {short_name(callee)} {why}{more}"
    calls = ", ".join(sorted(short_name(c) for c in outside))
    return True, (f"{len(seen)} functions reachable from {', '.join(roots)}; "
                  f"they call out only to {calls}")


def short_name(sym):
    """A Rust v0 mangled name's last identifier (...5panic15crash_kexec_now -> crash_kexec_now);
    other names as they are."""
    if not sym.startswith("_R"):
        return sym
    # A generic's instantiating crate comes last (...4sizeCs1EKtwoKEMO2_6kernel): not its name.
    m = re.search(r"Cs[0-9A-Za-z]+_(\d+)([A-Za-z_]\w*)$", sym[sym.rfind("Cs"):])
    if m and int(m.group(1)) == len(m.group(2)):
        sym = sym[:sym.rfind("Cs")]
    i, last = 0, sym
    while i < len(sym):
        m = re.match(r"\d+", sym[i:])
        if not m:
            i += 1
            continue
        n, j = int(m.group(0)), i + len(m.group(0))
        if n and j + n <= len(sym):
            last = sym[j:j + n]
            i = j + n
        else:
            i = j
    return last
