// SPDX-License-Identifier: GPL-2.0
/*
 * kexec-errno: raw kexec_load(2) calls with bad and edge inputs, for the errno parity check
 * between the C and the Rust kexec core (test only).
 *
 *   kexec-errno SEED COUNT
 *
 * (and three modes for make bench, the leak check and the crashkernel race: --time, --cycles
 * and --race-shrink, below).
 *
 * Runs a fixed table of cases, then COUNT segment lists drawn from SEED, and prints one line
 * per case on stdout:
 *
 *   KDT-ERRNO <case> <errno name, or OK> kept=<N><C>
 *
 * N and C say whether a normal and a crash image are still loaded right after the call. A good
 * normal and a good crash image (one page each, never executed) are loaded before every case,
 * so for a refused load "kept=11" means the refusal left the loaded images in place. The host
 * compares the errno column between the flavours, and the kept column against what each
 * flavour promises. The cases that change the load limits and kexec_load_disabled cannot be
 * undone and come last.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kexec.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kdt-errno.h"

#define PAGE 4096UL
#define NORMAL_BASE (16UL << 20) /* destinations of normal images: above the first 16 MiB */
#define MAXSEG 20

/* Newer than the build machine's uapi headers may be (include/uapi/linux/kexec.h, 6.6). */
#ifndef KEXEC_UPDATE_ELFCOREHDR
#define KEXEC_UPDATE_ELFCOREHDR 0x00000004
#endif
#ifndef KEXEC_CRASH_HOTPLUG_SUPPORT
#define KEXEC_CRASH_HOTPLUG_SUPPORT 0x00000008
#endif

static unsigned long crash_start, crash_end; /* inclusive, from /proc/iomem */
static unsigned long ram_pages;
static unsigned char *ubuf; /* a user buffer segments copy from */
#define UBUF_SIZE (256UL << 10)

static long kload(unsigned long entry, unsigned long nr, struct kexec_segment *segs,
		  unsigned long flags)
{
	long r = syscall(SYS_kexec_load, entry, nr, segs, flags);

	return r < 0 ? errno : 0;
}

static struct kexec_segment seg(const void *buf, size_t bufsz, unsigned long mem, size_t memsz)
{
	struct kexec_segment s = { .buf = buf, .bufsz = bufsz, .mem = (void *)mem, .memsz = memsz };

	return s;
}

static long load_good(int crash)
{
	unsigned long mem = crash ? crash_start + (64UL << 20) : NORMAL_BASE;
	struct kexec_segment s = seg(ubuf, PAGE, mem, PAGE);

	return kload(mem, 1, &s, crash ? KEXEC_ON_CRASH : 0);
}

/* Both good images loaded, as every case expects to find them. */
static void restore(void)
{
	if (read_number("/sys/kernel/kexec_loaded") != 1 && load_good(0))
		printf("KDT-ERRNO restore-normal failed\n");
	if (read_number("/sys/kernel/kexec_crash_loaded") != 1 && load_good(1))
		printf("KDT-ERRNO restore-crash failed\n");
}

/* One table case: restore, call, report. */
static void row(const char *name, unsigned long entry, unsigned long nr,
		struct kexec_segment *segs, unsigned long flags)
{
	restore();
	report(name, kload(entry, nr, segs, flags));
}

/* The call made by a child without CAP_SYS_BOOT. */
static void row_unprivileged(const char *name, int crash)
{
	restore();
	report(name, without_cap_sys_boot(load_good, crash));
}

