// SPDX-License-Identifier: GPL-2.0
/*
 * vmcore-check FILE: the /proc/vmcore contract seen from userspace, in the
 * capture kernel, as "KDT: key=value" lines for the host to judge.
 *
 *   mmap_ro       a read-only shared mapping of the first 4 MiB works
 *   mmap_write    PROT_WRITE (MAP_SHARED, on a read-write open, so that the
 *                 VFS lets it through to the provider) is refused: EPERM
 *   mmap_private  PROT_WRITE with MAP_PRIVATE is refused too: EPERM
 *   mmap_exec     PROT_EXEC is refused: EPERM
 *   mmap_beyond   a mapping that runs past the end: EINVAL
 *   read_vs_mmap  pread() at seeded random offsets and lengths (unaligned,
 *                 across the header/notes/memory boundaries and the end of
 *                 the file) returns what the same bytes of a mapping of the
 *                 whole file hold
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *err_name(int e)
{
	switch (e) {
	case 0: return "ok";
	case EPERM: return "EPERM";
	case EINVAL: return "EINVAL";
	case EACCES: return "EACCES";
	case ENOMEM: return "ENOMEM";
	case EAGAIN: return "EAGAIN";
	default: return "other";
	}
}

/* errno name of an mmap of @len bytes at @off with @prot/@flags, "ok" if it maps. */
static const char *try_map(int fd, size_t len, off_t off, int prot, int flags)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	if (p == MAP_FAILED)
		return err_name(errno);
	munmap(p, len);
	return "ok";
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

int main(int argc, char **argv)
{
	long page = sysconf(_SC_PAGESIZE);
	struct stat st;
	unsigned char *all, *buf;
	size_t size, maxlen = 3 << 20;
	int fd, rw, i, bad = 0, probes = 400;

	if (argc != 2 || (fd = open(argv[1], O_RDONLY)) < 0 || fstat(fd, &st)) {
		printf("KDT: vmcore_check=cannot-open\n");
		return 1;
	}
	size = st.st_size;
	printf("KDT: mmap_ro=%s\n", try_map(fd, 4 << 20, 0, PROT_READ, MAP_SHARED));
	rw = open(argv[1], O_RDWR);
	printf("KDT: mmap_write=%s\n", rw < 0 ? "cannot-open-read-write" :
	       try_map(rw, page, 0, PROT_READ | PROT_WRITE, MAP_SHARED));
	if (rw >= 0)
		close(rw);
	printf("KDT: mmap_private=%s\n",
	       try_map(fd, page, 0, PROT_READ | PROT_WRITE, MAP_PRIVATE));
	printf("KDT: mmap_exec=%s\n",
	       try_map(fd, page, 0, PROT_READ | PROT_EXEC, MAP_SHARED));
	printf("KDT: mmap_beyond=%s\n",
	       try_map(fd, 2 * page, (size / page) * page, PROT_READ, MAP_SHARED));

	all = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	buf = malloc(maxlen);
	if (all == MAP_FAILED || !buf) {
		printf("KDT: read_vs_mmap=cannot-map-%s\n", err_name(errno));
		return 1;
	}
	for (i = 0; i < probes; i++) {
		/* A quarter of the probes start in the first 64 KiB: headers and notes. */
		uint64_t off = (i % 4 == 0) ? next() % 65536 : next() % (size + 4096);
		size_t len = next() % ((i % 8 == 0) ? maxlen : 9000);
		size_t want = off >= size ? 0 : (size - off < len ? size - off : len);
		ssize_t got = pread(fd, buf, len, off);

		if (got != (ssize_t)want || (want && memcmp(buf, all + off, want))) {
			if (!bad)
				printf("KDT: read_vs_mmap_first_bad=off:%llu,len:%zu,got:%zd,want:%zu\n",
				       (unsigned long long)off, len, got, want);
			bad++;
		}
	}
	printf("KDT: read_vs_mmap=%s probes=%d bad=%d\n", bad ? "differ" : "ok", probes, bad);
	munmap(all, size);
	close(fd);
	return 0;
}
