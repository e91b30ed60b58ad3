// SPDX-License-Identifier: MIT
/*
 * The device's event loop (sd_event): the listening socket, the one
 * client's socket (for its hangup) and the device's doorbell eventfds.
 *
 * The doorbells and the shared memory outlive clients: a VM may reboot or
 * QEMU may die at any moment, and the next QEMU gets the same BAR2 (header
 * intact, mailbox cleared) and fresh interrupt eventfds.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include <ofs-device.h>

#include "emu.h"

struct client {
	int fd;				/* -1: nobody connected */
	sd_event_source *src;
	int irq_fds[OFS_HW_NUM_VECTORS];	/* write to raise MSI-X */
	bool ram_error_logged;		/* say it once per client, not per command */
};

struct doorbell {
	struct emu_server *server;
	unsigned int vector;
	sd_event_source *src;
};

struct emu_server {
	sd_event *event;
	struct emu_config cfg;
	struct emu_shm shm;
	struct emu_guest_mem mem;
	int doorbell_fds[OFS_HW_NUM_VECTORS];	/* the guest rings these */
	struct doorbell doorbells[OFS_HW_NUM_VECTORS];
	int listen_fd;
	sd_event_source *listen_src;
	struct stat socket_st;		/* what we created at cfg.socket_path */
	struct client client;
	struct emu_device dev;		/* sessions live as long as a client */
};

/* Maps guest RAM if it is not yet; QEMU creates the file after connecting. */
static int ensure_guest_mem(struct emu_server *s)
{
	int r;

	if (s->mem.base)
		return 0;
	r = emu_guest_mem_map_file(&s->mem, s->cfg.guest_ram_path);
	if (r < 0)
		return r;
	emu_log_info("guest RAM %s mapped, %llu MiB", s->cfg.guest_ram_path,
		     (unsigned long long)(s->mem.size >> 20));
	return 0;
}

static void client_drop(struct emu_server *s)
{
	struct client *c = &s->client;

	if (c->fd < 0)
		return;
	c->src = sd_event_source_disable_unref(c->src);
	close(c->fd);
	c->fd = -1;
	emu_eventfds_close(c->irq_fds);
	/*
	 * The VM went away: its launches end as by ABORT, destinations
	 * scrubbed while its RAM is still mapped.
	 */
	s->dev.mem = s->mem.base ? &s->mem : NULL;
	emu_sessions_abort_all(&s->dev);
	/* The next guest must not see this one's last command. */
	emu_mbox_reset(emu_shm_mbox(&s->shm));
	/* The next QEMU may bring a new RAM file at the same path. */
	s->dev.mem = NULL;
	emu_guest_mem_release(&s->mem);
	emu_log_info("client disconnected");
}

static void serve_mailbox(struct emu_server *s)
{
	uint32_t status;
	int r;

	r = ensure_guest_mem(s);
	s->dev.mem = r >= 0 ? &s->mem : NULL;
	if (r < 0 && !s->client.ram_error_logged) {
		emu_log_errno(r, "cannot map guest RAM %s, DMA commands will "
			      "fail: %m", s->cfg.guest_ram_path);
		s->client.ram_error_logged = true;
	}
	status = emu_mbox_process(emu_shm_mbox(&s->shm), &s->dev);
	emu_log_info("command done: %s", ofs_device_status_str(status));
	r = emu_eventfd_signal(s->client.irq_fds[OFS_HW_VEC_MBOX]);
	if (r < 0)
		emu_log_errno(r, "cannot raise the mailbox interrupt: %m");
}

static int on_doorbell(sd_event_source *src, int fd, uint32_t revents,
		       void *userdata)
{
	struct doorbell *db = userdata;
	struct emu_server *s = db->server;
	int64_t n;

	n = emu_eventfd_drain(fd);
	if (n <= 0)
		return 0;
	if (s->client.fd < 0) {
		emu_log_info("doorbell %u rung with no client, ignored",
			     db->vector);
		return 0;
	}
	if (db->vector != OFS_HW_VEC_MBOX) {
		emu_log_info("doorbell %u rung, nothing to do", db->vector);
		return 0;
	}
	serve_mailbox(s);
	return 0;
}

