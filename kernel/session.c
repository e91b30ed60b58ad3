// SPDX-License-Identifier: GPL-2.0
/*
 * Launch sessions.  SESSION_CREATE on the device node opens a session on
 * the card and returns an anon-inode fd for it; the steps of a launch are
 * ioctls on that fd, one handler each, every one of them a translation of
 * the uapi struct into device commands.  This file holds the session's
 * life (create, fd, ioctl dispatch, state tracking, end) and what every
 * handler shares; the handlers are in session-attest.c (ATTEST, GET_CHAIN,
 * CONFIRM) and session-load.c (MEASURE, SET_DEST, LOAD, FINISH).
 *
 * The card is the authority on a session's state.  The driver keeps only
 * what it needs itself: the card's handle, how many bytes of each
 * component the card has hashed (each MEASURE piece names its offset), the
 * destinations it pinned, and whether the card still holds the session
 * (so that close() sends ABORT exactly when it must: a handle the card has
 * let go of may already name someone else's session).
 *
 * Bulk data is never copied: each MEASURE, LOAD, ATTEST, CONFIRM and
 * GET_CHAIN command carries the caller's own pages, pinned and mapped for
 * that command only; long buffers are cut into pieces of at most
 * OFFLOAD_SEC_PIECE_MAX bytes, so nothing the kernel allocates grows with
 * the size of an image.  Destinations stay pinned and mapped for the
 * session's life, because the card scrubs them when a launch fails.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/log2.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "offload_sec.h"

static_assert(sizeof(struct offload_sec_session_create) == 64);
static_assert(offsetof(struct offload_sec_session_create, session_id) == 16);
static_assert(sizeof(struct ofs_hw_session_create) == 16);
static_assert(sizeof(struct ofs_hw_session) == 24);
static_assert(sizeof(struct ofs_hw_session_ref) == 8);
static_assert(OFFLOAD_SEC_SESSION_ID_LEN == OFS_HW_SESSION_ID_LEN);

/**
 * ofs_bad_reply() - fail a command whose reply has the wrong size or content
 * @ofs:	the card; must hold it (ofs_dev_enter())
 * @what:	the command, for the log
 * @len:	bytes the card answered
 * @device_status: set to OFFLOAD_SEC_DS_BAD_RESPONSE
 *
 * The command is over, but its answer unusable.
 *
 * Return: -EIO.
 */
int ofs_bad_reply(struct ofs_dev *ofs, const char *what, size_t len,
		  u32 *device_status)
{
	dev_err_ratelimited(&ofs->pdev->dev, "bad %s reply: %zu bytes\n",
			    what, len);
	ofs_nl_device_error(ofs, OFFLOAD_SEC_ERR_BAD_RESPONSE);
	*device_status = OFFLOAD_SEC_DS_BAD_RESPONSE;
	return -EIO;
}

/**
 * ofs_session_enter() - start a command of a session the card holds
 * @s:		the session
 *
 * Must hold s->lock.  End with ofs_dev_leave().
 *
 * Return: 0 with the device entered; -ENODEV once it was removed; -EBADFD
 * once the session ended.
 */
int ofs_session_enter(struct ofs_session *s)
{
	int ret;

	ret = ofs_dev_enter(s->ofs);
	if (ret)
		return ret;
	if (!s->live) {
		ofs_dev_leave(s->ofs);
		return -EBADFD;
	}
	return 0;
}

/* Statuses with which the card has failed the session (and scrubbed). */
static bool status_fails(u32 status)
{
	switch (status) {
	case OFFLOAD_SEC_DS_BAD_CONFIRMATION:
	case OFFLOAD_SEC_DS_UNTRUSTED:
	case OFFLOAD_SEC_DS_WRONG_REPORT:
	case OFFLOAD_SEC_DS_EXPIRED:
	case OFFLOAD_SEC_DS_NOT_AFFIRMED:
	case OFFLOAD_SEC_DS_STREAM_REJECTED:
	case OFFLOAD_SEC_DS_INCOMPLETE:
	case OFFLOAD_SEC_DS_DIGEST_MISMATCH:
	case OFFLOAD_SEC_DS_FAILED:
		return true;
	default:
		return false;
	}
}

