# SPDX-License-Identifier: GPL-2.0
"""Command line: `kdt <command>`; the top-level Makefile calls these."""

import argparse
import sys

from . import deps, kbuild, report, scenarios, tree
from .common import FLAVOURS, KdtError, die


def cmd_deps(args):
    deps.install()
    print("deps: everything is installed")


def cmd_src(args):
    deps.ensure()
    tree.prepare()


def cmd_build(args):
    deps.ensure()
    tree.prepare()
    for flavour in args.flavours:
        kbuild.build(flavour)


def cmd_run(args):
    deps.ensure()
    results = []
    for flavour in args.flavour:
        for name in args.scenarios:
            res = scenarios.run_scenario(name, flavour, args.brk)
            report.show_result(res, verbose=True)
            results.append(res)
    return report.summary(results)


def main(argv):
    p = argparse.ArgumentParser(prog="kdt", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("deps", help="install what the tree needs").set_defaults(fn=cmd_deps)
    sub.add_parser("src", help="prepare build/src").set_defaults(fn=cmd_src)
    b = sub.add_parser("build", help="build kernel flavours")
    b.add_argument("flavours", nargs="*", default=list(FLAVOURS), choices=FLAVOURS)
    b.set_defaults(fn=cmd_build)
    r = sub.add_parser("run", help="run QEMU scenarios on built flavours")
    r.add_argument("scenarios", nargs="+", choices=list(scenarios.SCENARIOS))
    r.add_argument("--flavour", action="append", choices=FLAVOURS)
    r.add_argument("--break", dest="brk", default="",
                   choices=["", "no-crash-kernel", "no-vmcore", "backtrace", "hang"],
                   help="break what the scenario checks, to see it fail")
    r.set_defaults(fn=cmd_run)
    args = p.parse_args(argv)
    if getattr(args, "flavour", "unset") is None:
        args.flavour = ["c"]
    try:
        return args.fn(args) or 0
    except KdtError as e:
        die(str(e))
    except KeyboardInterrupt:
        die("interrupted")
