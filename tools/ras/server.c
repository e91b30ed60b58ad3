// SPDX-License-Identifier: MIT
/*
 * HTTP/1.1 on libmicrohttpd: a pool of polling threads (epoll), a limit
 * on connections in all and per client address, an inactivity timeout
 * (a client that stops sending is disconnected), a deadline for a whole
 * body (a client that trickles one is disconnected), a size limit on
 * bodies (413 when announced; a chunked body that grows past it is
 * disconnected), a memory limit on headers, and TLS (GnuTLS)
 * when a certificate is configured.  Bodies are gathered here and handed
 * whole to api.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/crypto.h>

#include "ras.h"

#define HEADER_MEMORY	(32 * 1024)
#define MAX_PEM		(64 * 1024)

struct server {
	struct MHD_Daemon *mhd;
	char *tls_cert, *tls_key;	/* PEM, the key a secret */
	size_t tls_key_len;
};

/* One request's state across the handler's calls. */
struct exchange {
	uint8_t *body;
	size_t len;
	double start;
	bool too_big, too_slow;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void client_address(struct MHD_Connection *c, char *buf, size_t size)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(buf, size, "unknown");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			  buf, (socklen_t)size);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
			  buf, (socklen_t)size);
}

static enum MHD_Result send_response(struct MHD_Connection *c,
				     struct ras_response *resp)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(resp->len, resp->body,
					    MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(resp->body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				resp->content_type ? resp->content_type :
				"application/json");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	if (resp->allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, resp->allow);
	ret = MHD_queue_response(c, resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

static void finish(struct ras *ras, struct exchange *x, enum ras_endpoint ep,
		   unsigned int status)
{
	ras_metrics_request(ras->metrics, ep, status, now_s() - x->start);
}

/* Refuses a body announced too big before reading it: 413. */
static enum MHD_Result refuse(struct ras *ras, struct MHD_Connection *c,
			      struct exchange *x, unsigned int status)
{
	struct ras_response resp = { 0 };

	ras_api_error(&resp, status, "body over the limit of %zu bytes",
		      ras->conf.max_body);
	finish(ras, x, RAS_EP_OTHER, status);
	return send_response(c, &resp);
}

static bool announced_too_big(struct MHD_Connection *c, size_t max)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	char *end;
	unsigned long long n;

	if (!cl)
		return false;
	errno = 0;
	n = strtoull(cl, &end, 10);
	return errno || *end || n > max;
}

static void take_body(struct ras *ras, struct exchange *x, const char *data,
		      size_t size)
{
	uint8_t *grown;

	if (now_s() - x->start > ras->conf.request_deadline)
		x->too_slow = true;
	if (x->too_big || x->too_slow)
		return;
	if (x->len + size > ras->conf.max_body) {
		x->too_big = true;
		return;
	}
	grown = realloc(x->body, x->len + size + 1);
	if (!grown) {
		x->too_big = true;
		return;
	}
	x->body = grown;
	memcpy(x->body + x->len, data, size);
	x->len += size;
	x->body[x->len] = '\0';
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload_data,
			      size_t *upload_data_size, void **req_cls)
{
	struct ras *ras = cls;
	struct exchange *x = *req_cls;
	struct ras_response resp;
	enum ras_endpoint ep;
	char client[INET6_ADDRSTRLEN];

	if (!x) {
		x = calloc(1, sizeof(*x));
		if (!x)
			return MHD_NO;
		x->start = now_s();
		*req_cls = x;
		if (announced_too_big(c, ras->conf.max_body))
			return refuse(ras, c, x, 413);
		return MHD_YES;
	}
	if (*upload_data_size) {
		take_body(ras, x, upload_data, *upload_data_size);
		*upload_data_size = 0;
		/*
		 * libmicrohttpd takes no response in the middle of a body:
		 * a client past the limit or the deadline is disconnected.
		 */
		if (x->too_big || x->too_slow) {
			finish(ras, x, RAS_EP_OTHER, x->too_big ? 413 : 408);
			fprintf(stderr, "offload-ras: disconnecting a client: %s\n",
				x->too_big ? "body over the limit" :
				"body past the deadline");
			return MHD_NO;
		}
		return MHD_YES;
	}
	client_address(c, client, sizeof(client));
	ras_api_handle(ras, method, url,
		       MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						   MHD_HTTP_HEADER_CONTENT_TYPE),
		       x->body, x->len, client, &resp, &ep);
	finish(ras, x, ep, resp.status);
	return send_response(c, &resp);
}