/* The state a command the card accepted leads to. */
static u32 state_after(u32 opcode, u32 state)
{
	switch (opcode) {
	case OFS_HW_OP_MEASURE:
		return OFFLOAD_SEC_SESSION_MEASURED;
	case OFS_HW_OP_ATTEST:
		return OFFLOAD_SEC_SESSION_ATTESTED;
	case OFS_HW_OP_CONFIRM:
		return OFFLOAD_SEC_SESSION_CONFIRMED;
	case OFS_HW_OP_LOAD:
		return OFFLOAD_SEC_SESSION_LOADING;
	case OFS_HW_OP_FINISH:
		return OFFLOAD_SEC_SESSION_DONE;
	default:
		return state;
	}
}

/*
 * Follows the card's state of the session from its reply, for netlink.
 * Must hold s->lock.
 */
static void track_state(struct ofs_session *s, const struct ofs_cmd *cmd)
{
	u32 status = cmd->device_status, next = s->state;

	if (status == OFFLOAD_SEC_DS_NO_SESSION)
		next = OFFLOAD_SEC_SESSION_LOST;
	else if (status_fails(status))
		next = OFFLOAD_SEC_SESSION_FAILED;
	else if (status == OFFLOAD_SEC_DS_OK)
		next = state_after(cmd->opcode, s->state);
	if (next == s->state)
		return;
	WRITE_ONCE(s->state, next);
	ofs_nl_changed();
	ofs_nl_session_event(s, OFFLOAD_SEC_CMD_SESSION_STATE, 0);
}

/**
 * ofs_session_exec() - run a command of the session
 * @s:		the session
 * @cmd:	the command
 *
 * Must hold s->lock and the device entered (ofs_session_enter()).
 *
 * Return: as ofs_mbox_exec().
 */
int ofs_session_exec(struct ofs_session *s, struct ofs_cmd *cmd)
{
	int ret;

	lockdep_assert_held(&s->lock);
	ret = ofs_mbox_exec(s->ofs, cmd);

	/* The card forgot it (device reset): never ABORT that handle. */
	if (cmd->device_status == OFFLOAD_SEC_DS_NO_SESSION)
		s->live = false;
	track_state(s, cmd);
	return ret;
}

/**
 * ofs_session_enter_buf() - enter the session with a user buffer mapped
 * @s:		the session
 * @buf:	filled in
 * @list:	in the command's request: set to describe @buf
 * @addr:	user address
 * @len:	bytes, as ofs_dma_map_user() takes them
 * @dir:	DMA_TO_DEVICE or DMA_FROM_DEVICE
 *
 * For a command that carries the caller's pages: run it with
 * ofs_session_exec() and check its reply, then end with
 * ofs_session_leave_buf().
 *
 * Must hold s->lock.
 *
 * Return: 0 with the device entered and @buf mapped, or the errno of
 * ofs_session_enter() or ofs_dma_map_user() with neither.
 */
int ofs_session_enter_buf(struct ofs_session *s, struct ofs_dma_buf *buf,
			  struct ofs_hw_sg_list *list, u64 addr, u64 len,
			  enum dma_data_direction dir)
{
	int ret;

	ret = ofs_session_enter(s);
	if (ret)
		return ret;
	ret = ofs_dma_map_user(&s->ofs->pdev->dev, buf, addr, len, dir);
	if (ret) {
		ofs_dev_leave(s->ofs);
		return ret;
	}
	ofs_dma_sg_list(buf, list);
	return 0;
}

/* Undoes ofs_session_enter_buf(): unmaps @buf, then leaves the device. */
void ofs_session_leave_buf(struct ofs_session *s, struct ofs_dma_buf *buf)
{
	ofs_dma_unmap_user(buf);
	ofs_dev_leave(s->ofs);
}

/*
 * Gives the destinations back.  Must hold the device, with s->lock or
 * present_lock for writing, and the card must no longer write them.
 */
void ofs_session_release_dests(struct ofs_session *s)
{
	unsigned int c;

	for (c = 0; c < OFFLOAD_SEC_NUM_COMPONENTS; c++) {
		ofs_dma_unmap_user(&s->dest[c]);
		s->dest[c].len = 0;
	}
}

/*
 * ABORT, then give the destinations back: in this order, because the
 * card scrubs them on ABORT.  A card that does not confirm the ABORT may
 * still hold them, so it is cut off the bus before the pages go.
 *
 * Must hold the device (with s->lock, or present_lock for writing).
 */
static void session_end(struct ofs_session *s)
{
	struct ofs_hw_session_ref req = { .handle = cpu_to_le32(s->handle) };
	struct ofs_cmd cmd = {
		.opcode = OFS_HW_OP_ABORT,
		.in = &req,
		.in_len = sizeof(req),
	};
	int ret;

	if (s->live) {
		s->live = false;
		ret = ofs_mbox_exec(s->ofs, &cmd);
		if (ret && cmd.device_status != OFFLOAD_SEC_DS_NO_SESSION)
			ofs_mbox_disable(s->ofs, "a session could not be aborted");
	}
	ofs_session_release_dests(s);
}