static int on_client(sd_event_source *src, int fd, uint32_t revents,
		     void *userdata)
{
	struct emu_server *s = userdata;
	char buf[64];
	ssize_t n;

	/* QEMU never sends; anything readable is a hangup or noise. */
	if (!(revents & (EPOLLHUP | EPOLLERR | EPOLLRDHUP))) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0 || (n < 0 && errno == EAGAIN))
			return 0;
	}
	client_drop(s);
	return 0;
}

static int client_attach(struct emu_server *s, int fd)
{
	struct client *c = &s->client;
	int r;

	r = emu_eventfds_open(c->irq_fds);
	if (r < 0)
		return emu_log_errno(r, "cannot create interrupt eventfds: %m");
	r = emu_ivshmem_handshake(fd, s->shm.fd, s->doorbell_fds, c->irq_fds);
	if (r < 0) {
		emu_log_errno(r, "ivshmem handshake failed: %m");
		goto close_irqs;
	}
	r = sd_event_add_io(s->event, &c->src, fd, EPOLLIN | EPOLLRDHUP,
			    on_client, s);
	if (r < 0) {
		emu_log_errno(r, "cannot watch the client socket: %m");
		goto close_irqs;
	}
	c->fd = fd;
	c->ram_error_logged = false;
	return 0;

close_irqs:
	emu_eventfds_close(c->irq_fds);
	return r;
}

/* Drops doorbells a previous client rang after its last command. */
static void drain_doorbells(struct emu_server *s)
{
	int v;

	for (v = 0; v < OFS_HW_NUM_VECTORS; v++)
		(void)emu_eventfd_drain(s->doorbell_fds[v]);
}

static int on_listen(sd_event_source *src, int fd, uint32_t revents,
		     void *userdata)
{
	struct emu_server *s = userdata;
	int cfd, r;

	cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (cfd < 0) {
		if (errno != EAGAIN && errno != ECONNABORTED && errno != EINTR)
			emu_log_error("accept failed: %m");
		return 0;
	}
	if (s->client.fd >= 0) {
		emu_log_error("refused a second client: one guest at a time");
		close(cfd);
		return 0;
	}
	drain_doorbells(s);
	r = client_attach(s, cfd);
	if (r < 0) {
		close(cfd);
		return 0;
	}
	r = ensure_guest_mem(s);
	if (r < 0 && r != -ENOENT && r != -ENODATA)
		emu_log_errno(r, "cannot map guest RAM %s: %m",
			      s->cfg.guest_ram_path);
	emu_log_info("client connected as peer %d", EMU_CLIENT_PEER);
	return 0;
}

static int add_doorbells(struct emu_server *s)
{
	struct doorbell *db;
	int r, v;

	r = emu_eventfds_open(s->doorbell_fds);
	if (r < 0)
		return emu_log_errno(r, "cannot create doorbell eventfds: %m");
	for (v = 0; v < OFS_HW_NUM_VECTORS; v++) {
		db = &s->doorbells[v];
		db->server = s;
		db->vector = v;
		r = sd_event_add_io(s->event, &db->src, s->doorbell_fds[v],
				    EPOLLIN, on_doorbell, db);
		if (r < 0)
			return emu_log_errno(r, "cannot watch doorbells: %m");
	}
	return 0;
}

static int add_listener(struct emu_server *s)
{
	int r;

	s->listen_fd = emu_ivshmem_listen(s->cfg.socket_path);
	if (s->listen_fd < 0)
		return emu_log_errno(s->listen_fd, "cannot listen on %s: %m",
				     s->cfg.socket_path);
	/* Remember what we created, to remove exactly that on exit. */
	if (stat(s->cfg.socket_path, &s->socket_st) < 0)
		return emu_log_errno(-errno, "%s vanished: %m",
				     s->cfg.socket_path);
	r = sd_event_add_io(s->event, &s->listen_src, s->listen_fd, EPOLLIN,
			    on_listen, s);
	if (r < 0)
		return emu_log_errno(r, "cannot watch %s: %m",
				     s->cfg.socket_path);
	return 0;
}