/* Two processes load a large normal image at once until one of them is told EBUSY. */
static void row_concurrent(const char *name)
{
	size_t big = 32UL << 20;
	unsigned char *b = mmap(NULL, big, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	struct kexec_segment s;
	int busy = 0, status, i;
	pid_t pid;

	restore();
	if (b == MAP_FAILED) {
		report(name, ENOMEM);
		return;
	}
	s = seg(b, big, NORMAL_BASE, big);
	pid = fork();
	if (pid == 0) {
		for (i = 0; i < 40; i++)
			if (kload(NORMAL_BASE, 1, &s, 0) == EBUSY)
				_exit(1);
		_exit(0);
	}
	for (i = 0; i < 40 && !busy; i++)
		busy = kload(NORMAL_BASE, 1, &s, 0) == EBUSY;
	waitpid(pid, &status, 0);
	busy |= WIFEXITED(status) && WEXITSTATUS(status) == 1;
	munmap(b, big);
	report(name, busy ? EBUSY : 0);
}

static void row_sysctl(const char *name, const char *path, const char *val)
{
	restore();
	report(name, write_sysctl(path, val));
}

static int find_crash_region(void)
{
	FILE *f = fopen("/proc/iomem", "r");
	char line[256];
	unsigned long a, b;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "Crash kernel") && sscanf(line, " %lx-%lx", &a, &b) == 2) {
			crash_start = a;
			crash_end = b;
			fclose(f);
			return 0;
		}
	fclose(f);
	return -1;
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static uint64_t below(uint64_t n)
{
	return rnd() % n;
}

