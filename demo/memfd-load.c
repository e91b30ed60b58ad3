// SPDX-License-Identifier: MIT
/*
 * memfd-load: copies boot components into a new memfd and runs a command
 * on it with the environment `offload-sec launch --memfd --exec` gives a
 * VMM (tools/cli/launch-exec.c), but with no card and no verifier: the
 * kernel at offset 0, each further component at the next page.  It tests
 * demo/boot-vm on its own, and it is the plain copy into guest memory that
 * the launch benchmarks compare with.  Unlike the CLI it exports no
 * OFFLOAD_SEC_<KIND>_SHA256 (nothing was attested), and OFFLOAD_SEC_<KIND>
 * names the file the component came from, not a sealed copy.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PAGE	4096u
#define CMDLINE_TEXT_MAX 4096

enum { KERNEL, INITRD, CMDLINE, NUM_KINDS };

static const char *const env_names[NUM_KINDS] = { "KERNEL", "INITRD", "CMDLINE" };

struct component {
	const char *path;		/* NULL: absent */
	uint64_t offset;
	uint64_t size;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: memfd-load [--initrd FILE] [--cmdline FILE] [--size N] [--quiet]\n"
		"                  KERNEL COMMAND [ARG...]\n"
		"Copies KERNEL (at offset 0), then INITRD and CMDLINE (each at the next\n"
		"page) into a new memfd of at least N bytes, then runs COMMAND with it\n"
		"inherited as $OFFLOAD_SEC_MEMFD and OFFLOAD_SEC_<KIND>_OFFSET/_SIZE set.\n"
		"Says on stderr how long the copy took, unless --quiet.\n");
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Sizes from the files; offsets page by page.  Returns the end. */
static int lay_out(struct component comp[NUM_KINDS], uint64_t *end)
{
	struct stat st;
	uint64_t next = 0;
	int k;

	for (k = 0; k < NUM_KINDS; k++) {
		if (!comp[k].path)
			continue;
		if (stat(comp[k].path, &st)) {
			int r = -errno;

			fprintf(stderr, "memfd-load: %s: %s\n", comp[k].path, strerror(-r));
			return r;
		}
		if (!S_ISREG(st.st_mode) || st.st_size == 0) {
			fprintf(stderr, "memfd-load: %s: not a regular file with content\n",
				comp[k].path);
			return -EINVAL;
		}
		comp[k].offset = next;
		comp[k].size = (uint64_t)st.st_size;
		next = (comp[k].offset + comp[k].size + PAGE - 1) / PAGE * PAGE;
	}
	*end = next;
	return 0;
}

static int copy_in(const struct component *c, uint8_t *map)
{
	uint64_t done = 0;
	ssize_t n;
	int fd, r = 0;

	fd = open(c->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		fprintf(stderr, "memfd-load: %s: %s\n", c->path, strerror(-r));
		return r;
	}
	while (done < c->size) {
		n = read(fd, map + c->offset + done, c->size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			fprintf(stderr, "memfd-load: %s: %s\n", c->path,
				n < 0 ? strerror(errno) : "shorter than it was a moment ago");
			break;
		}
		done += (uint64_t)n;
	}
	close(fd);
	return r;
}

/* The memfd stays open across exec: it is the command's guest memory. */
static int fill_memfd(const struct component comp[NUM_KINDS], uint64_t size)
{
	uint8_t *map;
	int fd, k, r = 0;

	fd = memfd_create("memfd-load", MFD_ALLOW_SEALING);
	if (fd < 0) {
		r = -errno;
		fprintf(stderr, "memfd-load: memfd_create: %s\n", strerror(-r));
		return r;
	}
	if (ftruncate(fd, (off_t)size)) {
		r = -errno;
		fprintf(stderr, "memfd-load: a memfd of %" PRIu64 " bytes: %s\n", size,
			strerror(errno));
		goto close_fd;
	}
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		r = -errno;
		fprintf(stderr, "memfd-load: mmap: %s\n", strerror(errno));
		goto close_fd;
	}
	for (k = 0; k < NUM_KINDS && !r; k++)
		if (comp[k].path)
			r = copy_in(&comp[k], map);
	munmap(map, size);
	if (!r)
		return fd;
close_fd:
	close(fd);
	return r;
}

/* The command line as text, as the CLI exports it: without trailing
 * newlines or NULs, and only when no NUL is left inside. */
