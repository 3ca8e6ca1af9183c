# SPDX-License-Identifier: GPL-2.0
"""Run by the drgn venv's Python: what a vmcore says about every CPU, as JSON on stdout.

usage: drgn_cpus.py VMCORE VMLINUX

{"crashing_cpu": N, "panic_cpu": N, "crashed": {...}, "cpus": [{...}, ...]}, where each
stack is {"cpu", "pid", "comm", "frames": [function names, innermost first], "error"}, and each
CPU's also has "current": [pid, comm] of the task x86's `current` named on that CPU.

A CPU's run-queue task (cpu_curr(), whose stack drgn walks) and its `current` differ for a
moment in every context switch: __schedule() sets rq->curr to the next task before
__switch_to() moves `current` (pcpu_hot.current_task) over. A CPU stopped in that window, or a
stack that overflows in it (trigger-stack), saved `current`'s pid in its NT_PRSTATUS note.
"""

import json
import sys

import drgn
from drgn.helpers.linux.cpumask import for_each_online_cpu
from drgn.helpers.linux.percpu import per_cpu
from drgn.helpers.linux.sched import cpu_curr


def frames(trace):
    return [frame.name or "??" for frame in trace]


def stack(cpu, task, trace_of):
    out = {"cpu": cpu, "pid": task.pid.value_(),
           "comm": task.comm.string_().decode(errors="replace"), "frames": [], "error": ""}
    try:
        out["frames"] = frames(trace_of())
    except (drgn.FaultError, LookupError, ValueError) as e:
        out["error"] = f"{type(e).__name__}: {e}"
    return out


def current(prog, cpu, task):
    """[pid, comm] of `current` on `cpu`: pcpu_hot.current_task on x86, else cpu_curr()."""
    try:
        task = per_cpu(prog["pcpu_hot"], cpu).current_task
    except (LookupError, drgn.FaultError):
        pass
    return [task.pid.value_(), task.comm.string_().decode(errors="replace")]


def main():
    core, vmlinux = sys.argv[1], sys.argv[2]
    prog = drgn.Program()
    prog.set_core_dump(core)
    prog.load_debug_info([vmlinux], default=False)
    crashed = prog.crashed_thread()
    result = {
        # x86 sets this in the crash shutdown; panic_cpu is who won panic() (-1 when the
        # dump was taken from an oops, which goes to kdump before panic()).
        "crashing_cpu": prog["crashing_cpu"].value_(),
        "panic_cpu": prog["panic_cpu"].counter.value_(),
        "crashed": stack(None, crashed.object, crashed.stack_trace),
        "cpus": [],
    }
    for cpu in for_each_online_cpu(prog):
        task = cpu_curr(prog, cpu)
        out = stack(cpu, task, lambda t=task: prog.stack_trace(t))
        out["current"] = current(prog, cpu, task)
        result["cpus"].append(out)
    json.dump(result, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
