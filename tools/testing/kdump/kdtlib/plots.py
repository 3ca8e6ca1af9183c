# SPDX-License-Identifier: GPL-2.0
"""`make bench`'s pictures: the figures in build/bench/*.json drawn as PNG files beside them.

vmcore-throughput.png: /proc/vmcore read throughput (MB/s, the median of the runs, with their
lowest and highest) against guest RAM, one panel per reader (dd bs=1M, dd bs=4k, makedumpfile
-d 31 with and without mmap), a line per flavour, and the capture kernel's copy ceiling for dd.
With a single guest RAM size benched it is one bar chart, a group of bars per reader.
kdump-timeline.png: one kdump cycle a flavour, from the panic: to the capture kernel's first
line, its userspace, the vmcore written, and QEMU's exit; phases crash.json lacks (from before
they were recorded) are left out.

It runs in the tree's venv, which has matplotlib (deps.MATPLOTLIB_VERSION; the harness runs on
the system python, which need not), and reads the JSON files only:

    cd tools/testing/kdump && ../../../build/venv/bin/python3 -m kdtlib.plots ../../../build/bench

prints the paths of the files it wrote, one a line, and exits non-zero with one line naming the
error if it cannot draw. The shaping of rows into series imports nothing beyond the standard
library (its tests run on the system python); only draw_*() import matplotlib.
"""

import json
import statistics
import sys
from pathlib import Path

# The readers of /proc/vmcore in vmcore.json, in the order drawn.
READERS = {
    "vmcore_1m": "dd bs=1M",
    "vmcore_4k": "dd bs=4k",
    "makedumpfile_mmap": "makedumpfile -d 31\n(mmap)",
    "makedumpfile_non_mmap": "makedumpfile -d 31\n(--non-mmap: read)",
}
# The capture kernel's CPU copying as many bytes in the same pieces: what dd is read against.
CEILINGS = {"vmcore_1m": "copy_1m", "vmcore_4k": "copy_4k"}
FLAVOURS = {
    "c": "C flavour",
    "rust": "Rust flavour",
    "twin-c": "twin kernel, C /proc/vmcore",
    "twin-rust": "twin kernel, Rust /proc/vmcore",
}
COLOURS = {"c": "#1f77b4", "rust": "#d95f02", "twin-c": "#9ecae1", "twin-rust": "#fdae6b"}
# The marks of a kdump cycle in crash.json's panic_to_capture rows: the median's key, the runs'
# key, and what happens from the mark before (the panic, first) to this one.
PHASES = [
    ("seconds", "runs", "crash path: panic to the capture kernel's first line"),
    ("to_userspace", "userspace_runs", "capture kernel boots to userspace"),
    ("to_dump_written", "dump_written_runs", "vmcore checked and written to disk"),
    ("to_reboot", "reboot_runs", "reboot to QEMU exit"),
]
PHASE_COLOURS = ["#d62728", "#7f7f7f", "#2ca02c", "#bcbd22"]


def _order(names, known):
    """`names` with those of `known` first, in its order, then the rest sorted."""
    return [n for n in known if n in names] + sorted(n for n in names if n not in known)


def throughput_series(rows):
    """vmcore.json rows as {reader: {flavour: [(guest MiB, median MB/s, lowest MB/s, highest
    MB/s), ...]}}, readers and flavours in drawing order, points by guest RAM. The median is
    the row's mb_per_s (bytes over the median time); the lowest and highest are the slowest and
    fastest of its runs. Rows with no time are left out."""
    out = {}
    for r in rows:
        if r.get("test") not in READERS or not r.get("mb_per_s"):
            continue
        runs = [t for t in r.get("runs") or [] if t > 0]
        rates = [r["bytes"] / 1e6 / t for t in runs] or [r["mb_per_s"]]
        out.setdefault(r["test"], {}).setdefault(r["flavour"], []).append(
            (r["guest_mib"], r["mb_per_s"], round(min(rates), 1), round(max(rates), 1)))
    return {reader: {f: sorted(out[reader][f]) for f in _order(out[reader], FLAVOURS)}
            for reader in READERS if reader in out}


def ceiling_series(rows):
    """{dd reader: [(guest MiB, MB/s), ...]}: the capture kernel's copy ceiling for that reader
    at each guest RAM size, the median over the flavours (they agree within their spread)."""
    per = {}
    for r in rows:
        for reader, test in CEILINGS.items():
            if r.get("test") == test and r.get("mb_per_s"):
                per.setdefault(reader, {}).setdefault(r["guest_mib"], []).append(r["mb_per_s"])
    return {reader: [(mib, round(statistics.median(v), 1)) for mib, v in sorted(mems.items())]
            for reader, mems in per.items()}


