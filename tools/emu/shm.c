// SPDX-License-Identifier: MIT
/*
 * The shared memory behind BAR2: a memfd that QEMU maps for the guest.
 * The device writes the header once, before any host can connect, and
 * owns the layout; the mailbox follows on its own page.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "emu.h"

_Static_assert(EMU_MBOX_OFFSET % 8 == 0, "mailbox must be 8-byte aligned");
_Static_assert(EMU_MBOX_OFFSET >= sizeof(struct ofs_hw_header),
	       "mailbox overlaps the header");
_Static_assert(EMU_MBOX_OFFSET + sizeof(struct ofs_hw_mbox) <= OFS_HW_SHM_MIN,
	       "mailbox does not fit the smallest BAR2");

/* BAR2 sizes must be powers of two; the header holds 32 bits. */
bool emu_shm_size_valid(uint64_t size)
{
	return size >= OFS_HW_SHM_MIN && size <= EMU_MAX_SHM_SIZE &&
	       (size & (size - 1)) == 0;
}

static void init_header(struct ofs_hw_header *hdr, uint32_t size)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->magic = htole32(OFS_HW_MAGIC);
	hdr->abi_major = htole16(OFS_HW_ABI_MAJOR);
	hdr->abi_minor = htole16(OFS_HW_ABI_MINOR);
	hdr->header_size = htole32(sizeof(*hdr));
	hdr->shm_size = htole32(size);
	hdr->device_peer = htole32(EMU_DEVICE_PEER);
	hdr->num_vectors = htole32(OFS_HW_NUM_VECTORS);
	hdr->mbox_offset = htole32(EMU_MBOX_OFFSET);
	hdr->mbox_size = htole32(sizeof(struct ofs_hw_mbox));
}

int emu_shm_create(struct emu_shm *shm, uint32_t size)
{
	void *p;
	int r;

	shm->base = NULL;
	shm->fd = -1;
	if (!emu_shm_size_valid(size))
		return -EINVAL;
	shm->fd = memfd_create("offload-sec-shm",
			       MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (shm->fd < 0)
		return -errno;
	if (ftruncate(shm->fd, size) < 0)
		goto close_fd;
	/* A client that shrank the file would make our accesses SIGBUS. */
	if (fcntl(shm->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0)
		goto close_fd;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, shm->fd, 0);
	if (p == MAP_FAILED)
		goto close_fd;
	shm->base = p;
	shm->size = size;
	init_header(p, size);
	return 0;

close_fd:
	r = -errno;
	close(shm->fd);
	shm->fd = -1;
	return r;
}

void emu_shm_destroy(struct emu_shm *shm)
{
	if (shm->base)
		munmap(shm->base, shm->size);
	if (shm->fd >= 0)
		close(shm->fd);
	shm->base = NULL;
	shm->fd = -1;
}

struct ofs_hw_mbox *emu_shm_mbox(const struct emu_shm *shm)
{
	return (struct ofs_hw_mbox *)(shm->base + EMU_MBOX_OFFSET);
}
