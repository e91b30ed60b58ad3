// SPDX-License-Identifier: MIT
/*
 * The ivshmem server protocol (QEMU's docs/specs/ivshmem-spec.txt), server
 * side.  The connection is one-way: we send little-endian int64 messages,
 * each optionally carrying one fd.  On connect: version 0; the client's id;
 * -1 with the shared memory; our id with each of our doorbell eventfds (in
 * vector order); the client's id with each of its interrupt eventfds.
 */
#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "emu.h"

#define IVSHMEM_PROTOCOL_VERSION	0
#define IVSHMEM_SHM_MESSAGE		(-1)

static int make_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

static int bind_listen(const char *path)
{
	struct sockaddr_un sa;
	int fd, r;

	r = make_addr(&sa, path);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	(void)unlink(path);	/* a leftover of a crashed run */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto close_fd;
	if (listen(fd, 4) < 0)
		goto unlink_path;
	return fd;

unlink_path:
	r = -errno;
	unlink(path);
	close(fd);
	return r;
close_fd:
	r = -errno;
	close(fd);
	return r;
}

/*
 * The harness starts QEMU once the path exists, so it must only appear
 * when we are listening: bind a temporary name beside it, then rename.
 */
int emu_ivshmem_listen(const char *path)
{
	char tmp[PATH_MAX];
	int fd, n;

	n = snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = bind_listen(tmp);
	if (fd < 0)
		return fd;
	if (rename(tmp, path) < 0)
		goto unlink_tmp;
	return fd;

unlink_tmp:
	n = -errno;
	unlink(tmp);
	close(fd);
	return n;
}

int emu_ivshmem_send(int sock, int64_t value, int fd)
{
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	int64_t le = (int64_t)htole64((uint64_t)value);
	struct iovec iov = { .iov_base = &le, .iov_len = sizeof(le) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;
	ssize_t n;

	if (fd >= 0) {
		msg.msg_control = control;
		msg.msg_controllen = sizeof(control);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	/* MSG_NOSIGNAL: QEMU may die at any moment; that is not our death. */
	n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	if (n < 0)
		return -errno;
	/* A stream socket takes 8 bytes whole unless its buffer is full. */
	return n == sizeof(le) ? 0 : -EIO;
}

static int send_fds(int sock, int64_t id, const int fds[OFS_HW_NUM_VECTORS])
{
	int v, r;

	for (v = 0; v < OFS_HW_NUM_VECTORS; v++) {
		r = emu_ivshmem_send(sock, id, fds[v]);
		if (r < 0)
			return r;
	}
	return 0;
}

int emu_ivshmem_handshake(int sock, int shm_fd,
			  const int device_fds[OFS_HW_NUM_VECTORS],
			  const int client_fds[OFS_HW_NUM_VECTORS])
{
	int r;

	r = emu_ivshmem_send(sock, IVSHMEM_PROTOCOL_VERSION, -1);
	if (r < 0)
		return r;
	r = emu_ivshmem_send(sock, EMU_CLIENT_PEER, -1);
	if (r < 0)
		return r;
	r = emu_ivshmem_send(sock, IVSHMEM_SHM_MESSAGE, shm_fd);
	if (r < 0)
		return r;
	/* The other peers (only us): the doorbells the guest rings. */
	r = send_fds(sock, EMU_DEVICE_PEER, device_fds);
	if (r < 0)
		return r;
	/* The client's own: QEMU turns them into MSI-X vectors. */
	return send_fds(sock, EMU_CLIENT_PEER, client_fds);
}

int emu_eventfds_open(int fds[OFS_HW_NUM_VECTORS])
{
	int v, r;

	for (v = 0; v < OFS_HW_NUM_VECTORS; v++)
		fds[v] = -1;
	for (v = 0; v < OFS_HW_NUM_VECTORS; v++) {
		fds[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fds[v] < 0)
			goto close_fds;
	}
	return 0;

close_fds:
	r = -errno;
	emu_eventfds_close(fds);
	return r;
}

void emu_eventfds_close(int fds[OFS_HW_NUM_VECTORS])
{
	int v;

	for (v = 0; v < OFS_HW_NUM_VECTORS; v++) {
		if (fds[v] >= 0)
			close(fds[v]);
		fds[v] = -1;
	}
}

int emu_eventfd_signal(int fd)
{
	uint64_t one = 1;

	return write(fd, &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
}

int64_t emu_eventfd_drain(int fd)
{
	uint64_t count;

	if (read(fd, &count, sizeof(count)) == sizeof(count))
		return (int64_t)count;
	return errno == EAGAIN ? 0 : -errno;
}