static int export_cmdline_text(const char *path)
{
	char text[CMDLINE_TEXT_MAX + 1];
	size_t n;
	FILE *f;

	if (unsetenv("OFFLOAD_SEC_CMDLINE_TEXT"))
		return -errno;
	f = fopen(path, "rb");
	if (!f)
		return -errno;
	n = fread(text, 1, CMDLINE_TEXT_MAX, f);
	fclose(f);
	while (n && (text[n - 1] == '\0' || text[n - 1] == '\n'))
		n--;
	text[n] = '\0';
	if (strlen(text) != n)
		return 0;
	return setenv("OFFLOAD_SEC_CMDLINE_TEXT", text, 1) ? -errno : 0;
}

/* OFFLOAD_SEC_<KIND><suffix>; absent components leave nothing behind. */
static int export_value(int kind, const char *suffix, const char *value)
{
	char name[64];

	snprintf(name, sizeof(name), "OFFLOAD_SEC_%s%s", env_names[kind], suffix);
	if (!value)
		return unsetenv(name) ? -errno : 0;
	return setenv(name, value, 1) ? -errno : 0;
}

static int set_environment(int fd, const struct component comp[NUM_KINDS], uint64_t size)
{
	char offset[32], length[32], value[32];
	int k, r = 0;

	snprintf(value, sizeof(value), "/proc/self/fd/%d", fd);
	if (setenv("OFFLOAD_SEC_MEMFD", value, 1) || setenv("OFFLOAD_SEC_OFFSET", "0", 1))
		return -errno;
	snprintf(value, sizeof(value), "%" PRIu64, size);
	if (setenv("OFFLOAD_SEC_SIZE", value, 1))
		return -errno;
	for (k = 0; k < NUM_KINDS && !r; k++) {
		const char *path = comp[k].path;

		snprintf(offset, sizeof(offset), "%" PRIu64, comp[k].offset);
		snprintf(length, sizeof(length), "%" PRIu64, comp[k].size);
		r = export_value(k, "", path);
		r = r ?: export_value(k, "_OFFSET", path ? offset : NULL);
		r = r ?: export_value(k, "_SIZE", path ? length : NULL);
		r = r ?: export_value(k, "_SHA256", NULL);
	}
	if (!r && comp[CMDLINE].path)
		r = export_cmdline_text(comp[CMDLINE].path);
	return r;
}

static int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *s == '-')
		return -EINVAL;
	switch (*end) {
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	}
	if (*end || v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "initrd", required_argument, NULL, 'i' },
		{ "cmdline", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct component comp[NUM_KINDS] = { { 0 } };
	uint64_t size = 0, end = 0, start;
	int c, fd, r, quiet = 0;

	/* "+": options end at KERNEL; what follows belongs to COMMAND. */
	while ((c = getopt_long(argc, argv, "+qh", options, NULL)) != -1) {
		switch (c) {
		case 'i': comp[INITRD].path = optarg; break;
		case 'c': comp[CMDLINE].path = optarg; break;
		case 'q': quiet = 1; break;
		case 's':
			if (parse_size(optarg, &size)) {
				fprintf(stderr, "memfd-load: --size: '%s' is not a size (N, NK, NM, NG)\n",
					optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind < 2) {
		usage(stderr);
		return 2;
	}
	comp[KERNEL].path = argv[optind];
	if (lay_out(comp, &end))
		return 1;
	if (size && size < end) {
		fprintf(stderr, "memfd-load: --size %" PRIu64 " is less than the %" PRIu64
			" bytes the components take\n", size, end);
		return 2;
	}
	start = now_ns();
	fd = fill_memfd(comp, size ? size : end);
	if (fd < 0)
		return 1;
	if (!quiet)
		fprintf(stderr, "memfd-load: %" PRIu64 " bytes copied into a memfd in %.3f ms\n",
			comp[KERNEL].size + comp[INITRD].size + comp[CMDLINE].size,
			(double)(now_ns() - start) / 1e6);
	r = set_environment(fd, comp, size ? size : end);
	if (r) {
		fprintf(stderr, "memfd-load: setting the environment: %s\n", strerror(-r));
		return 1;
	}
	execvp(argv[optind + 1], argv + optind + 1);
	fprintf(stderr, "memfd-load: %s: %s\n", argv[optind + 1], strerror(errno));
	return 127;
}
