# SPDX-License-Identifier: GPL-2.0
"""Run by the drgn venv's Python: print a thread's stack from a vmcore, one frame a line.

usage: drgn_stack.py VMCORE VMLINUX [crashed|PID]
"""

import sys

import drgn
from drgn.helpers.linux.pid import find_task


def main():
    core, vmlinux = sys.argv[1], sys.argv[2]
    which = sys.argv[3] if len(sys.argv) > 3 else "crashed"
    prog = drgn.Program()
    prog.set_core_dump(core)
    prog.load_debug_info([vmlinux], default=False)
    if which == "crashed":
        thread = prog.crashed_thread()
        task = thread.object
    else:
        task = find_task(prog, int(which))
        thread = prog.thread(int(which))
    print(f"thread {thread.tid} ({task.comm.string_().decode(errors='replace')})")
    for i, frame in enumerate(thread.stack_trace()):
        name = frame.name or "??"
        try:
            file, line, _ = frame.source()
            where = f" at {file}:{line}"
        except LookupError:
            where = ""
        print(f"#{i:<2} {name}{where}")


if __name__ == "__main__":
    main()
