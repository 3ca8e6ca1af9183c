// SPDX-License-Identifier: GPL-2.0
/*
 * kexec-file-time: the kexec_file_load(2) time of a normal and a crash image, and how long
 * each load holds the kexec lock, seen from userspace (make bench; test only).
 *
 *   kexec-file-time BZIMAGE DIR KERNEL_MIB INITRD_MIB LOADS PROBES
 *
 * Writes into DIR (a tmpfs) a kernel file, the bzImage padded with zeros to KERNEL_MIB MiB or
 * to the most bzImage64_load() takes, whichever is less (the kernel segment is the file after
 * the real-mode part, and may not be longer than PAGE_ALIGN(init_size)), and an initrd of
 * INITRD_MIB MiB. Then, alternating a normal load (kexec -s -l) and a crash load
 * (kexec -s -p) of those files, LOADS of each timed alone, one line a load:
 *
 *   KDT-FLOAD <l|p> <seconds> <errno name, or OK>
 *
 * and PROBES of each with the lock probe running on the other CPU:
 *
 *   KDT-FLOCK <l|p> <seconds> <errno> hold=<s> busy=<share> samples=<n> sample_us=<us>
 *             retries=<n> other=<n>
 *
 * The probe writes the size /sys/kernel/kexec_crash_size shows back to it, as fast as it can.
 * crash_shrink_memory() takes the kexec lock with kexec_trylock() first and gives EBUSY while
 * someone else holds it; otherwise, with the same size, it changes nothing (0, or ENOENT while
 * a crash image is loaded). A run of EBUSY samples is the lock held: hold= is the longest
 * such run in the load, from the end of the last sample that found the lock free to the start
 * of the next one that did (within a sample of the truth: sample_us= is their mean time);
 * busy= is the share of the load's samples that found it held; other= counts answers that are
 * none of these. The probe holds the lock itself for a moment each sample, so a load may find
 * it taken and give EBUSY: such a load is made again (retries=).
 *
 * The first line is "KDT-FLOAD-INFO kernel=<bytes> initrd=<bytes> init_size=<bytes>".
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kexec.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kdt-errno.h"

#define PAGE 4096UL
#define MIB (1UL << 20)
/* Setup-header fields: their offsets in the file (Documentation/arch/x86/boot.rst). */
#define SETUP_SECTS 0x1f1
#define INIT_SIZE 0x260
#define CRASH_SIZE "/sys/kernel/kexec_crash_size"
#define MAX_RETRIES 50

static const char cmdline[] = "console=ttyS0 kdt.role=none";

/* What the probe saw in one load's window (written by the probe, read once it is done). */
struct window {
	long samples, busy, other;
	double sample_time; /* the samples' summed duration */
	double hold;        /* the longest run of EBUSY, between free samples */
};

/* The window protocol: the loader opens it, asks it closed; the probe says it is closed. */
enum { IDLE, OPEN, CLOSING, CLOSED };

static atomic_int state = IDLE;
static atomic_int quit;
static struct window win;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

static long kfload(int kfd, int ifd, unsigned long flags)
{
	long r = syscall(SYS_kexec_file_load, kfd, ifd, sizeof(cmdline), cmdline, flags);

	return r < 0 ? errno : 0;
}

/*
 * The probe, on CPU 0: samples until told to quit, and accounts the samples of an open
 * window. A window closes at the first free sample after the loader asked: the lock is
 * released before the syscall returns, so that sample ends the last run.
 */
static void *probe(void *arg)
{
	const char *size = arg;
	size_t len = strlen(size);
	int fd = open(CRASH_SIZE, O_WRONLY);
	double last_free = now(), run_start = 0;
	int in_run = 0;

	if (fd < 0)
		die(CRASH_SIZE);
	pin(0);
	while (!atomic_load(&quit)) {
		double t0 = now(), t1;
		long e = pwrite(fd, size, len, 0) < 0 ? errno : 0;
		int s = atomic_load(&state);

		t1 = now();
		if (s == OPEN || s == CLOSING) {
			win.samples++;
			win.sample_time += t1 - t0;
			if (e == EBUSY)
				win.busy++;
			else if (e && e != ENOENT)
				win.other++;
		}
		if (e == EBUSY) {
			if (!in_run)
				run_start = last_free;
			in_run = 1;
			continue;
		}
		if (in_run && (s == OPEN || s == CLOSING) && t0 - run_start > win.hold)
			win.hold = t0 - run_start;
		in_run = 0;
		last_free = t1;
		if (s == CLOSING)
			atomic_store(&state, CLOSED);
	}
	close(fd);
	return NULL;
}

