// SPDX-License-Identifier: MIT
/*
 * Guest RAM, as the device sees it by DMA.  QEMU backs it with a shared
 * file (memory-backend-file,share=on) that we map too.  A guest-physical
 * (bus) address is the file offset below the PCI hole; RAM past the hole
 * (a pc machine of 3.5 GiB or more) continues at 4 GiB (emu.h).
 *
 * This file is the only place that turns a bus address into a pointer.
 * Every address comes from the host, which we do not trust: each range is
 * checked for overflow, for lying inside RAM and for missing the legacy
 * hole, and scatter-gather lists are copied before they are validated so
 * that the host cannot change them between the check and the use.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu.h"
#include "ofs-stream.h"

static uint64_t ram_below_4g(uint64_t size)
{
	return size < EMU_PC_MAX_RAM_BELOW_4G ? size : EMU_PC_SPLIT_RAM_BELOW_4G;
}

void emu_guest_mem_init_buffer(struct emu_guest_mem *gm, void *buf,
			       uint64_t size)
{
	gm->base = buf;
	gm->size = size;
	gm->low_size = ram_below_4g(size);
	gm->mapped = false;
}

static int map_fd(struct emu_guest_mem *gm, int fd)
{
	struct stat st;
	void *p;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (st.st_size == 0)
		return -ENODATA;
	if ((uint64_t)st.st_size > EMU_GUEST_RAM_MAX)
		return -EFBIG;
	p = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	emu_guest_mem_init_buffer(gm, p, (uint64_t)st.st_size);
	gm->mapped = true;
	return 0;
}

int emu_guest_mem_map_file(struct emu_guest_mem *gm, const char *path)
{
	int fd, r;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = map_fd(gm, fd);
	/* The mapping keeps the file alive; the harness may unlink it. */
	close(fd);
	return r;
}

void emu_guest_mem_release(struct emu_guest_mem *gm)
{
	if (gm->mapped)
		munmap(gm->base, gm->size);
	emu_guest_mem_init_buffer(gm, NULL, 0);
}

/* [start, start + len) lies within [0, size), without a sum that wraps. */
static bool within(uint64_t start, uint64_t len, uint64_t size)
{
	return len <= size && start <= size - len;
}

int emu_guest_mem_range(const struct emu_guest_mem *gm, uint64_t addr,
			uint64_t len, uint8_t **ptr)
{
	uint64_t high_size = gm->size - gm->low_size;

	if (len == 0)
		return -EFAULT;
	if (within(addr, len, gm->low_size)) {
		if (addr < EMU_LEGACY_HOLE_END && addr + len > EMU_LEGACY_HOLE_START)
			return -EFAULT;
		*ptr = gm->base + addr;
		return 0;
	}
	if (addr >= EMU_RAM_ABOVE_4G_START &&
	    within(addr - EMU_RAM_ABOVE_4G_START, len, high_size)) {
		*ptr = gm->base + gm->low_size + (addr - EMU_RAM_ABOVE_4G_START);
		return 0;
	}
	return -EFAULT;
}

/* Validates one descriptor (already copied out of guest memory). */
static int check_sg(const struct emu_guest_mem *gm, const struct ofs_hw_sg *sg,
		    uint64_t *total)
{
	uint32_t len = le32toh(sg->len);
	uint8_t *p;

	if (len == 0 || sg->reserved != 0)
		return -EINVAL;
	if (emu_guest_mem_range(gm, le64toh(sg->addr), len, &p) < 0)
		return -EFAULT;
	if (*total > UINT64_MAX - len)
		return -EINVAL;
	*total += len;
	return 0;
}

/* Copies the descriptors out: the host may rewrite them while we work. */
static int read_sg(const struct emu_guest_mem *gm, uint64_t addr,
		   uint32_t nents, struct ofs_hw_sg **ret)
{
	size_t bytes = (size_t)nents * sizeof(struct ofs_hw_sg);
	struct ofs_hw_sg *sg;
	uint8_t *src;
	int r;

	r = emu_guest_mem_range(gm, addr, bytes, &src);
	if (r < 0)
		return r;
	sg = malloc(bytes);
	if (!sg)
		return -ENOMEM;
	memcpy(sg, src, bytes);
	*ret = sg;
	return 0;
}

