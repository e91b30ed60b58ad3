// SPDX-License-Identifier: GPL-2.0
/*
 * DMA of user memory: the device reads and writes the caller's pages in
 * place, through a descriptor list it fetches by DMA as well.  Nothing is
 * copied through kernel buffers.
 */
#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "offload_sec.h"

static_assert(sizeof(struct ofs_hw_sg) == 16);
static_assert(offsetof(struct ofs_hw_sg_list, len) == 16);
static_assert(sizeof(struct ofs_hw_sg_list) == 24);

/*
 * Pins for one command are not FOLL_LONGTERM: they last no longer than
 * the mailbox timeout.  Destinations stay pinned for a session's life, so
 * they are, which first moves them out of movable and CMA memory.
 */
static int pin_pages(struct ofs_dma_buf *buf, unsigned long uaddr,
		     unsigned int gup_flags)
{
	int pinned;

	if (buf->dir == DMA_FROM_DEVICE)
		gup_flags |= FOLL_WRITE;

	buf->pages = kvmalloc_array(buf->npages, sizeof(*buf->pages),
				    GFP_KERNEL);
	if (!buf->pages)
		return -ENOMEM;

	pinned = pin_user_pages_fast(uaddr & PAGE_MASK, buf->npages, gup_flags,
				     buf->pages);
	if (pinned == buf->npages)
		return 0;

	if (pinned > 0)
		unpin_user_pages(buf->pages, pinned);
	kvfree(buf->pages);
	return pinned < 0 ? pinned : -EFAULT;
}

static void unpin_pages(struct ofs_dma_buf *buf)
{
	unpin_user_pages_dirty_lock(buf->pages, buf->npages,
				    buf->dir == DMA_FROM_DEVICE);
}

static int map_pages(struct ofs_dma_buf *buf, unsigned int offset)
{
	unsigned int max_seg;
	int ret;

	/* swiotlb cannot bounce more than dma_max_mapping_size() at once. */
	max_seg = min_t(size_t, dma_max_mapping_size(buf->dev),
			dma_get_max_seg_size(buf->dev));
	ret = sg_alloc_table_from_pages_segment(&buf->sgt, buf->pages,
						buf->npages, offset, buf->len,
						max_seg, GFP_KERNEL);
	if (ret)
		return ret;

	ret = dma_map_sgtable(buf->dev, &buf->sgt, buf->dir, 0);
	if (ret)
		sg_free_table(&buf->sgt);
	return ret;
}

static void unmap_pages(struct ofs_dma_buf *buf)
{
	dma_unmap_sgtable(buf->dev, &buf->sgt, buf->dir, 0);
}

static int build_desc(struct ofs_dma_buf *buf, unsigned int max_nents)
{
	struct scatterlist *sg;
	unsigned int i;

	buf->nents = buf->sgt.nents;
	if (buf->nents > max_nents)
		return -EINVAL;

	buf->desc = dma_alloc_coherent(buf->dev,
				       buf->nents * sizeof(*buf->desc),
				       &buf->desc_dma, GFP_KERNEL);
	if (!buf->desc)
		return -ENOMEM;

	for_each_sgtable_dma_sg(&buf->sgt, sg, i) {
		buf->desc[i].addr = cpu_to_le64(sg_dma_address(sg));
		buf->desc[i].len = cpu_to_le32(sg_dma_len(sg));
		buf->desc[i].reserved = 0;
	}
	return 0;
}

static void free_desc(struct ofs_dma_buf *buf)
{
	dma_free_coherent(buf->dev, buf->nents * sizeof(*buf->desc),
			  buf->desc, buf->desc_dma);
}

