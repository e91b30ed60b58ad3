// SPDX-License-Identifier: MIT
/*
 * The ivshmem side: the handshake as QEMU receives it, the listening
 * socket's appearance, and the whole server driven through its event loop
 * by a fake QEMU (connect, ring the doorbell, take the interrupt, hang up,
 * reconnect; a second client refused).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "emu-test.h"

#define NV			OFS_HW_NUM_VECTORS
#define HANDSHAKE_MESSAGES	(3 + 2 * NV)
#define STEP_USEC		(2 * 1000 * 1000)

struct message {
	int64_t value;
	int fd;		/* -1: none */
};

/* Receives one message the way QEMU's ivshmem does. */
static int recv_message(int sock, struct message *m)
{
	char control[CMSG_SPACE(sizeof(int))];
	int64_t le;
	struct iovec iov = { .iov_base = &le, .iov_len = sizeof(le) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct cmsghdr *c;
	ssize_t n;

	n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	if (n != sizeof(le))
		return n < 0 ? -errno : -EPROTO;
	m->value = (int64_t)le64toh((uint64_t)le);
	m->fd = -1;
	c = CMSG_FIRSTHDR(&msg);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(&m->fd, CMSG_DATA(c), sizeof(int));
	return 0;
}

struct received {
	int shm_fd;
	int doorbells[NV];
	int irqs[NV];
};

static void received_close(struct received *r)
{
	close(r->shm_fd);
	emu_eventfds_close(r->doorbells);
	emu_eventfds_close(r->irqs);
}

/* Checks order, ids and fd count of a whole handshake. */
static void recv_handshake(int sock, struct received *r)
{
	struct message m[HANDSHAKE_MESSAGES];
	int i;

	for (i = 0; i < HANDSHAKE_MESSAGES; i++)
		assert_int_equal(recv_message(sock, &m[i]), 0);
	assert_int_equal(m[0].value, 0);
	assert_int_equal(m[0].fd, -1);
	assert_int_equal(m[1].value, EMU_CLIENT_PEER);
	assert_int_equal(m[1].fd, -1);
	assert_int_equal(m[2].value, -1);
	assert_true(m[2].fd >= 0);
	r->shm_fd = m[2].fd;
	for (i = 0; i < NV; i++) {
		assert_int_equal(m[3 + i].value, EMU_DEVICE_PEER);
		assert_true(m[3 + i].fd >= 0);
		r->doorbells[i] = m[3 + i].fd;
		assert_int_equal(m[3 + NV + i].value, EMU_CLIENT_PEER);
		assert_true(m[3 + NV + i].fd >= 0);
		r->irqs[i] = m[3 + NV + i].fd;
	}
}

static void *map_shm(int fd, uint32_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	assert_true(p != MAP_FAILED);
	return p;
}

static void check_header(const struct ofs_hw_header *h, uint32_t size)
{
	assert_int_equal(le32toh(h->magic), OFS_HW_MAGIC);
	assert_int_equal(le16toh(h->abi_major), OFS_HW_ABI_MAJOR);
	assert_int_equal(le16toh(h->abi_minor), OFS_HW_ABI_MINOR);
	assert_int_equal(le32toh(h->header_size), sizeof(*h));
	assert_int_equal(le32toh(h->shm_size), size);
	assert_int_equal(le32toh(h->device_peer), EMU_DEVICE_PEER);
	assert_int_equal(le32toh(h->num_vectors), NV);
	assert_int_equal(le32toh(h->mbox_offset) % 8, 0);
	assert_true(le32toh(h->mbox_offset) >= sizeof(*h));
	assert_int_equal(le32toh(h->mbox_size), sizeof(struct ofs_hw_mbox));
	assert_true(le32toh(h->mbox_offset) + sizeof(struct ofs_hw_mbox) <=
		    size);
}

static void handshake_order(void **state)
{
	int sv[2], dev[NV], cli[NV];
	struct emu_shm shm;
	struct received r;
	uint64_t count;
	void *p;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				    sv), 0);
	assert_int_equal(emu_shm_create(&shm, OFS_HW_SHM_MIN), 0);
	assert_int_equal(emu_eventfds_open(dev), 0);
	assert_int_equal(emu_eventfds_open(cli), 0);
	assert_int_equal(emu_ivshmem_handshake(sv[0], shm.fd, dev, cli), 0);
	close(sv[0]);
	recv_handshake(sv[1], &r);
	/* Nothing more: the fd count is exact. */
	assert_int_equal(read(sv[1], &count, 1), 0);
	p = map_shm(r.shm_fd, OFS_HW_SHM_MIN);
	check_header(p, OFS_HW_SHM_MIN);
	munmap(p, OFS_HW_SHM_MIN);
	/* What QEMU writes reaches the device's doorbell, and back. */
	assert_int_equal(emu_eventfd_signal(r.doorbells[1]), 0);
	assert_int_equal(emu_eventfd_drain(dev[1]), 1);
	assert_int_equal(emu_eventfd_drain(dev[1]), 0);
	assert_int_equal(emu_eventfd_signal(cli[0]), 0);
	assert_int_equal(emu_eventfd_drain(r.irqs[0]), 1);
	received_close(&r);
	close(sv[1]);
	emu_eventfds_close(dev);
	emu_eventfds_close(cli);
	emu_shm_destroy(&shm);
}