/* Ends the session if the card still has it, and frees it. */
static void session_destroy(struct ofs_session *s)
{
	struct ofs_dev *ofs = s->ofs;
	bool listed;

	/* Once the card is removed, remove has ended every session. */
	if (!ofs_dev_enter(ofs)) {
		session_end(s);
		ofs_dev_leave(ofs);
	}

	mutex_lock(&ofs->sessions_lock);
	listed = !list_empty(&s->node);
	if (listed) {
		list_del_init(&s->node);
		ofs->nr_sessions--;
		ofs_nl_changed();
	}
	mutex_unlock(&ofs->sessions_lock);
	/* Unlisted: never created on the card, or its card was removed. */
	if (listed)
		ofs_nl_session_event(s, OFFLOAD_SEC_CMD_SESSION_ENDED,
				     OFFLOAD_SEC_END_CLOSED);

	put_pid(s->owner);
	mutex_destroy(&s->lock);
	kfree(s);
	ofs_dev_put(ofs);
}

/**
 * ofs_sessions_remove() - end every session of a card being removed
 * @ofs: the card, still present
 *
 * Must hold @ofs->present_lock for writing: no session ioctl is running,
 * and none starts before the card is marked absent.  The fds stay open;
 * their ioctls then fail with ENODEV.  The sessions leave the card's list
 * here, so that netlink announces their end once.
 */
void ofs_sessions_remove(struct ofs_dev *ofs)
{
	struct ofs_session *s, *tmp;

	lockdep_assert_held_write(&ofs->present_lock);
	guard(mutex)(&ofs->sessions_lock);
	list_for_each_entry_safe(s, tmp, &ofs->sessions, node) {
		session_end(s);
		list_del_init(&s->node);
		ofs->nr_sessions--;
		ofs_nl_changed();
		ofs_nl_session_event(s, OFFLOAD_SEC_CMD_SESSION_ENDED,
				     OFFLOAD_SEC_END_DEVICE_REMOVED);
	}
}

union session_arg {
	struct offload_sec_measure measure;
	struct offload_sec_attest attest;
	struct offload_sec_confirm confirm;
	struct offload_sec_set_dest set_dest;
	struct offload_sec_load load;
	struct offload_sec_finish finish;
};

static int session_dispatch(struct ofs_session *s, unsigned int cmd,
			    union session_arg *a)
{
	switch (cmd) {
	case OFFLOAD_SEC_IOC_MEASURE:
		return ofs_session_measure(s, &a->measure);
	case OFFLOAD_SEC_IOC_ATTEST:
		return ofs_session_attest(s, &a->attest);
	case OFFLOAD_SEC_IOC_CONFIRM:
		return ofs_session_confirm(s, &a->confirm);
	case OFFLOAD_SEC_IOC_SET_DEST:
		return ofs_session_set_dest(s, &a->set_dest);
	case OFFLOAD_SEC_IOC_LOAD:
		return ofs_session_load(s, &a->load);
	case OFFLOAD_SEC_IOC_FINISH:
		return ofs_session_finish(s, &a->finish);
	default:
		return -ENOTTY;
	}
}

static long session_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct ofs_session *s = file->private_data;
	void __user *uarg = (void __user *)arg;
	size_t size = _IOC_SIZE(cmd);
	union session_arg a;
	long ret;

	switch (cmd) {
	case OFFLOAD_SEC_IOC_GET_CHAIN:
		return ofs_get_chain(s->ofs, uarg);
	case OFFLOAD_SEC_IOC_MEASURE:
	case OFFLOAD_SEC_IOC_ATTEST:
	case OFFLOAD_SEC_IOC_CONFIRM:
	case OFFLOAD_SEC_IOC_SET_DEST:
	case OFFLOAD_SEC_IOC_LOAD:
	case OFFLOAD_SEC_IOC_FINISH:
		break;
	default:
		return -ENOTTY;
	}

	if (copy_from_user(&a, uarg, size))
		return -EFAULT;
	ret = mutex_lock_killable(&s->lock);
	if (ret)
		return ret;
	ret = session_dispatch(s, cmd, &a);
	mutex_unlock(&s->lock);

	/* Also on failure, so that the caller sees device_status. */
	if (copy_to_user(uarg, &a, size))
		return -EFAULT;
	return ret;
}

