# SPDX-License-Identifier: GPL-2.0
"""Printing results: one line per test as it ends, a table at the end, and the count line."""

from .common import tail


class Row:
    """One counted test: what ran, pass or fail, why, and how long it took."""

    def __init__(self, group, name, ok, reason="", secs=0.0, log=None):
        self.group = group
        self.name = name
        self.ok = ok
        self.reason = reason
        self.secs = secs
        self.log = log


def show_result(res, verbose=False):
    """A scenario's line; on failure the tail of its serial log and the log's path."""
    mark = "PASS" if res.ok else "FAIL"
    print(f"{mark} {res.flavour:<5} {res.name:<10} {res.secs:6.1f} s  {res.reason}", flush=True)
    if res.ok and verbose:
        for k, v in res.details.items():
            text = str(v)
            if "\n" in text:
                print(f"      {k}:")
                for line in text.splitlines():
                    print(f"        {line}")
            else:
                print(f"      {k}: {text}")
    if not res.ok and res.log is not None:
        print(tail(res.log, 25, indent="      "))
        print(f"      full serial log: {res.log}", flush=True)


def summary(results):
    """Count line for scenario results; returns the exit status."""
    failed = sum(1 for r in results if not r.ok)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


def table(rows, notes=()):
    """The closing table of `make check`, `notes` (lines such as the kernel source tested), then
    `N passed, M failed` alone on a line."""
    width = max([len(f"{r.group} {r.name}") for r in rows] + [20])
    print()
    print(f"{'test':<{width}}  result  time     note")
    print("-" * (width + 40))
    for r in rows:
        note = r.reason.splitlines()[0] if r.reason else ""
        if len(note) > 100:
            note = note[:97] + "..."
        print(f"{r.group + ' ' + r.name:<{width}}  {'pass' if r.ok else 'FAIL':<6}  "
              f"{r.secs:6.1f}s  {note}")
    failed = sum(1 for r in rows if not r.ok)
    print()
    for note in notes:
        print(note)
    print(f"{len(rows) - failed} passed, {failed} failed")
    return 1 if failed else 0
