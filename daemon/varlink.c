// SPDX-License-Identifier: MIT
/*
 * The API socket: the one systemd passed, or Socket= created here; one
 * connection per client, read and written without ever blocking the loop.
 *
 * A connection reads calls one after the other.  While it waits for a
 * Launch it reads nothing more (Varlink answers calls in order) and
 * watches only for the peer hanging up, which cancels the launch.
 * Garbage gets one InvalidCall error and the connection is closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <systemd/sd-daemon.h>
#include <syslog.h>

#include "api.h"

static void conn_free(struct secd_conn *c)
{
	struct secd_api *api = c->api;

	secd_api_conn_gone(c);
	if (c->prev)
		c->prev->next = c->next;
	else
		api->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	api->n_conns--;
	sd_event_source_disable_unref(c->io);
	sd_event_source_disable_unref(c->reaper);
	sd_event_source_disable_unref(c->resume);
	sd_event_source_disable_unref(c->progress);
	ofs_varlink_free(c->v);
	free(c);
}

static int on_reap(sd_event_source *s, void *userdata)
{
	conn_free(userdata);
	return 0;
}

void secd_conn_close_later(struct secd_conn *c)
{
	if (c->reaper)
		return;
	sd_event_source_set_enabled(c->io, SD_EVENT_OFF);
	if (sd_event_add_defer(c->api->event, &c->reaper, on_reap, c) < 0)
		c->reaper = NULL;	/* the io source stays off: freed at exit */
}

/* While a Launch runs only a hang-up matters; EPOLLOUT while replies wait. */
static void update_events(struct secd_conn *c)
{
	uint32_t events = EPOLLRDHUP;

	if (!c->launch)
		events |= EPOLLIN;
	if (ofs_varlink_pending(c->v))
		events |= EPOLLOUT;
	if (sd_event_source_set_io_events(c->io, events) < 0)
		secd_conn_close_later(c);
}

void secd_conn_kick(struct secd_conn *c)
{
	int r;

	if (c->reaper)
		return;
	r = ofs_varlink_flush(c->v);
	if (r && r != -EAGAIN)
		secd_conn_close_later(c);
	else
		update_events(c);
}

/* One error for a message that is not a call; said if the socket takes it. */
static void refuse_garbage(struct secd_conn *c, const char *why)
{
	json_object *p = json_object_new_object();

	if (p && !json_object_object_add(p, "reason", json_object_new_string(why)))
		ofs_varlink_error(c->v, SECD_API_ERR_INVALID_CALL, p);
	json_object_put(p);
	ofs_varlink_flush(c->v);
	secd_conn_close_later(c);
}

static void close_fds(int *fds, size_t n)
{
	while (n)
		close(fds[--n]);
}

/* Runs the buffered calls until one starts a Launch or none is left. */
static void process(struct secd_conn *c)
{
	int fds[OFS_VARLINK_FDS_MAX];
	struct ofs_varlink_call call;
	const char *text;
	char why[160];
	size_t len, n_fds;
	int r;

	while (!c->launch && !c->reaper) {
		r = ofs_varlink_next(c->v, &text, &len, fds, &n_fds);
		if (r == 0)
			return;
		if (r < 0) {
			refuse_garbage(c, r == -EMSGSIZE ?
				       "message longer than 1 MiB" :
				       "more than 8 file descriptors with one message");
			return;
		}
		if (ofs_varlink_parse_call(text, len, &call, why, sizeof(why))) {
			close_fds(fds, n_fds);
			refuse_garbage(c, why);
			return;
		}
		r = secd_api_dispatch(c, &call, fds, n_fds);
		ofs_varlink_call_release(&call);
		if (r)
			secd_conn_close_later(c);
	}
}

static int on_resume(sd_event_source *s, void *userdata)
{
	struct secd_conn *c = userdata;

	process(c);
	secd_conn_kick(c);
	return 0;
}