/* One random list: mostly plausible segments, each field sometimes wrong in one way. */
static void random_case(unsigned long i)
{
	struct kexec_segment s[MAXSEG];
	int crash = below(2);
	unsigned long base = crash ? crash_start : NORMAL_BASE;
	unsigned long n = below(8) == 0 ? below(MAXSEG) : below(5);
	unsigned long flags = crash ? KEXEC_ON_CRASH : 0, entry, k;
	char name[32];

	for (k = 0; k < n; k++) {
		unsigned long mem = base + below(256) * PAGE, memsz = below(16) * PAGE, bufsz;
		const void *buf = ubuf;

		switch (below(24)) {
		case 0: mem += below(PAGE); break;
		case 1: memsz += 1 + below(PAGE - 1); break;
		case 2: mem = -PAGE * (1 + below(4)); memsz = 8 * PAGE; break;
		case 3: mem = 1UL << (47 + below(16)); break;
		case 4: memsz = (ram_pages / 2 + below(ram_pages)) * PAGE; break;
		case 5: mem = crash ? crash_end + 1 - below(4) * PAGE : 0; break;
		case 6: mem = crash ? crash_start - PAGE * (1 + below(4)) : mem; break;
		case 7: buf = (const void *)(1 + below(4096)); break;
		case 8: mem = base; break; /* likely to overlap another */
		}
		bufsz = below(8) == 0 ? memsz + 1 + below(PAGE) : below(memsz + 1);
		if (bufsz > UBUF_SIZE)
			bufsz = UBUF_SIZE;
		s[k] = seg(buf, bufsz, mem, memsz);
	}
	switch (below(16)) {
	case 0: flags |= 1UL << (1 + below(10)); break;
	case 1: flags |= below(300) << 16; break;
	case 2: flags |= KEXEC_ARCH_X86_64; break;
	}
	entry = below(8) == 0 ? rnd() : (n ? (unsigned long)s[0].mem : base);
	snprintf(name, sizeof(name), "r%lu", i);
	restore();
	printf("KDT-ERRNO %s %s\n", name, ename(kload(entry, n, s, flags)));
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/*
 * kexec-errno --time MIB REPEATS: the kexec_load time of a normal image of MIB MiB in two
 * segments (a kernel-sized one and the rest, as kexec -l loads a kernel and an initrd), REPEATS
 * times, each line "KDT-LOAD <seconds>".
 */
static int time_loads(unsigned long mib, unsigned long repeats)
{
	size_t size = mib << 20, first = size / 4 & ~(PAGE - 1);
	unsigned char *b = mmap(NULL, size, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	struct kexec_segment s[2];
	unsigned long k;

	if (b == MAP_FAILED)
		return 1;
	memset(b, 0x5a, size);
	s[0] = seg(b, first, NORMAL_BASE, first);
	s[1] = seg(b + first, size - first, NORMAL_BASE + (64UL << 20), size - first);
	for (k = 0; k < repeats; k++) {
		double t0 = now();
		long e = kload(NORMAL_BASE, 2, s, 0);

		printf("KDT-LOAD %.6f %s\n", now() - t0, ename(e));
		if (e)
			return 1;
	}
	return 0;
}

/* The first "<key> <number>" value of each line of a proc file that starts with key, summed. */
static long sum_field(const char *path, const char *key)
{
	FILE *f = fopen(path, "r");
	char line[160];
	size_t n = strlen(key);
	long v, sum = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		const char *p = line + strspn(line, " ");

		if (!strncmp(p, key, n) && sscanf(p + n, " %ld", &v) == 1)
			sum += v;
	}
	fclose(f);
	return sum;
}

/*
 * Free memory in KiB, counted so that where the allocator keeps a free page does not matter:
 * MemFree after the per-CPU counter deltas are folded in (any write to vm/stat_refresh), plus
 * the pages on the per-CPU free lists, which MemFree leaves out. Since 6.7 those lists grow
 * under bursts of frees to an eighth of the zone a CPU and shrink again a second at a time, so
 * MemFree alone moves by tens of MiB between two reads of the same state.
 */
static long memfree_kib(void)
{
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);
	long memfree, pcp;

	if (fd < 0 || write(fd, "1", 1) != 1) {
		perror("vm/stat_refresh");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	memfree = sum_field("/proc/meminfo", "MemFree:");
	pcp = sum_field("/proc/zoneinfo", "count:");
	if (memfree < 0 || pcp < 0)
		return -1;
	return memfree + pcp * (PAGE / 1024);
}

/*
 * The most of FREE_READS reads of memfree_kib(). Some hundred KiB come and go between two reads
 * of an idle guest (the same in C and Rust); the most seen is the free memory that stays.
 */
#define FREE_READS 5
static long most_free_kib(void)
{
	long most = -1, v;
	int i;

	for (i = 0; i < FREE_READS; i++) {
		v = memfree_kib();
		if (v < 0)
			return -1;
		if (v > most)
			most = v;
	}
	return most;
}

/*
 * kexec-errno --cycles N MIB: N cycles of loading and unloading a normal image and a crash
 * image of MIB MiB each (two segments, as a kernel and an initrd), with "KDT-MEMFREE <cycle>
 * <kB>" (most_free_kib(), -1 if unreadable) after the first 20 cycles and after the last, and
 * "KDT-CYCLES <errno>" at the end.
 */
static int cycles(unsigned long n, unsigned long mib)
{
	size_t size = mib << 20, first = size / 4 & ~(PAGE - 1);
	unsigned char *b = mmap(NULL, size, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	struct kexec_segment sn[2], sc[2];
	unsigned long k, cbase = crash_start + (32UL << 20);
	long e = 0;

	if (b == MAP_FAILED)
		return 1;
	memset(b, 0xa5, size);
	sn[0] = seg(b, first, NORMAL_BASE, first);
	sn[1] = seg(b + first, size - first, NORMAL_BASE + (64UL << 20), size - first);
	sc[0] = seg(b, first, cbase, first);
	sc[1] = seg(b + first, size - first, cbase + first + (4UL << 20), size - first);
	for (k = 1; k <= n && !e; k++) {
		e = kload(NORMAL_BASE, 2, sn, 0);
		if (!e)
			e = kload(0, 0, NULL, 0);
		if (!e)
			e = kload(cbase, 2, sc, KEXEC_ON_CRASH);
		if (!e)
			e = kload(0, 0, NULL, KEXEC_ON_CRASH);
		if (k == 20 || k == n)
			printf("KDT-MEMFREE %lu %ld\n", k, most_free_kib());
	}
	printf("KDT-CYCLES %s\n", ename(e));
	return e ? 1 : 0;
}

static long crash_size(void)
{
	return read_number("/sys/kernel/kexec_crash_size");
}

/* Writes /sys/kernel/kexec_crash_size; the errno, or 0. */
static long shrink_to(long size)
{
	char text[32];
	int fd = open("/sys/kernel/kexec_crash_size", O_WRONLY);
	int n = snprintf(text, sizeof(text), "%ld\n", size);
	long e = 0;

	if (fd < 0)
		return errno;
	if (write(fd, text, n) != n)
		e = errno;
	close(fd);
	return e;
}

/*
 * kexec-errno --race-shrink N MIB: N times, a child process loads a crash image whose one
 * MIB MiB segment ends where the crashkernel region ends, while this process shrinks the
 * region by a page at a random moment of that load (no crash image is loaded before). One
 * line an attempt:
 *
 *   KDT-RACE <k> load=<errno> shrink=<errno> loaded=<0|1> size=<before>-><after>
 *
 * A load and a shrink cannot both succeed: the shrink frees the segment's last page, so
 * either the load saw the smaller region and refused the segment, or the shrink found the
 * load in progress (or its image loaded) and was refused. Both succeeding leaves a crash
 * image in memory the kernel has given back: that attempt's line ends in " BAD". The delays
 * are drawn from 0 to 1.5 times the load's own time, measured first; SEED is fixed, so a
 * flavour's runs are alike.
 */
static int race_shrink(unsigned long n, unsigned long mib)
{
	size_t size = mib << 20;
	unsigned char *b = mmap(NULL, size, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	unsigned long k, bad = 0, delay_us;
	struct kexec_segment s;
	long before, e, load;
	double t0, took;
	int status;
	pid_t pid;

	if (b == MAP_FAILED)
		return 1;
	memset(b, 0x3c, size);
	rng_state = 0x5eed;
	if (kload(0, 0, NULL, KEXEC_ON_CRASH))
		return 1;
	/* How long one such load takes, undisturbed: the last of three (the first is slower). */
	before = crash_size();
	s = seg(b, size, crash_start + before - size, size);
	for (k = 0; k < 3; k++) {
		t0 = now();
		e = kload((unsigned long)s.mem, 1, &s, KEXEC_ON_CRASH);
		took = now() - t0;
		printf("KDT-RACE-LOAD %.6f %s\n", took, ename(e));
		if (e || kload(0, 0, NULL, KEXEC_ON_CRASH))
			return 1;
	}
	for (k = 0; k < n; k++) {
		before = crash_size();
		s = seg(b, size, crash_start + before - size, size);
		delay_us = below(1 + (unsigned long)(took * 1.5e6));
		fflush(stdout);
		pid = fork();
		if (pid < 0)
			return 1;
		if (!pid)
			_exit((int)kload((unsigned long)s.mem, 1, &s, KEXEC_ON_CRASH));
		usleep(delay_us);
		e = shrink_to(before - PAGE);
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
			return 1;
		load = WEXITSTATUS(status);
		status = (int)read_number("/sys/kernel/kexec_crash_loaded");
		printf("KDT-RACE %lu load=%s", k, ename(load));
		printf(" shrink=%s loaded=%d size=%ld->%ld delay_us=%lu%s\n", ename(e), status,
		       before, crash_size(), delay_us, !load && !e ? " BAD" : "");
		bad += !load && !e;
		if (status == 1 && kload(0, 0, NULL, KEXEC_ON_CRASH))
			return 1;
	}
	printf("KDT-RACE-DONE bad=%lu\n", bad);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct kexec_segment s[MAXSEG];
	unsigned long count, cs, ce, k;
	struct sysinfo si;

	if (argc == 4 && !strcmp(argv[1], "--time"))
		return time_loads(strtoul(argv[2], NULL, 0), strtoul(argv[3], NULL, 0));
	if (argc == 4 && !strcmp(argv[1], "--cycles"))
		return find_crash_region() ? 1 :
			cycles(strtoul(argv[2], NULL, 0), strtoul(argv[3], NULL, 0));
	if (argc == 4 && !strcmp(argv[1], "--race-shrink"))
		return find_crash_region() ? 1 :
			race_shrink(strtoul(argv[2], NULL, 0), strtoul(argv[3], NULL, 0));
	if (argc != 3) {
		fprintf(stderr, "usage: kexec-errno SEED COUNT | --time MIB REPEATS | "
			"--cycles N MIB | --race-shrink N MIB\n");
		return 2;
	}
	rng_state = strtoull(argv[1], NULL, 0) | 1;
	count = strtoul(argv[2], NULL, 0);
	ubuf = calloc(1, UBUF_SIZE);
	if (!ubuf || find_crash_region() || sysinfo(&si)) {
		fprintf(stderr, "kexec-errno: no crashkernel region or no memory\n");
		return 1;
	}
	ram_pages = si.totalram / PAGE * si.mem_unit;
	cs = crash_start;
	ce = crash_end;
	printf("KDT-ERRNO-INFO crash=%#lx-%#lx ram_pages=%lu\n", cs, ce, ram_pages);

	/* The flags and the count (kexec_load_check, the syscall). */
	s[0] = seg(ubuf, PAGE, NORMAL_BASE, PAGE);
	row("ok-normal", NORMAL_BASE, 1, s, 0);
	row("ok-arch-x86_64", NORMAL_BASE, 1, s, KEXEC_ARCH_X86_64);
	row("flags-unknown", NORMAL_BASE, 1, s, 0x100);
	row("flags-preserve-context", NORMAL_BASE, 1, s, KEXEC_PRESERVE_CONTEXT);
	row("arch-i386", NORMAL_BASE, 1, s, KEXEC_ARCH_386);
	row("arch-unknown", NORMAL_BASE, 1, s, 0x7fffUL << 16);
	for (k = 0; k < 17; k++)
		s[k] = seg(ubuf, PAGE, NORMAL_BASE + 2 * k * PAGE, PAGE);
	row("segments-16", NORMAL_BASE, 16, s, 0);
	row("segments-17", NORMAL_BASE, 17, s, 0);
	row("segments-array-unmapped", NORMAL_BASE, 1, (struct kexec_segment *)8, 0);

	/* The segment list (sanity_check_segment_list). */
	s[0] = seg(ubuf, PAGE, NORMAL_BASE + 100, PAGE);
	row("mem-misaligned", NORMAL_BASE, 1, s, 0);
	s[0] = seg(ubuf, 100, NORMAL_BASE, PAGE + 100);
	row("memsz-misaligned", NORMAL_BASE, 1, s, 0);
	s[0] = seg(ubuf, PAGE, -4 * PAGE, 8 * PAGE);
	row("mem-wraps", NORMAL_BASE, 1, s, 0);
	s[0] = seg(ubuf, PAGE, 1UL << 62, PAGE);
	row("mem-beyond-limit", NORMAL_BASE, 1, s, 0);
	s[0] = seg(ubuf, PAGE, NORMAL_BASE, 4 * PAGE);
	s[1] = seg(ubuf, PAGE, NORMAL_BASE + 3 * PAGE, 4 * PAGE);
	row("overlap", NORMAL_BASE, 2, s, 0);
	s[0] = seg(ubuf, 2 * PAGE, NORMAL_BASE, PAGE);
	row("bufsz-over-memsz", NORMAL_BASE, 1, s, 0);
	s[0] = seg(ubuf, 0, NORMAL_BASE, (ram_pages / 2 + 1) * PAGE);
	row("segment-over-half-ram", NORMAL_BASE, 1, s, 0);
	s[0] = seg(ubuf, 0, NORMAL_BASE, (ram_pages / 3) * PAGE);
	s[1] = seg(ubuf, 0, NORMAL_BASE + (ram_pages / 3 + 1) * PAGE, (ram_pages / 3) * PAGE);
	row("segments-over-half-ram", NORMAL_BASE, 2, s, 0);
	s[0] = seg(ubuf, 0, NORMAL_BASE, 0);
	row("memsz-zero", NORMAL_BASE, 1, s, 0);
	s[0] = seg((void *)16, PAGE, NORMAL_BASE, PAGE);
	row("buf-unmapped", NORMAL_BASE, 1, s, 0);
	s[0] = seg(ubuf, UBUF_SIZE, NORMAL_BASE, UBUF_SIZE);
	row("ok-normal-256k", NORMAL_BASE, 1, s, 0);

	/* Crash images: entry and segments inside crashk_res, copied straight there. */
	s[0] = seg(ubuf, PAGE, cs + (32UL << 20), PAGE);
	row("ok-crash", cs + (32UL << 20), 1, s, KEXEC_ON_CRASH);
	row("ok-crash-update-elfcorehdr", cs + (32UL << 20), 1, s,
	    KEXEC_ON_CRASH | KEXEC_UPDATE_ELFCOREHDR | KEXEC_CRASH_HOTPLUG_SUPPORT);
	row("crash-entry-below", cs - PAGE, 1, s, KEXEC_ON_CRASH);
	row("crash-entry-above", ce + 1, 1, s, KEXEC_ON_CRASH);
	s[0] = seg(ubuf, PAGE, cs - PAGE, PAGE);
	row("crash-segment-below", cs, 1, s, KEXEC_ON_CRASH);
	s[0] = seg(ubuf, PAGE, ce + 1 - PAGE, 2 * PAGE);
	row("crash-segment-straddles-end", cs, 1, s, KEXEC_ON_CRASH);
	s[0] = seg(ubuf, PAGE, cs, PAGE);
	s[1] = seg(ubuf, PAGE, cs, PAGE);
	row("crash-overlap", cs, 2, s, KEXEC_ON_CRASH);
	s[0] = seg(ubuf, 2 * PAGE, cs, PAGE);
	row("crash-bufsz-over-memsz", cs, 1, s, KEXEC_ON_CRASH);
	s[0] = seg((void *)16, PAGE, cs, PAGE);
	row("crash-buf-unmapped", cs, 1, s, KEXEC_ON_CRASH);
	s[0] = seg(ubuf, 0, cs, ce + 1 - cs);
	row("crash-no-room-for-control-page", cs, 1, s, KEXEC_ON_CRASH);
	s[0] = seg(ubuf, PAGE, cs + 4 * PAGE, PAGE + 1);
	row("crash-memsz-misaligned", cs, 1, s, KEXEC_ON_CRASH);

	/* Unloading. */
	row("unload-normal", 0, 0, NULL, 0);
	row("unload-crash", 0, 0, NULL, KEXEC_ON_CRASH);
	row("unload-bad-flags", 0, 0, NULL, 0x100);

	/* Who may load. */
	row_unprivileged("unprivileged-normal", 0);
	row_unprivileged("unprivileged-crash", 1);
	row_concurrent("concurrent-loads");

	for (k = 0; k < count; k++)
		random_case(k);

	/* Cannot be undone: the load limits, then kexec_load_disabled. */
	row_sysctl("limit-reboot-set-1", "/proc/sys/kernel/kexec_load_limit_reboot", "1");
	row_sysctl("limit-reboot-raise", "/proc/sys/kernel/kexec_load_limit_reboot", "5");
	row_sysctl("limit-reboot-negative", "/proc/sys/kernel/kexec_load_limit_reboot", "-2");
	report("limit-reboot-first-load", load_good(0));
	report("limit-reboot-second-load", load_good(0));
	row_sysctl("limit-panic-set-1", "/proc/sys/kernel/kexec_load_limit_panic", "1");
	report("limit-panic-first-load", load_good(1));
	report("limit-panic-second-load", load_good(1));
	report("disabled-set", write_sysctl("/proc/sys/kernel/kexec_load_disabled", "1"));
	report("disabled-clear", write_sysctl("/proc/sys/kernel/kexec_load_disabled", "0"));
	report("disabled-unload", kload(0, 0, NULL, 0));
	printf("KDT-ERRNO-DONE\n");
	return 0;
}
