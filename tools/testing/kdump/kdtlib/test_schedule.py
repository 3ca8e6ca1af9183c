# SPDX-License-Identifier: GPL-2.0
"""The phase scheduler (kdtlib/schedule.py): dependencies hold, a failed task's dependents
are reported not run, background tasks run beside the foreground, rows keep the declared
order, and the phase table says what happened."""

import dataclasses
import threading
import unittest

from . import cli
from .schedule import Failed, Schedule, Task


def _fake_clock():
    t = [0.0]

    def clock():
        t[0] += 1.0
        return t[0]
    return clock


class Order(unittest.TestCase):
    def test_dependencies_come_first_and_rows_keep_the_declared_order(self):
        ran = []

        def task(name, **kw):
            return Task(name, lambda: ran.append(name) or [name], **kw)
        s = Schedule([task("scenarios", needs=("build",)), task("host"),
                      task("build", after=("host",))])
        self.assertEqual(s.run(), ["scenarios", "host", "build"])
        self.assertEqual(ran, ["host", "build", "scenarios"])
        self.assertTrue(all(s.ok(n) for n in ("host", "build", "scenarios")))

    def test_a_failed_tasks_dependents_are_reported_not_run(self):
        ran, said = [], []

        def build():
            raise Failed("make exit 2", rows=["build rust FAIL"])
        tasks = [
            Task("build rust", build),
            Task("build c", lambda: ran.append("c") or ["build c"], after=("build rust",)),
            Task("scenarios rust", lambda: ran.append("rust") or ["x"], needs=("build rust",)),
            Task("layout", lambda: ran.append("layout") or ["y"], needs=("scenarios rust",)),
            Task("kunit", lambda: ran.append("kunit") or ["z"], needs=("build rust",),
                 not_run=lambda name, why: [f"kunit not run: {name} failed ({why})"]),
        ]
        s = Schedule(tasks, say=said.append)
        rows = s.run()
        self.assertEqual(ran, ["c"])
        self.assertEqual(rows, ["build rust FAIL", "build c",
                                "kunit not run: build rust failed (make exit 2)"])
        self.assertEqual(s.phases["build rust"].state, "failed")
        self.assertEqual(s.phases["scenarios rust"].state, "not run")
        self.assertEqual(s.phases["layout"].why, "needs scenarios rust, which did not run")
        self.assertIn("kunit: not run (needs build rust, which failed)", said)
        self.assertFalse(s.ok("layout"))

    def test_background_runs_beside_the_foreground(self):
        started, release = threading.Event(), threading.Event()
        order = []

        def debootstrap():
            started.set()
            release.wait(5)
            order.append("debootstrap")
            return []

        def fuzz():
            # The background task runs while this one does; this one lets it end.
            self.assertTrue(started.wait(5))
            order.append("fuzz")
            release.set()
            return ["fuzz"]
        s = Schedule([Task("host", lambda: order.append("host") or []),
                      Task("debootstrap", debootstrap, after=("host",), background=True),
                      Task("fuzz", fuzz, after=("host",)),
                      Task("build", lambda: order.append("build") or [],
                           after=("fuzz", "debootstrap"))])
        self.assertEqual(s.run(), ["fuzz"])
        self.assertEqual(order, ["host", "fuzz", "debootstrap", "build"])

    def test_a_background_tasks_dependents_wait_for_it(self):
        gate = threading.Event()

        def slow():
            gate.wait(5)
            return ["built"]
        s = Schedule([Task("build debian", slow, background=True),
                      Task("scenarios", lambda: gate.set() or ["scenarios"]),
                      Task("debian-local", lambda: ["debian"], needs=("build debian",),
                           after=("scenarios",))])
        self.assertEqual(s.run(), ["built", "scenarios", "debian"])

    def test_a_harness_fault_is_raised(self):
        def broken():
            raise KeyError("no such flavour")
        s = Schedule([Task("a", broken), Task("b", lambda: ["b"], after=("a",))])
        with self.assertRaises(KeyError):
            s.run()

    def test_unknown_and_circular_dependencies_are_refused(self):
        with self.assertRaisesRegex(ValueError, "unknown"):
            Schedule([Task("a", list, needs=("nothing",))])
        with self.assertRaisesRegex(ValueError, "cycle"):
            Schedule([Task("a", list, after=("b",)), Task("b", list, after=("a",))]).run()


class PhaseTable(unittest.TestCase):
    def test_the_table_names_each_phase_its_start_and_seconds(self):
        def fails():
            raise Failed("make exit 2\nmore")
        s = Schedule([Task("host tests", lambda: []),
                      Task("series", lambda: [], after=("host tests",), background=True, nice=10),
                      Task("build rust", fails, after=("host tests", "series")),
                      Task("kunit", lambda: [], needs=("build rust",))], clock=_fake_clock())
        s.run()
        self.assertEqual(s.table(), [
            "phase         start     secs",
            "host tests      1.0      1.0",
            "series          3.0      1.0  (beside, nice 10)",
            "build rust      5.0      1.0  failed: make exit 2",
            "kunit             -        -  not run: needs build rust, which failed",
        ])


class CheckPhases(unittest.TestCase):
    """make check's own phases (cli.check_tasks), each replaced by one that notes it ran."""

    def _run(self, failing=()):
        ran = []

        def fake(t):
            def fn():
                ran.append(t.name)
                if t.name in failing:
                    raise Failed("broken")
                return [t.name]
            return dataclasses.replace(t, fn=fn)
        sched = Schedule([fake(t) for t in cli.check_tasks(lambda name: sched.ok(name))])
        return sched, sched.run(), ran

    def test_the_phases_run_in_the_order_of_their_rules(self):
        sched, rows, ran = self._run()
        fg = [n for n in ran if not n.startswith(("series", "debian root", "build debian"))]
        self.assertEqual(fg, [
            "host tests", "harness tests", "style", "structure", "fuzz", "build rust",
            "build c", "build twin", "build lockdep", "seed debian", "scenarios c",
            "scenarios rust", "clippy", "panic path", "layout", "scenarios twin",
            "scenarios lockdep", "selftests", "kunit", "scenarios debian"])
        self.assertEqual(rows, [t.name for t in sched.tasks])
        self.assertLess(ran.index("seed debian"), ran.index("build debian"))

    def test_without_the_rust_flavour_only_c_runs_and_kunit_says_so(self):
        sched, rows, ran = self._run(failing=("build rust",))
        self.assertNotIn("build twin", ran)
        self.assertNotIn("build debian", ran)
        self.assertIn("scenarios c", ran)
        self.assertIn("kunit not run: the Rust flavour did not build",
                      [r if isinstance(r, str) else f"{r.group} {r.reason}" for r in rows])


if __name__ == "__main__":
    unittest.main()