def guest_sizes(rows):
    """The guest RAM sizes (MiB) benched, ascending."""
    return sorted({r["guest_mib"] for r in rows if r.get("test") in READERS})


def timeline(rows):
    """crash.json's panic_to_capture rows as [(flavour, runs, [(label, start, end, lowest end,
    highest end), ...]), ...]: seconds after the panic, each phase from the end of the one
    before, medians (a phase never starts before the one before ends), and the lowest and
    highest of its runs' ends. Phases a row lacks are left out; runs is how many panics."""
    get = {r["flavour"]: r for r in rows if r.get("test") == "panic_to_capture"}
    out = []
    for f in _order(get, FLAVOURS):
        r, start, phases = get[f], 0.0, []
        for key, runs_key, label in PHASES:
            if r.get(key) is None:
                continue
            end = max(start, r[key])
            runs = r.get(runs_key) or [r[key]]
            phases.append((label, start, end, min(runs), max(runs)))
            start = end
        out.append((f, len(r.get("runs") or []), phases))
    return out


def lines_end(lines):
    """Where the last phase of any flavour ends (median seconds after the panic)."""
    return max((p[2] for _, _, phases in lines for p in phases), default=0)


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def draw_throughput(rows, path):
    """vmcore-throughput.png from vmcore.json rows."""
    plt = _pyplot()
    series, ceil, mems = throughput_series(rows), ceiling_series(rows), guest_sizes(rows)
    if not series:
        raise ValueError("vmcore.json has no /proc/vmcore reader rows")
    counts = sorted({len(r.get("runs") or []) for r in rows if r.get("test") in READERS})
    nruns = f"{counts[0]}" if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"
    how = f"median of {nruns} runs, error bars: slowest to fastest run"
    if len(mems) == 1:
        _throughput_bars(plt, series, ceil, mems[0], how, path)
    else:
        _throughput_lines(plt, series, ceil, mems, how, path)


