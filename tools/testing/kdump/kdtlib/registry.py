# SPDX-License-Identifier: GPL-2.0
"""Every scenario by name, and running one: the table is built here from each module's own
(kdtlib/scenarios.py, kdtlib/fileerrno.py, kdtlib/sigscen.py, kdtlib/debscen.py), once, and
nothing changes it afterwards. A scenario's timeout is an argument of run_scenario(), not a
module setting.
"""

import time
import traceback

from . import debscen, fileerrno, scenarios, sigscen
from .common import BUILD
from .dumpcheck import Check
from .scenarios import lockdep_reports, run_name

# name -> (what it checks, fn(flavour, brk, timeout)), the QEMU scenarios first.
SCENARIOS = {**scenarios.SCENARIOS, **fileerrno.SCENARIOS, **sigscen.SCENARIOS,
             **debscen.SCENARIOS}


class Result:
    """What a scenario run came to: pass or fail, why, how long, what it measured, its log."""

    def __init__(self, name, flavour):
        self.name = name
        self.flavour = flavour
        self.ok = False
        self.reason = ""
        self.secs = 0.0
        self.details = {}
        self.log = None

    def fail(self, reason):
        self.ok = False
        self.reason = reason
        return self


def run_scenario(name, flavour, brk="", timeout=None):
    """Scenario `name` on `flavour`, its check broken by `brk` (none when empty), each QEMU run
    bounded by `timeout` seconds (None: the scenario's own bound); returns its Result, failed
    with the reason when a check did not hold or the harness failed."""
    desc, fn = SCENARIOS[name]
    res = Result(name, flavour)
    t0 = time.monotonic()
    try:
        res.details = fn(flavour, brk, timeout) or {}
        if flavour == "lockdep":
            reports = lockdep_reports(BUILD / "runs" / flavour / run_name(name, brk)
                                      / "serial.log")
            if reports:
                raise Check(f"lockdep reported: {reports[0]}"
                            + (f" (and {len(reports) - 1} more lines)" if len(reports) > 1
                               else ""))
        res.ok = True
        res.reason = desc
    except Check as e:
        res.fail(str(e))
    except Exception as e:  # noqa: BLE001 - a harness fault fails this row, not the whole check
        traceback.print_exc()
        res.fail(f"harness error: {type(e).__name__}: {e}")
    res.secs = time.monotonic() - t0
    res.log = BUILD / "runs" / flavour / run_name(name, brk) / "serial.log"
    return res