/* A handshake to a QEMU that died already fails cleanly, no SIGPIPE. */
static void handshake_peer_gone(void **state)
{
	int sv[2], dev[NV], cli[NV];
	struct emu_shm shm;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				    sv), 0);
	close(sv[1]);
	assert_int_equal(emu_shm_create(&shm, OFS_HW_SHM_MIN), 0);
	assert_int_equal(emu_eventfds_open(dev), 0);
	assert_int_equal(emu_eventfds_open(cli), 0);
	assert_int_equal(emu_ivshmem_handshake(sv[0], shm.fd, dev, cli),
			 -EPIPE);
	close(sv[0]);
	emu_eventfds_close(dev);
	emu_eventfds_close(cli);
	emu_shm_destroy(&shm);
}

static void shm_sizes(void **state)
{
	struct emu_shm shm;

	assert_false(emu_shm_size_valid(0));
	assert_false(emu_shm_size_valid(OFS_HW_SHM_MIN / 2));
	assert_false(emu_shm_size_valid(OFS_HW_SHM_MIN + 4096));
	assert_false(emu_shm_size_valid(1ULL << 32));
	assert_true(emu_shm_size_valid(OFS_HW_SHM_MIN));
	assert_true(emu_shm_size_valid(1U << 20));
	assert_int_equal(emu_shm_create(&shm, 3 << 16), -EINVAL);
	emu_shm_destroy(&shm);
}

struct dir {
	char path[PATH_MAX];
	char sock[PATH_MAX + 16];
	char ram[PATH_MAX + 16];
};

static int dir_setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));

	if (!d)
		return -1;
	snprintf(d->path, sizeof(d->path), "%s/ofs-emu-XXXXXX", fake_tmpdir());
	if (!mkdtemp(d->path)) {
		free(d);
		return -1;
	}
	snprintf(d->sock, sizeof(d->sock), "%s/emu.sock", d->path);
	snprintf(d->ram, sizeof(d->ram), "%s/ram", d->path);
	*state = d;
	return 0;
}