static void completed(void *cls, struct MHD_Connection *c, void **req_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct exchange *x = *req_cls;

	if (x)
		free(x->body);
	free(x);
	*req_cls = NULL;
}

static int listen_address(const struct ras_config *conf,
			  struct sockaddr_storage *ss, bool *v6)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	*v6 = false;
	if (inet_pton(AF_INET, conf->listen, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)conf->port);
		return 0;
	}
	if (inet_pton(AF_INET6, conf->listen, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)conf->port);
		*v6 = true;
		return 0;
	}
	fprintf(stderr, "offload-ras: Listen=%s: not an IPv4 or IPv6 address\n",
		conf->listen);
	return -EINVAL;
}

static int read_pem(const char *path, char **out, size_t *len)
{
	char *buf = malloc(MAX_PEM + 1);
	ssize_t n = -1;
	int fd;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, MAX_PEM + 1);
		close(fd);
	}
	if (n <= 0 || n > MAX_PEM) {
		fprintf(stderr, "offload-ras: %s: cannot read a PEM file\n", path);
		OPENSSL_cleanse(buf, MAX_PEM + 1);
		free(buf);
		return -EINVAL;
	}
	buf[n] = '\0';
	*out = buf;
	*len = (size_t)n;
	return 0;
}

static void server_free(struct server *s)
{
	if (s->tls_key)
		OPENSSL_cleanse(s->tls_key, s->tls_key_len);
	free(s->tls_key);
	free(s->tls_cert);
	free(s);
}

static int load_tls(struct server *s, const struct ras_config *conf)
{
	size_t len;

	if (!conf->tls_cert)
		return 0;
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		fprintf(stderr, "offload-ras: this libmicrohttpd has no TLS\n");
		return -EOPNOTSUPP;
	}
	if (read_pem(conf->tls_cert, &s->tls_cert, &len) ||
	    read_pem(conf->tls_key, &s->tls_key, &s->tls_key_len))
		return -EINVAL;
	return 0;
}

static struct MHD_Daemon *start(struct ras *ras, struct server *s,
				const struct sockaddr_storage *ss, bool v6)
{
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			     MHD_USE_ERROR_LOG;
	const struct ras_config *c = &ras->conf;

	if (v6)
		flags |= MHD_USE_IPv6;
	if (s->tls_cert)
		flags |= MHD_USE_TLS;
	return MHD_start_daemon(flags, 0, NULL, NULL, handle, ras,
		MHD_OPTION_SOCK_ADDR, ss,
		MHD_OPTION_THREAD_POOL_SIZE, c->threads,
		MHD_OPTION_CONNECTION_LIMIT, c->max_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, c->per_ip_connections,
		MHD_OPTION_CONNECTION_TIMEOUT, c->timeout,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HEADER_MEMORY,
		MHD_OPTION_NOTIFY_COMPLETED, completed, ras,
		s->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, s->tls_cert,
		MHD_OPTION_HTTPS_MEM_KEY, s->tls_key,
		MHD_OPTION_END);
}

int ras_server_start(struct ras *ras)
{
	struct sockaddr_storage ss;
	struct server *s;
	bool v6;
	int r;

	r = listen_address(&ras->conf, &ss, &v6);
	if (r)
		return r;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	r = load_tls(s, &ras->conf);
	if (r)
		goto free_server;
	s->mhd = start(ras, s, &ss, v6);
	if (!s->mhd) {
		fprintf(stderr, "offload-ras: cannot listen on %s port %u\n",
			ras->conf.listen, ras->conf.port);
		r = -EADDRNOTAVAIL;
		goto free_server;
	}
	ras->server = s;
	return 0;
free_server:
	server_free(s);
	return r;
}

unsigned int ras_server_port(struct ras *ras)
{
	struct server *s = ras->server;
	const union MHD_DaemonInfo *di =
		MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);

	return di ? di->port : 0;
}

void ras_server_stop(struct ras *ras)
{
	struct server *s = ras->server;

	if (!s)
		return;
	MHD_stop_daemon(s->mhd);
	server_free(s);
	ras->server = NULL;
}