/* One load; with the probe, made again while the probe's own hold of the lock refused it. */
static void load(const char *kind, int kfd, int ifd, unsigned long flags, int probed)
{
	long e, retries = -1;
	double t0, took;

	do {
		retries++;
		memset(&win, 0, sizeof(win));
		if (probed)
			atomic_store(&state, OPEN);
		t0 = now();
		e = kfload(kfd, ifd, flags);
		took = now() - t0;
		if (probed) {
			atomic_store(&state, CLOSING);
			while (atomic_load(&state) != CLOSED)
				;
			atomic_store(&state, IDLE);
		}
	} while (probed && e == EBUSY && retries < MAX_RETRIES);
	if (!probed) {
		printf("KDT-FLOAD %s %.6f %s\n", kind, took, ename(e));
	} else {
		printf("KDT-FLOCK %s %.6f %s hold=%.6f busy=%.4f samples=%ld sample_us=%.2f "
		       "retries=%ld other=%ld\n", kind, took, ename(e), win.hold,
		       win.samples ? (double)win.busy / win.samples : 0, win.samples,
		       win.samples ? 1e6 * win.sample_time / win.samples : 0, retries, win.other);
	}
	fflush(stdout);
	if (e)
		exit(1);
}

/* DIR/name of size bytes: the first len bytes of buf, then fill bytes; opened read-only. */
static int make_file(const char *dir, const char *name, const unsigned char *buf, size_t len,
		     size_t size, int fill)
{
	unsigned char *b = malloc(size);
	char path[256];
	int fd;

	if (!b)
		die("malloc");
	memcpy(b, buf, len < size ? len : size);
	if (size > len)
		memset(b + len, fill, size - len);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, b, size) != (ssize_t)size || close(fd))
		die(path);
	free(b);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		die(path);
	return fd;
}

int main(int argc, char **argv)
{
	unsigned long loads, probes, k, init_size, most;
	size_t bz_len, kernel_len, initrd_len;
	char size[32];
	unsigned char *bz;
	pthread_t t;
	int kfd, ifd;
	long crash;

	if (argc != 7) {
		fprintf(stderr, "usage: kexec-file-time BZIMAGE DIR KERNEL_MIB INITRD_MIB LOADS "
			"PROBES\n");
		return 2;
	}
	bz = read_whole(argv[1], &bz_len);
	if (bz_len < INIT_SIZE + 4)
		die("bzImage too short");
	init_size = bz[INIT_SIZE] | bz[INIT_SIZE + 1] << 8 | bz[INIT_SIZE + 2] << 16 |
		    (unsigned long)bz[INIT_SIZE + 3] << 24;
	/* bzImage64_load(): setup_sects 0 means 4; the kernel segment's memsz bounds its bufsz. */
	most = ((bz[SETUP_SECTS] ? bz[SETUP_SECTS] : 4) + 1) * 512UL +
	       ((init_size + PAGE - 1) & ~(PAGE - 1));
	kernel_len = strtoul(argv[3], NULL, 0) * MIB;
	if (kernel_len > most)
		kernel_len = most;
	if (kernel_len < bz_len)
		kernel_len = bz_len;
	initrd_len = strtoul(argv[4], NULL, 0) * MIB;
	loads = strtoul(argv[5], NULL, 0);
	probes = strtoul(argv[6], NULL, 0);
	kfd = make_file(argv[2], "kernel", bz, bz_len, kernel_len, 0);
	free(bz);
	ifd = make_file(argv[2], "initrd", NULL, 0, initrd_len, 0x5a);
	printf("KDT-FLOAD-INFO kernel=%zu initrd=%zu init_size=%lu\n", kernel_len, initrd_len,
	       init_size);
	fflush(stdout);

	pin(1);
	for (k = 0; k < loads; k++) {
		load("l", kfd, ifd, 0, 0);
		load("p", kfd, ifd, KEXEC_FILE_ON_CRASH, 0);
	}
	if (!probes)
		return 0;
	crash = read_number(CRASH_SIZE);
	if (crash < 0)
		die(CRASH_SIZE);
	snprintf(size, sizeof(size), "%ld\n", crash);
	if (pthread_create(&t, NULL, probe, size))
		die("pthread_create");
	for (k = 0; k < probes; k++) {
		load("l", kfd, ifd, 0, 1);
		load("p", kfd, ifd, KEXEC_FILE_ON_CRASH, 1);
	}
	atomic_store(&quit, 1);
	pthread_join(t, NULL);
	return 0;
}