static int dir_teardown(void **state)
{
	struct dir *d = *state;

	unlink(d->sock);
	unlink(d->ram);
	rmdir(d->path);
	free(d);
	return 0;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_true(strlen(path) < sizeof(sa.sun_path));
	strcpy(sa.sun_path, path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Only the final name, and only once listening: no temporary left over. */
static void listen_renames(void **state)
{
	struct dir *d = *state;
	struct stat st;
	int fd, c;

	fd = emu_ivshmem_listen(d->sock);
	assert_true(fd >= 0);
	assert_int_equal(stat(d->sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	c = connect_to(d->sock);
	close(c);
	close(fd);
	assert_int_equal(unlink(d->sock), 0);
	/* The directory is empty again: the temporary name is gone. */
	assert_int_equal(rmdir(d->path), 0);
	assert_int_equal(mkdir(d->path, 0700), 0);
}

static void listen_path_too_long(void **state)
{
	char path[200];

	memset(path, 'x', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = 0;
	assert_int_equal(emu_ivshmem_listen(path), -ENAMETOOLONG);
}

static void step(struct emu_server *s)
{
	assert_true(sd_event_run(emu_server_event(s), STEP_USEC) > 0);
}

/* What the driver does for one GET_INFO; returns the response status. */
static uint32_t ring_get_info(struct emu_server *s, struct received *r,
			      struct ofs_hw_mbox *mbox, uint64_t tag)
{
	memset(&mbox->req, 0, offsetof(struct ofs_hw_request, in));
	mbox->req.opcode = htole32(OFS_HW_OP_GET_INFO);
	mbox->req.tag = htole64(tag);
	assert_int_equal(emu_eventfd_signal(r->doorbells[OFS_HW_VEC_MBOX]), 0);
	step(s);
	assert_int_equal(emu_eventfd_drain(r->irqs[OFS_HW_VEC_MBOX]), 1);
	assert_true(le64toh(mbox->rsp.tag) == tag);
	return le32toh(mbox->rsp.status);
}

static struct emu_server *start_server(struct dir *d, uint32_t shm_size)
{
	struct emu_config cfg = {
		.socket_path = d->sock, .guest_ram_path = d->ram,
		.shm_size = shm_size, .serial = "UNIT-TEST",
	};
	struct emu_server *s = NULL;

	assert_int_equal(emu_server_new(&s, &cfg), 0);
	return s;
}

static void server_session(void **state)
{
	const uint32_t size = 1U << 17;
	struct dir *d = *state;
	struct emu_server *s = start_server(d, size);
	struct ofs_hw_mbox *mbox;
	struct received r;
	uint8_t *shm;
	int c;

	c = connect_to(d->sock);
	step(s);
	recv_handshake(c, &r);
	shm = map_shm(r.shm_fd, size);
	check_header((struct ofs_hw_header *)shm, size);
	mbox = (void *)(shm + le32toh(((struct ofs_hw_header *)shm)->mbox_offset));
	assert_int_equal(ring_get_info(s, &r, mbox, 7), OFFLOAD_SEC_DS_OK);
	assert_string_equal((char *)((struct ofs_hw_info *)mbox->rsp.out)->serial,
			    "UNIT-TEST");
	/* No RAM file: DMA fails as the device's own problem, not a crash. */
	mbox->req.opcode = htole32(OFS_HW_OP_DMA_SELFTEST);
	mbox->req.in_len = htole32(sizeof(struct ofs_hw_dma_selftest));
	memset(mbox->req.in, 0, sizeof(struct ofs_hw_dma_selftest));
	mbox->req.tag = htole64(8);
	assert_int_equal(emu_eventfd_signal(r.doorbells[OFS_HW_VEC_MBOX]), 0);
	step(s);
	assert_int_equal(emu_eventfd_drain(r.irqs[OFS_HW_VEC_MBOX]), 1);
	assert_int_equal(le32toh(mbox->rsp.status), OFFLOAD_SEC_DS_INTERNAL);
	/* The event doorbell raises nothing. */
	assert_int_equal(emu_eventfd_signal(r.doorbells[OFS_HW_VEC_EVENT]), 0);
	step(s);
	assert_int_equal(emu_eventfd_drain(r.irqs[OFS_HW_VEC_MBOX]), 0);
	/* Hang up: the mailbox is cleared for the next guest. */
	close(c);
	step(s);
	assert_true(mbox->rsp.tag == 0 && mbox->req.tag == 0);
	check_header((struct ofs_hw_header *)shm, size);
	munmap(shm, size);
	received_close(&r);
	emu_server_free(s);
	/* The socket goes with the server. */
	assert_int_equal(access(d->sock, F_OK), -1);
}

static void server_second_client_refused(void **state)
{
	struct dir *d = *state;
	struct emu_server *s = start_server(d, OFS_HW_SHM_MIN);
	struct received r, r2;
	int c1, c2, c3;
	uint8_t *shm;
	char byte;

	c1 = connect_to(d->sock);
	step(s);
	recv_handshake(c1, &r);
	c2 = connect_to(d->sock);
	step(s);
	/* Refused: closed without a word. */
	assert_int_equal(read(c2, &byte, 1), 0);
	close(c2);
	shm = map_shm(r.shm_fd, OFS_HW_SHM_MIN);
	assert_int_equal(ring_get_info(s, &r, (void *)(shm + EMU_MBOX_OFFSET),
				       1), OFFLOAD_SEC_DS_OK);
	/* After a hangup (QEMU died), the next QEMU is served. */
	close(c1);
	step(s);
	received_close(&r);
	c3 = connect_to(d->sock);
	step(s);
	recv_handshake(c3, &r2);
	assert_int_equal(ring_get_info(s, &r2, (void *)(shm + EMU_MBOX_OFFSET),
				       2), OFFLOAD_SEC_DS_OK);
	munmap(shm, OFS_HW_SHM_MIN);
	received_close(&r2);
	close(c3);
	emu_server_free(s);
}

/* Real DMA into a RAM file, as QEMU's memory-backend-file would be. */
static void server_dma_into_ram_file(void **state)
{
	const uint64_t ram_size = 4 << 20, list = 0x100000, buf = 0x200000;
	struct dir *d = *state;
	struct emu_server *s = start_server(d, OFS_HW_SHM_MIN);
	struct ofs_hw_dma_selftest st = { .seed = htole64(5) };
	struct ofs_hw_sg sg = { .addr = htole64(buf), .len = htole32(13) };
	struct ofs_hw_mbox *mbox;
	struct received r;
	uint8_t *shm, *ram;
	int c, fd, i;

	c = connect_to(d->sock);
	step(s);
	recv_handshake(c, &r);
	/* QEMU creates the RAM file after connecting: map it lazily. */
	fd = open(d->ram, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, ram_size), 0);
	ram = map_shm(fd, ram_size);
	memcpy(ram + list, &sg, sizeof(sg));
	st.dst = fake_list(list, 1, 13);
	shm = map_shm(r.shm_fd, OFS_HW_SHM_MIN);
	mbox = (void *)(shm + EMU_MBOX_OFFSET);
	mbox->req.opcode = htole32(OFS_HW_OP_DMA_SELFTEST);
	mbox->req.in_len = htole32(sizeof(st));
	memcpy(mbox->req.in, &st, sizeof(st));
	mbox->req.tag = htole64(3);
	assert_int_equal(emu_eventfd_signal(r.doorbells[OFS_HW_VEC_MBOX]), 0);
	step(s);
	assert_int_equal(le32toh(mbox->rsp.status), OFFLOAD_SEC_DS_OK);
	for (i = 0; i < 13; i++)
		assert_int_equal(ram[buf + i], pattern_byte(5, i));
	assert_int_equal(ram[buf + 13], 0);
	munmap(ram, ram_size);
	munmap(shm, OFS_HW_SHM_MIN);
	close(fd);
	received_close(&r);
	close(c);
	emu_server_free(s);
}

static void server_bad_socket_dir(void **state)
{
	struct emu_config cfg = {
		.socket_path = "/nonexistent-dir-offload-sec/emu.sock",
		.guest_ram_path = "/nonexistent-dir-offload-sec/ram",
		.shm_size = OFS_HW_SHM_MIN, .serial = EMU_DEFAULT_SERIAL,
	};
	struct emu_server *s = NULL;

	assert_int_equal(emu_server_new(&s, &cfg), -ENOENT);
	assert_null(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(handshake_order),
		cmocka_unit_test(handshake_peer_gone),
		cmocka_unit_test(shm_sizes),
		cmocka_unit_test_setup_teardown(listen_renames, dir_setup,
						dir_teardown),
		cmocka_unit_test(listen_path_too_long),
		cmocka_unit_test_setup_teardown(server_session, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(server_second_client_refused,
						dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(server_dma_into_ram_file,
						dir_setup, dir_teardown),
		cmocka_unit_test(server_bad_socket_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