static int session_release(struct inode *inode, struct file *file)
{
	session_destroy(file->private_data);
	return 0;
}

static const struct file_operations session_fops = {
	.owner = THIS_MODULE,
	.release = session_release,
	.unlocked_ioctl = session_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static bool chunk_size_ok(u32 size)
{
	return !size || (is_power_of_2(size) && size >= OFFLOAD_SEC_CHUNK_MIN &&
			 size <= OFFLOAD_SEC_CHUNK_MAX);
}

/* Opens the session on the card and lists it, so that remove finds it. */
static int open_on_device(struct ofs_session *s,
			  struct offload_sec_session_create *arg)
{
	struct ofs_dev *ofs = s->ofs;
	struct ofs_hw_session_create req = {
		.chunk_size = cpu_to_le32(arg->chunk_size),
	};
	struct ofs_hw_session rsp = {};
	struct ofs_cmd cmd = {
		.opcode = OFS_HW_OP_SESSION_CREATE,
		.in = &req,
		.in_len = sizeof(req),
		.out = &rsp,
		.out_size = sizeof(rsp),
	};
	int ret;

	ret = ofs_dev_enter(ofs);
	if (ret)
		return ret;
	ret = ofs_mbox_exec(ofs, &cmd);
	arg->device_status = cmd.device_status;
	if (!ret && cmd.out_len != sizeof(rsp))
		ret = ofs_bad_reply(ofs, "SESSION_CREATE", cmd.out_len,
				    &arg->device_status);
	if (!ret) {
		s->handle = le32_to_cpu(rsp.handle);
		s->live = true;
		memcpy(s->session_id, rsp.session_id, sizeof(s->session_id));
		memcpy(arg->session_id, rsp.session_id,
		       sizeof(arg->session_id));
		mutex_lock(&ofs->sessions_lock);
		list_add_tail(&s->node, &ofs->sessions);
		ofs->nr_sessions++;
		ofs_nl_changed();
		mutex_unlock(&ofs->sessions_lock);
		/* Before remove can end it. */
		ofs_nl_session_event(s, OFFLOAD_SEC_CMD_SESSION_CREATED, 0);
	}
	ofs_dev_leave(ofs);
	return ret;
}

static struct ofs_session *session_alloc(struct ofs_dev *ofs, u32 chunk_size)
{
	struct ofs_session *s;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return NULL;
	ofs_dev_get(ofs);
	s->ofs = ofs;
	INIT_LIST_HEAD(&s->node);
	mutex_init(&s->lock);
	s->chunk_size = chunk_size ? chunk_size : OFFLOAD_SEC_CHUNK_DEFAULT;
	s->owner = get_pid(task_tgid(current));
	s->state = OFFLOAD_SEC_SESSION_CREATED;
	return s;
}

/**
 * ofs_session_create() - OFFLOAD_SEC_IOC_SESSION_CREATE
 * @ofs:	the card
 * @uarg:	struct offload_sec_session_create
 *
 * Return: 0 with the new fd in @uarg->fd, or a negative errno.
 */
long ofs_session_create(struct ofs_dev *ofs,
			struct offload_sec_session_create __user *uarg)
{
	struct offload_sec_session_create arg;
	struct ofs_session *s;
	struct file *file;
	int fd, ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags)
		return -EOPNOTSUPP;
	if (memchr_inv(arg.reserved, 0, sizeof(arg.reserved)) ||
	    !chunk_size_ok(arg.chunk_size))
		return -EINVAL;
	arg.device_status = OFFLOAD_SEC_DS_OK;
	arg.fd = -1;
	memset(arg.session_id, 0, sizeof(arg.session_id));

	s = session_alloc(ofs, arg.chunk_size);
	if (!s)
		return -ENOMEM;
	ret = open_on_device(s, &arg);
	if (ret)
		goto destroy;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto destroy;
	}
	file = anon_inode_getfile("[offload-sec-session]", &session_fops, s,
				  O_RDWR);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		ret = PTR_ERR(file);
		goto destroy;
	}

	arg.fd = fd;
	if (copy_to_user(uarg, &arg, sizeof(arg))) {
		put_unused_fd(fd);
		/* The release ends the session. */
		fput(file);
		return -EFAULT;
	}
	fd_install(fd, file);
	return 0;

destroy:
	session_destroy(s);
	arg.fd = -1;
	if (copy_to_user(uarg, &arg, sizeof(arg)))
		return -EFAULT;
	return ret;
}