static int walk(const struct emu_guest_mem *gm, const struct ofs_hw_sg *sg,
		uint32_t nents, emu_sg_fn fn, void *opaque)
{
	uint32_t i;
	uint8_t *p;
	int r;

	for (i = 0; i < nents; i++) {
		/* Cannot fail: check_sg() accepted the same copy. */
		r = emu_guest_mem_range(gm, le64toh(sg[i].addr),
					le32toh(sg[i].len), &p);
		if (r < 0)
			return r;
		r = fn(opaque, p, le32toh(sg[i].len));
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * The list's descriptors, copied and every one validated; *ret is NULL
 * for an empty list.
 */
static int copy_sg(const struct emu_guest_mem *gm,
		   const struct ofs_hw_sg_list *list, uint32_t max_nents,
		   struct ofs_hw_sg **ret)
{
	uint32_t nents = le32toh(list->nents), i;
	struct ofs_hw_sg *sg;
	uint64_t total = 0;
	int r;

	*ret = NULL;
	if (nents > max_nents)
		return -E2BIG;
	if (nents == 0)
		return le64toh(list->len) == 0 ? 0 : -EINVAL;
	r = read_sg(gm, le64toh(list->addr), nents, &sg);
	if (r < 0)
		return r;
	for (i = 0; i < nents; i++) {
		r = check_sg(gm, &sg[i], &total);
		if (r < 0)
			goto free_sg;
	}
	if (total != le64toh(list->len)) {
		r = -EINVAL;
		goto free_sg;
	}
	*ret = sg;
	return 0;

free_sg:
	free(sg);
	return r;
}

int emu_guest_mem_walk_sg(const struct emu_guest_mem *gm,
			  const struct ofs_hw_sg_list *list,
			  emu_sg_fn fn, void *opaque)
{
	struct ofs_hw_sg *sg;
	int r;

	r = copy_sg(gm, list, OFS_HW_MAX_SG, &sg);
	if (r < 0 || !sg)
		return r;
	r = walk(gm, sg, le32toh(list->nents), fn, opaque);
	free(sg);
	return r;
}

int emu_guest_mem_iov(const struct emu_guest_mem *gm,
		      const struct ofs_hw_sg_list *list, uint32_t max_nents,
		      struct ofs_iov **iov, size_t *n)
{
	uint32_t nents = le32toh(list->nents), i;
	struct ofs_hw_sg *sg;
	struct ofs_iov *v;
	int r;

	*iov = NULL;
	*n = 0;
	r = copy_sg(gm, list, max_nents, &sg);
	if (r < 0 || !sg)
		return r;
	v = calloc(nents, sizeof(*v));
	if (!v) {
		r = -ENOMEM;
		goto free_sg;
	}
	for (i = 0; i < nents; i++) {
		uint8_t *base;

		/* Cannot fail: copy_sg() accepted the same copy. */
		r = emu_guest_mem_range(gm, le64toh(sg[i].addr),
					le32toh(sg[i].len), &base);
		if (r < 0) {
			free(v);
			*n = 0;
			goto free_sg;
		}
		/*
		 * Pages that happen to be adjacent become one piece: every
		 * piece costs the cipher a call, and a record's 32 bytes of
		 * framing put each page boundary of the source off the
		 * destination's.
		 */
		if (*n && v[*n - 1].base + v[*n - 1].len == base) {
			v[*n - 1].len += le32toh(sg[i].len);
			continue;
		}
		v[*n].base = base;
		v[(*n)++].len = le32toh(sg[i].len);
	}
	*iov = v;
free_sg:
	free(sg);
	return r;
}

uint32_t emu_dma_status(int err)
{
	switch (err) {
	case 0:
		return OFFLOAD_SEC_DS_OK;
	case -E2BIG:
		return OFFLOAD_SEC_DS_BAD_LENGTH;
	case -EFAULT:
	case -EINVAL:
		return OFFLOAD_SEC_DS_BAD_DMA;
	default:
		return OFFLOAD_SEC_DS_INTERNAL;
	}
}