static void init_fields(struct emu_server *s, const struct emu_config *cfg)
{
	s->cfg = *cfg;
	s->shm.fd = -1;
	s->listen_fd = -1;
	s->client.fd = -1;
	memset(s->doorbell_fds, -1, sizeof(s->doorbell_fds));
	memset(s->client.irq_fds, -1, sizeof(s->client.irq_fds));
}

int emu_server_new(struct emu_server **ret, const struct emu_config *cfg)
{
	struct emu_server *s;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	init_fields(s, cfg);
	r = emu_device_init(&s->dev, cfg->serial, cfg->identity);
	if (r < 0) {
		emu_log_errno(r, "cannot create the session table: %m");
		goto free_server;
	}
	r = sd_event_new(&s->event);
	if (r < 0) {
		emu_log_errno(r, "cannot create the event loop: %m");
		goto free_server;
	}
	r = emu_shm_create(&s->shm, cfg->shm_size);
	if (r < 0) {
		emu_log_errno(r, "cannot create the shared memory: %m");
		goto free_server;
	}
	r = add_doorbells(s);
	if (r < 0)
		goto free_server;
	/* Last: a listening socket means the device is ready. */
	r = add_listener(s);
	if (r < 0)
		goto free_server;
	*ret = s;
	return 0;

free_server:
	emu_server_free(s);
	return r;
}

static void remove_socket(struct emu_server *s)
{
	struct stat st;

	if (s->listen_fd < 0)
		return;
	/* Another model may have taken the path over since: leave it. */
	if (stat(s->cfg.socket_path, &st) == 0 &&
	    st.st_dev == s->socket_st.st_dev && st.st_ino == s->socket_st.st_ino)
		unlink(s->cfg.socket_path);
	close(s->listen_fd);
	s->listen_fd = -1;
}

struct emu_server *emu_server_free(struct emu_server *s)
{
	int v;

	if (!s)
		return NULL;
	client_drop(s);
	s->listen_src = sd_event_source_disable_unref(s->listen_src);
	remove_socket(s);
	for (v = 0; v < OFS_HW_NUM_VECTORS; v++)
		s->doorbells[v].src =
			sd_event_source_disable_unref(s->doorbells[v].src);
	emu_eventfds_close(s->doorbell_fds);
	emu_device_release(&s->dev);
	emu_guest_mem_release(&s->mem);
	emu_shm_destroy(&s->shm);
	sd_event_unref(s->event);
	free(s);
	return NULL;
}

struct sd_event *emu_server_event(struct emu_server *s)
{
	return s->event;
}

static int add_exit_signals(struct emu_server *s)
{
	static const int sigs[] = { SIGINT, SIGTERM };
	sigset_t mask;
	size_t i;
	int r;

	/* sd_event takes signals through a signalfd: block them first. */
	sigemptyset(&mask);
	for (i = 0; i < EMU_ARRAY_SIZE(sigs); i++)
		sigaddset(&mask, sigs[i]);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	for (i = 0; i < EMU_ARRAY_SIZE(sigs); i++) {
		/* No handler: the default one exits the loop. */
		r = sd_event_add_signal(s->event, NULL, sigs[i], NULL, NULL);
		if (r < 0)
			return r;
	}
	return 0;
}

int emu_server_run(struct emu_server *s)
{
	int r;

	r = add_exit_signals(s);
	if (r < 0)
		return emu_log_errno(r, "cannot handle signals: %m");
	emu_log_info("listening on %s", s->cfg.socket_path);
	(void)sd_notify(0, "READY=1\nSTATUS=Serving the emulated card");
	r = sd_event_loop(s->event);
	(void)sd_notify(0, "STOPPING=1");
	if (r < 0)
		return emu_log_errno(r, "event loop failed: %m");
	emu_log_info("exiting");
	return 0;
}