void secd_conn_resume(struct secd_conn *c)
{
	if (c->reaper)
		return;
	if (!c->resume &&
	    sd_event_add_defer(c->api->event, &c->resume, on_resume, c) < 0) {
		secd_conn_close_later(c);
		return;
	}
	sd_event_source_set_enabled(c->resume, SD_EVENT_ONESHOT);
}

static void on_readable(struct secd_conn *c)
{
	int r = ofs_varlink_fill(c->v);

	if (r == 0 || r == -EAGAIN) {
		process(c);
		return;
	}
	if (r == -EMSGSIZE)
		refuse_garbage(c, "message longer than 1 MiB");
	else if (r == -EBADMSG)
		refuse_garbage(c, "more than 8 file descriptors with one message");
	else
		secd_conn_close_later(c);	/* gone (or out of memory) */
}

static int on_conn_io(sd_event_source *s, int fd, uint32_t revents,
		      void *userdata)
{
	struct secd_conn *c = userdata;

	if (c->launch) {
		/* A caller that went away cannot use the memory: cancel. */
		if (revents & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			secd_conn_close_later(c);
		else
			secd_conn_kick(c);
		return 0;
	}
	if (revents & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		on_readable(c);
	secd_conn_kick(c);
	return 0;
}

static bool peer_allowed(struct secd_api *api, struct secd_conn *c)
{
	if (c->uid == 0)
		return true;
	return api->have_group && ofs_varlink_peer_in_group(c->v, api->group) == 1;
}

static int conn_new(struct secd_api *api, int fd)
{
	struct secd_conn *c = calloc(1, sizeof(*c));
	int r;

	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->api = api;
	c->launch_stage = -1;
	r = ofs_varlink_from_fd(fd, &c->v);
	if (r) {
		close(fd);
		goto free_conn;
	}
	r = ofs_varlink_peer(c->v, &c->pid, &c->uid, NULL);
	if (r)
		goto free_varlink;
	c->allowed = peer_allowed(api, c);
	r = sd_event_add_io(api->event, &c->io, fd, EPOLLIN | EPOLLRDHUP,
			    on_conn_io, c);
	if (r < 0)
		goto free_varlink;
	c->next = api->conns;
	if (c->next)
		c->next->prev = c;
	api->conns = c;
	api->n_conns++;
	return 0;

free_varlink:
	ofs_varlink_free(c->v);
free_conn:
	free(c);
	return r;
}

static int on_accept(sd_event_source *s, int fd, uint32_t revents,
		     void *userdata)
{
	struct secd_api *api = userdata;
	int cfd, r;

	cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (cfd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			secd_log(NULL, LOG_WARNING, "API: accept failed: %m");
		return 0;
	}
	if (api->n_conns >= SECD_API_CONNECTIONS_MAX) {
		if (!api->said_full)
			secd_log(NULL, LOG_WARNING, "API: %d connections open, "
				 "refusing more", SECD_API_CONNECTIONS_MAX);
		api->said_full = true;
		close(cfd);
		return 0;
	}
	api->said_full = false;
	r = conn_new(api, cfd);
	if (r)
		secd_log(NULL, LOG_WARNING, "API: cannot take a connection: %s",
			 strerror(-r));
	return 0;
}

/* ---- the listening socket ---- */

static int socket_activated(int *fd)
{
	int n = sd_listen_fds(1), r;

	if (n <= 0)
		return n;
	if (n > 1) {
		secd_log(NULL, LOG_ERR, "API: systemd passed %d sockets, expected one", n);
		return -EINVAL;
	}
	r = sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1, NULL, 0);
	if (r <= 0) {
		secd_log(NULL, LOG_ERR, "API: the socket systemd passed is not a "
			 "listening Unix stream socket");
		return r < 0 ? r : -EINVAL;
	}
	if (fcntl(SD_LISTEN_FDS_START, F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(SD_LISTEN_FDS_START, F_SETFL, O_NONBLOCK) < 0)
		return -errno;
	*fd = SD_LISTEN_FDS_START;
	return 1;
}

/* A socket file nobody listens on is a leftover; a live one is another daemon. */
static int remove_stale(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, r;

	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		secd_log(NULL, LOG_ERR, "API: %s exists and is not a socket",
			 sa->sun_path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0 ? 0 : -errno;
	close(fd);
	if (r == 0) {
		secd_log(NULL, LOG_ERR, "API: another daemon answers on %s",
			 sa->sun_path);
		return -EADDRINUSE;
	}
	if (unlink(sa->sun_path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* The directory of path (e.g. /run/offload-sec), when it does not exist yet. */
static void make_parent(const char *path)
{
	char *dir = strdup(path), *slash;

	if (!dir)
		return;
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			secd_log(NULL, LOG_WARNING, "API: cannot create %s: %m", dir);
	}
	free(dir);
}

static int bind_path(struct secd_api *api, const char *path, int *out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old_umask;
	int fd, r;

	if (!path || !*path || strlen(path) >= sizeof(sa.sun_path)) {
		secd_log(NULL, LOG_ERR, "API: no usable socket path (Socket=)");
		return -EINVAL;
	}
	memcpy(sa.sun_path, path, strlen(path));
	make_parent(path);
	r = remove_stale(&sa);
	if (r)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* Nobody may connect before the group and mode are right. */
	old_umask = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	umask(old_umask);
	if (r)
		goto close_fd;
	if ((api->have_group && chown(path, (uid_t)-1, api->group) < 0) ||
	    chmod(path, 0660) < 0 || listen(fd, SOMAXCONN) < 0) {
		r = -errno;
		goto unlink_path;
	}
	api->socket_path = strdup(path);
	if (!api->socket_path) {
		r = -ENOMEM;
		goto unlink_path;
	}
	*out = fd;
	return 0;

unlink_path:
	unlink(path);
close_fd:
	close(fd);
	secd_log(NULL, LOG_ERR, "API: cannot listen on %s: %s", path, strerror(-r));
	return r;
}

static void lookup_group(struct secd_api *api, const char *name)
{
	char buf[4096];
	struct group g, *found = NULL;

	if (name && *name && getgrnam_r(name, &g, buf, sizeof(buf), &found) == 0 &&
	    found) {
		api->group = found->gr_gid;
		api->have_group = true;
		return;
	}
	secd_log(NULL, LOG_WARNING, "API: group \"%s\" does not exist: only root "
		 "may use the API", name ? name : "");
}

int secd_api_start(sd_event *event, struct secd_manager *m,
		   const struct secd_config *config, struct secd_api **out)
{
	struct secd_api *api = calloc(1, sizeof(*api));
	int r;

	if (!api)
		return -ENOMEM;
	api->event = sd_event_ref(event);
	api->manager = m;
	api->config = config;
	api->listen_fd = -1;
	lookup_group(api, config->api_group);
	r = socket_activated(&api->listen_fd);
	if (r == 0)
		r = bind_path(api, config->api_socket, &api->listen_fd);
	if (r < 0)
		goto free_api;
	r = sd_event_add_io(event, &api->accept_source, api->listen_fd, EPOLLIN,
			    on_accept, api);
	if (r < 0)
		goto free_api;
	*out = api;
	return 0;

free_api:
	secd_api_free(api);
	return r;
}

void secd_api_free(struct secd_api *api)
{
	if (!api)
		return;
	while (api->conns)
		conn_free(api->conns);
	sd_event_source_disable_unref(api->accept_source);
	if (api->listen_fd >= 0)
		close(api->listen_fd);
	if (api->socket_path)
		unlink(api->socket_path);
	free(api->socket_path);
	sd_event_unref(api->event);
	free(api);
}

unsigned int secd_api_connections(const struct secd_api *api)
{
	return api ? api->n_conns : 0;
}