static int map_user(struct device *dev, struct ofs_dma_buf *buf, u64 uaddr,
		    u64 len, enum dma_data_direction dir, u64 max_len,
		    unsigned int gup_flags, unsigned int max_nents)
{
	unsigned int offset = offset_in_page(uaddr);
	u64 end;
	int ret;

	memset(buf, 0, sizeof(*buf));
	buf->dev = dev;
	buf->dir = dir;
	if (len > max_len)
		return -EINVAL;
	if (check_add_overflow(uaddr, len, &end) ||
	    !access_ok(u64_to_user_ptr(uaddr), len))
		return -EFAULT;
	if (!len)
		return 0;

	buf->len = len;
	buf->npages = DIV_ROUND_UP(offset + len, PAGE_SIZE);
	ret = pin_pages(buf, uaddr, gup_flags);
	if (ret)
		goto fail;
	ret = map_pages(buf, offset);
	if (ret)
		goto unpin_pages;
	ret = build_desc(buf, max_nents);
	if (ret)
		goto unmap_pages;
	return 0;

unmap_pages:
	unmap_pages(buf);
	sg_free_table(&buf->sgt);
unpin_pages:
	unpin_pages(buf);
	kvfree(buf->pages);
fail:
	/* Nothing is held: ofs_dma_unmap_user() of it is a no-op. */
	buf->len = 0;
	return ret;
}

/**
 * ofs_dma_map_user() - pin and map a user buffer for one device command
 * @dev:	the device that will access it
 * @buf:	filled in; release with ofs_dma_unmap_user()
 * @uaddr:	user address
 * @len:	bytes, at most OFFLOAD_SEC_DMA_SELFTEST_MAX; may be 0
 * @dir:	DMA_TO_DEVICE if the device reads, DMA_FROM_DEVICE if it writes
 *
 * Return: 0; -EINVAL if @len is too large or needs more than
 * OFS_HW_MAX_SG segments; -EFAULT if the range is not mapped in the
 * caller (with the required access); -ENOMEM.
 */
int ofs_dma_map_user(struct device *dev, struct ofs_dma_buf *buf, u64 uaddr,
		     u64 len, enum dma_data_direction dir)
{
	return map_user(dev, buf, uaddr, len, dir, OFFLOAD_SEC_DMA_SELFTEST_MAX,
			0, OFS_HW_MAX_SG);
}

/*
 * One coherent allocation holds a destination's descriptors: at most
 * 16 bytes per page of OFFLOAD_SEC_DEST_MAX plus one for a partial page,
 * which is a little over 2 MiB.
 */
#define DEST_MAX_NENTS	min_t(u64, OFS_HW_MAX_DEST_SG, \
			      OFFLOAD_SEC_DEST_MAX / PAGE_SIZE + 1)

/**
 * ofs_dma_map_dest() - pin and map a destination for a session's life
 * @dev:	the device that will write it
 * @buf:	filled in; release with ofs_dma_unmap_user()
 * @uaddr:	user address
 * @len:	bytes, 1 to OFFLOAD_SEC_DEST_MAX
 *
 * The pages are pinned FOLL_LONGTERM | FOLL_WRITE and mapped
 * DMA_FROM_DEVICE until ofs_dma_unmap_user(), which must come only once
 * the device can no longer write them.
 *
 * Return: 0; -EINVAL for a length out of range; -EFAULT if the range is
 * not writable memory that may be pinned long-term; -ENOMEM.
 */
int ofs_dma_map_dest(struct device *dev, struct ofs_dma_buf *buf, u64 uaddr,
		     u64 len)
{
	if (!len)
		return -EINVAL;
	return map_user(dev, buf, uaddr, len, DMA_FROM_DEVICE,
			OFFLOAD_SEC_DEST_MAX, FOLL_LONGTERM, DEST_MAX_NENTS);
}

/**
 * ofs_dma_unmap_user() - undo ofs_dma_map_user()
 * @buf: a buffer ofs_dma_map_user() succeeded on
 *
 * The device must be done with it.  Pages the device wrote are marked
 * dirty so that their new contents are not lost.
 */
void ofs_dma_unmap_user(struct ofs_dma_buf *buf)
{
	if (!buf->len)
		return;
	free_desc(buf);
	unmap_pages(buf);
	unpin_pages(buf);
	sg_free_table(&buf->sgt);
	kvfree(buf->pages);
}

/**
 * ofs_dma_sg_list() - describe a mapped buffer to the device
 * @buf:	the buffer
 * @list:	filled in little-endian; all zero for an empty buffer
 */
void ofs_dma_sg_list(const struct ofs_dma_buf *buf,
		     struct ofs_hw_sg_list *list)
{
	list->addr = cpu_to_le64(buf->len ? buf->desc_dma : 0);
	list->nents = cpu_to_le32(buf->nents);
	list->reserved = 0;
	list->len = cpu_to_le64(buf->len);
}
