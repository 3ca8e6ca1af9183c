# SPDX-License-Identifier: GPL-2.0
"""Phases of a long command (`make check`) declared as tasks with dependencies, and the small
scheduler that runs them.

A task's `fn()` returns its rows. It `needs` tasks that must have succeeded (when one failed or
did not run, it does not run either: it is reported not run, and `not_run` may still give rows
for that) and comes `after` tasks that must merely have ended. Foreground tasks run one at a
time on the caller's thread, the first ready one in the order declared; a `background` task
runs in a thread of its own as soon as it is ready, at its `nice` value (Linux keeps a nice
value per thread, and the commands the thread starts inherit it), beside the foreground ones.
The rows come back in the order the tasks are declared, whatever order they ran in.
"""

import os
import threading
import time
from dataclasses import dataclass


class Failed(Exception):
    """Raised by a task's fn: the phase failed, so the tasks that need it do not run; `rows`
    (its failed rows) still count."""

    def __init__(self, why, rows=()):
        super().__init__(why)
        self.why = why
        self.rows = list(rows)


@dataclass(frozen=True)
class Task:
    """One phase: `fn()` returns its rows, or raises Failed. `not_run(name, why)`, when given,
    returns the rows to report when needed task `name` failed or did not run (`why`)."""

    name: str
    fn: object
    needs: tuple = ()
    after: tuple = ()
    background: bool = False
    nice: int = 0
    not_run: object = None


@dataclass
class Phase:
    """What became of a task: "ok", "failed" or "not run", why (for the last two), when it
    started (seconds from the schedule's start) and how long it took."""

    name: str
    state: str = "pending"
    why: str = ""
    start: float = 0.0
    secs: float = 0.0


class Schedule:
    """Runs `tasks` (a sequence of Task) in dependency order; see the module's doc."""

    def __init__(self, tasks, clock=time.monotonic, say=None):
        names = [t.name for t in tasks]
        if len(set(names)) != len(names):
            raise ValueError(f"a task name is used twice: {names}")
        for t in tasks:
            unknown = [d for d in t.needs + t.after if d not in names]
            if unknown:
                raise ValueError(f"task {t.name!r} depends on unknown {unknown}")
        self.tasks = list(tasks)
        self.phases = {t.name: Phase(t.name) for t in tasks}
        self._rows = {t.name: [] for t in tasks}
        self._clock = clock
        self._say = say or (lambda msg: None)
        self._t0 = None
        self._done = threading.Condition()
        self._errors = []

    def ok(self, name):
        """Whether task `name` ran and succeeded."""
        return self.phases[name].state == "ok"

    def _ended(self, name):
        return self.phases[name].state in ("ok", "failed", "not run")

    def _ready(self, t):
        return all(self._ended(d) for d in t.needs + t.after)

    def _finish(self, t, start, state, why="", rows=()):
        with self._done:
            p = self.phases[t.name]
            p.start, p.secs = start - self._t0, self._clock() - start
            p.state, p.why = state, why
            self._rows[t.name] = list(rows)
            self._done.notify_all()

    def _run(self, t):
        start = self._clock()
        try:
            rows = t.fn()
        except Failed as e:
            self._finish(t, start, "failed", e.why, e.rows)
        except BaseException as e:  # noqa: BLE001 - handed to the caller by run()
            self._errors.append(e)
            self._finish(t, start, "failed", f"{type(e).__name__}: {e}")
        else:
            self._finish(t, start, "ok", "", rows or [])

    def _in_thread(self, t):
        if t.nice:
            os.nice(t.nice)
        self._run(t)

    def _skip(self, t):
        """Not run: a needed task failed or did not run."""
        failed = next(d for d in t.needs if not self.ok(d))
        why = f"needs {failed}, which " + ("failed" if self.phases[failed].state == "failed"
                                            else "did not run")
        self._say(f"{t.name}: not run ({why})")
        rows = t.not_run(failed, self.phases[failed].why) if t.not_run else []
        now = self._clock()
        self._finish(t, now, "not run", why, rows)

    def run(self):
        """Runs every task; returns the rows in the order the tasks are declared. An exception
        other than Failed from any task is raised here once no foreground task runs."""
        self._t0 = self._clock()
        started = set()
        while True:
            if self._errors:
                raise self._errors[0]
            pending = [t for t in self.tasks if t.name not in started]
            if not pending and all(self._ended(t.name) for t in self.tasks):
                break
            progressed = False
            for t in pending:
                if self._ready(t) and not all(self.ok(d) for d in t.needs):
                    started.add(t.name)
                    self._skip(t)
                    progressed = True
            if progressed:
                continue
            for t in pending:
                if t.background and self._ready(t):
                    started.add(t.name)
                    self.phases[t.name].state = "running"
                    threading.Thread(target=self._in_thread, args=(t,), daemon=True,
                                     name=f"task {t.name}").start()
            fg = next((t for t in pending if not t.background and t.name not in started
                       and self._ready(t)), None)
            if fg is not None:
                started.add(fg.name)
                self.phases[fg.name].state = "running"
                self._run(fg)
                continue
            with self._done:
                if any(self._ready(t) for t in self.tasks if t.name not in started) \
                        or self._errors:
                    continue
                if not any(self.phases[t.name].state == "running" for t in self.tasks):
                    stuck = [t.name for t in self.tasks if t.name not in started]
                    raise ValueError(f"tasks that can never run (a dependency cycle): {stuck}")
                self._done.wait()
        return [row for t in self.tasks for row in self._rows[t.name]]

    def table(self):
        """The phase table: each task's name, start and seconds in the order declared, and
        what kept it from running or made it fail."""
        width = max([len(t.name) for t in self.tasks] + [5])
        out = [f"{'phase':<{width}}  {'start':>7}  {'secs':>7}"]
        for t in self.tasks:
            p = self.phases[t.name]
            if p.state == "not run":
                out.append(f"{t.name:<{width}}  {'-':>7}  {'-':>7}  not run: {p.why}")
                continue
            line = f"{t.name:<{width}}  {p.start:7.1f}  {p.secs:7.1f}"
            if t.background:
                line += f"  (beside, nice {t.nice})" if t.nice else "  (beside)"
            if p.state == "failed":
                line += f"  failed: {p.why.splitlines()[0] if p.why else ''}"
            out.append(line)
        return out