def _throughput_bars(plt, series, ceil, mem, how, path):
    """One guest RAM size: a group of bars per reader, a bar per flavour."""
    flavours = _order({f for s in series.values() for f in s}, FLAVOURS)
    fig, ax = plt.subplots(figsize=(11, 5.5))
    width = 0.8 / len(flavours)
    top = 0
    for i, f in enumerate(flavours):
        xs, ys, err = [], [], [[], []]
        for g, reader in enumerate(series):
            for _, med, lo, hi in series[reader].get(f, []):
                xs.append(g + (i - (len(flavours) - 1) / 2) * width)
                ys.append(med)
                err[0].append(med - lo)
                err[1].append(hi - med)
                top = max(top, hi)
        bars = ax.bar(xs, ys, width * 0.95, yerr=err, capsize=3, color=COLOURS.get(f),
                      edgecolor="black", linewidth=0.5, label=FLAVOURS.get(f, f),
                      error_kw={"elinewidth": 0.8})
        ax.bar_label(bars, labels=[f"{y:.0f}" for y in ys], padding=2, fontsize=7)
    for g, reader in enumerate(series):
        for _, mbps in ceil.get(reader, []):
            ax.hlines(mbps, g - 0.45, g + 0.45, colors="black", linestyles="dashed", linewidth=1,
                      label="capture kernel's CPU copy of the same bytes (copy ceiling)"
                      if g == 0 else None)
            top = max(top, mbps)
    ax.set_xticks(range(len(series)), [READERS[r] for r in series])
    ax.set_ylabel("MB/s (vmcore size / time; 1 MB = 10^6 bytes)")
    ax.set_ylim(0, top * 1.15)
    ax.set_title(f"/proc/vmcore read throughput in the capture kernel, {mem} MiB guest RAM, "
                 f"by flavour\n({how})", fontsize=11)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _throughput_lines(plt, series, ceil, mems, how, path):
    """Several guest RAM sizes: a panel per reader, MB/s against guest RAM, a line a flavour."""
    fig, axes = plt.subplots(2, 2, figsize=(12, 8), sharey=True, squeeze=False)
    flavours = _order({f for s in series.values() for f in s}, FLAVOURS)
    top = 0
    for ax, reader in zip(axes.flat, READERS):
        ax.set_title(READERS[reader].replace("\n", " "), fontsize=10)
        for i, f in enumerate(flavours):
            pts = series.get(reader, {}).get(f)
            if not pts:
                continue
            # Flavours side by side at each size, so their error bars do not hide each other.
            dodge = 1 + 0.02 * (i - (len(flavours) - 1) / 2)
            ax.errorbar([p[0] * dodge for p in pts], [p[1] for p in pts],
                        yerr=[[p[1] - p[2] for p in pts], [p[3] - p[1] for p in pts]],
                        marker="o", markersize=4, capsize=3, color=COLOURS.get(f),
                        label=FLAVOURS.get(f, f))
            top = max([top] + [p[3] for p in pts])
        if reader in ceil:
            ax.plot([p[0] for p in ceil[reader]], [p[1] for p in ceil[reader]], "k--",
                    linewidth=1, label="copy ceiling (capture kernel's CPU)")
            top = max([top] + [p[1] for p in ceil[reader]])
        ax.set_xscale("log", base=2)
        ax.set_xticks(mems, [str(m) for m in mems])
        ax.minorticks_off()
        ax.set_xlabel("guest RAM (MiB)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    for ax in axes[:, 0]:
        ax.set_ylabel("MB/s (vmcore size / time; 1 MB = 10^6 bytes)")
    axes[0, 0].set_ylim(0, top * 1.1)
    fig.suptitle(f"/proc/vmcore read throughput in the capture kernel against guest RAM, "
                 f"by flavour\n({how})", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def draw_timeline(rows, path):
    """kdump-timeline.png from crash.json rows."""
    plt = _pyplot()
    lines = timeline(rows)
    if not lines:
        raise ValueError("crash.json has no panic_to_capture rows")
    fig, ax = plt.subplots(figsize=(11, 1.6 + 0.9 * len(lines)))
    labels = [label for _, _, label in PHASES]
    shown = set()
    end = 0
    for y, (f, _, phases) in enumerate(lines):
        for label, start, stop, lo, hi in phases:
            colour = PHASE_COLOURS[labels.index(label)]
            ax.barh(y, stop - start, left=start, height=0.5, color=colour, edgecolor="black",
                    linewidth=0.5, label=None if label in shown else label)
            shown.add(label)
            if stop - start > 0.04 * lines_end(lines):
                ax.text((start + stop) / 2, y, f"{stop - start:.2f} s", ha="center",
                        va="center", fontsize=8)
            if hi > lo:
                # Under the bar, so as not to cross the figures in it.
                ax.errorbar(stop, y + 0.33, xerr=[[stop - lo], [hi - stop]], color="black",
                            capsize=2, linewidth=0.8)
            end = max(end, hi)
        if phases:
            ax.text(phases[-1][2], y - 0.3, f" {phases[-1][2]:.2f} s", ha="left", va="bottom",
                    fontsize=8, fontweight="bold")
    ax.set_yticks(range(len(lines)),
                  [f"{FLAVOURS.get(f, f)}\n({n} panic{'s' if n != 1 else ''})"
                   for f, n, _ in lines])
    ax.set_xlim(0, end * 1.08)
    ax.set_xlabel("seconds after the panic (host clock as the serial lines arrive; median, "
                  "whiskers: earliest to latest run)")
    missing = [label for key, _, label in PHASES
               if all(key not in r for r in rows if r.get("test") == "panic_to_capture")]
    title = ("One kdump cycle per flavour: sysrq-c panic to QEMU exit\n(each flavour's crash "
             "path; the capture kernel is the C flavour's for both)")
    if missing:
        title += "\nnot recorded in this crash.json: " + "; ".join(missing)
    ax.set_title(title, fontsize=10)
    ax.set_ylim(len(lines) - 0.4, -0.5)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=2)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


# What is drawn from which file.
PICTURES = [("vmcore.json", "vmcore-throughput.png", draw_throughput),
            ("crash.json", "kdump-timeline.png", draw_timeline)]


def draw(bench_dir):
    """Draw every picture whose JSON file is in `bench_dir`; returns the PNG paths."""
    bench_dir = Path(bench_dir)
    out = []
    for src, png, fn in PICTURES:
        if (bench_dir / src).exists():
            fn(json.loads((bench_dir / src).read_text()), bench_dir / png)
            out.append(bench_dir / png)
    if not out:
        raise FileNotFoundError(f"no {' or '.join(s for s, _, _ in PICTURES)} in {bench_dir}")
    return out


def main(argv):
    try:
        for path in draw(argv[1] if len(argv) > 1 else "."):
            print(path)
    except Exception as e:  # noqa: BLE001 - one line for the bench to show, not a traceback
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
