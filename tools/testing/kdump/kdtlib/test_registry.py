# SPDX-License-Identifier: GPL-2.0
"""The scenario registry: every module's scenarios once, nothing changed at import, and the
timeout handed to the scenario as an argument."""

import unittest
from unittest import mock

from . import debscen, fileerrno, registry, scenarios, sigscen


class Registry(unittest.TestCase):
    def test_every_modules_scenarios_once(self):
        modules = (scenarios.SCENARIOS, fileerrno.SCENARIOS, sigscen.SCENARIOS,
                   debscen.SCENARIOS)
        self.assertEqual(list(registry.SCENARIOS), [n for m in modules for n in m])
        self.assertEqual(len(registry.SCENARIOS), sum(map(len, modules)))

    def test_the_generated_names_are_there(self):
        for kind in scenarios.TRIGGERS:
            self.assertIn(f"trigger-{kind}", registry.SCENARIOS)
        for mode in scenarios.CORRUPT:
            self.assertIn(f"corrupt-{mode}", registry.SCENARIOS)

    def test_importing_changes_no_modules_table(self):
        self.assertNotIn("debian-local", scenarios.SCENARIOS)

    def test_the_timeout_reaches_the_scenario(self):
        seen = []
        fake = ("a fake", lambda f, b, t: seen.append((f, b, t)) or {"x": 1})
        with mock.patch.dict(registry.SCENARIOS, {"fake": fake}):
            res = registry.run_scenario("fake", "c", "hang", timeout=30)
            registry.run_scenario("fake", "rust")
        self.assertEqual(seen, [("c", "hang", 30), ("rust", "", None)])
        self.assertTrue(res.ok)
        self.assertEqual((res.reason, res.details), ("a fake", {"x": 1}))

    def test_a_failed_check_is_a_failed_result(self):
        def fails(f, b, t):
            raise registry.Check("no vmcore written")
        with mock.patch.dict(registry.SCENARIOS, {"fake": ("a fake", fails)}):
            res = registry.run_scenario("fake", "c")
        self.assertFalse(res.ok)
        self.assertEqual(res.reason, "no vmcore written")

    def test_a_default_timeout_stays_a_module_constant(self):
        # Nothing assigns it any more: the self-tests pass theirs to run_scenario().
        self.assertIsInstance(scenarios.TIMEOUT, int)


if __name__ == "__main__":
    unittest.main()
