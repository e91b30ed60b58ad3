// SPDX-License-Identifier: MIT
/*
 * offload-ras under closed-loop load, from this process (not the
 * service's) over loopback: 1, 16 and 64 clients, each on its own
 * keep-alive connection, each request an attest of a valid report that
 * answers its own fresh nonce.  The nonces are fetched and the reports
 * signed before the clock starts, so the client's own signing does not
 * compete with the service for the CPU.  Printed next to this machine's
 * ECDSA P-384 verify+sign rate measured in the same run, per core the
 * service used (from its /proc CPU time).
 *
 *   ras-load OFFLOAD-RAS     (bench/run-ras runs it; not in make check)
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "evidence.h"

#define SECONDS		3.0
#define PER_CLIENT	4096

static unsigned int port;

struct conn {
	int fd;
	char buf[16384];
	size_t have;
};

static int conn_open(struct conn *c)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->have = 0;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	return c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) ? -1 : 0;
}

/* One request on a kept-alive connection; returns the status, body in c. */
static int http(struct conn *c, const char *path, const char *body, char **reply)
{
	char head[256];
	size_t len = body ? strlen(body) : 0, need;
	char *end, *cl;
	ssize_t n;
	int status = -1;

	struct iovec iov[2];
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };

	/* One write: with two, Nagle and delayed ACKs add 40 ms. */
	snprintf(head, sizeof(head), "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: "
		 "application/json\r\nContent-Length: %zu\r\n\r\n", path, len);
	iov[0] = (struct iovec){ head, strlen(head) };
	iov[1] = (struct iovec){ (void *)body, len };
	if (sendmsg(c->fd, &msg, MSG_NOSIGNAL) != (ssize_t)(iov[0].iov_len + len))
		return -1;
	c->have = 0;
	for (;;) {
		n = recv(c->fd, c->buf + c->have, sizeof(c->buf) - 1 - c->have, 0);
		if (n <= 0)
			return -1;
		c->have += (size_t)n;
		c->buf[c->have] = '\0';
		end = strstr(c->buf, "\r\n\r\n");
		cl = end ? strcasestr(c->buf, "Content-Length:") : NULL;
		if (!cl)
			continue;
		need = (size_t)(end + 4 - c->buf) + strtoul(cl + 15, NULL, 10);
		if (c->have >= need)
			break;
	}
	sscanf(c->buf, "HTTP/1.1 %d", &status);
	*reply = end + 4;
	return status;
}

struct client {
	pthread_t thread;
	struct ev_device *dev;
	char **bodies;
	size_t n, used;
	double *lat;
	size_t errors;
	volatile int *stop;
};

static int prepare(struct client *cl, size_t n)
{
	static uint8_t rep[OFS_REPORT_MAX];
	uint8_t nonce[OFS_NONCE_LEN];
	struct ofs_report r;
	struct conn c;
	char *reply, *at;
	size_t i, len;

	cl->bodies = calloc(n, sizeof(char *));
	cl->lat = calloc(n, sizeof(double));
	if (!cl->bodies || !cl->lat || conn_open(&c))
		return -1;
	for (i = 0; i < n; i++) {
		if (http(&c, "/v1/challenge", NULL, &reply) != 200 ||
		    !(at = strstr(reply, "\"nonce\":\"")) ||
		    (at[9 + 64] = '\0', ofs_unhex(at + 9, nonce, sizeof(nonce))) != 32)
			return -1;
		ev_report(cl->dev, nonce, &r);
		if (ev_sign(cl->dev, &r, rep, &len))
			return -1;
		cl->bodies[i] = ev_request_json(cl->dev, rep, len, nonce);
	}
	cl->n = n;
	close(c.fd);
	return 0;
}

static void *run_client(void *arg)
{
	struct client *cl = arg;
	struct conn c;
	char *reply;
	double t0;

	if (conn_open(&c)) {
		cl->errors++;
		return NULL;
	}
	while (!*cl->stop && cl->used < cl->n) {
		t0 = bench_now();
		if (http(&c, "/v1/attest", cl->bodies[cl->used], &reply) != 200)
			cl->errors++;
		cl->lat[cl->used++] = bench_now() - t0;
	}
	close(c.fd);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double cpu_seconds(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
		sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st);
	fclose(f);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void phase(struct ev_device *dev, int n, pid_t pid, double limit)
{
	struct client *cl = calloc((size_t)n, sizeof(*cl));
	size_t per = n == 1 ? 2048 : PER_CLIENT / (size_t)n * 2, total = 0, errors = 0, k = 0;
	volatile int stop = 0;
	double t0, wall, cpu0, cores, *all, rps;
	int i;

	for (i = 0; i < n; i++) {
		cl[i].dev = dev;
		cl[i].stop = &stop;
		if (prepare(&cl[i], per)) {
			fprintf(stderr, "ras-load: cannot prepare requests\n");
			exit(1);
		}
	}
	cpu0 = cpu_seconds(pid);
	t0 = bench_now();
	for (i = 0; i < n; i++)
		pthread_create(&cl[i].thread, NULL, run_client, &cl[i]);
	while (bench_now() - t0 < SECONDS)
		usleep(10000);
	stop = 1;
	for (i = 0; i < n; i++)
		pthread_join(cl[i].thread, NULL);
	wall = bench_now() - t0;
	cores = (cpu_seconds(pid) - cpu0) / wall;
	for (i = 0; i < n; i++) {
		total += cl[i].used;
		errors += cl[i].errors;
	}
	all = calloc(total ? total : 1, sizeof(double));
	for (i = 0; i < n; i++) {
		memcpy(all + k, cl[i].lat, cl[i].used * sizeof(double));
		k += cl[i].used;
	}
	qsort(all, total, sizeof(double), cmp_double);
	rps = (double)total / wall;
	printf("offload-ras %2d clients: %7.0f attest/s  p50 %6.2f ms  p99 %6.2f ms  "
	       "errors %zu  service cores %.2f  -> %5.1f%% of the P-384 verify+sign "
	       "limit per core (goal >= 80%%)%s\n", n, rps,
	       total ? 1e3 * all[total / 2] : 0, total ? 1e3 * all[total * 99 / 100] : 0,
	       errors, cores, cores > 0 ? 100 * rps / cores / limit : 0,
	       n == 16 ? "; p99 goal <= 5 ms" : "");
	for (i = 0; i < n; i++) {
		for (size_t j = 0; j < cl[i].n; j++)
			free(cl[i].bodies[j]);
		free(cl[i].bodies);
		free(cl[i].lat);
	}
	free(all);
	free(cl);
}

static pid_t start_ras(const char *bin, const char *dir)
{
	char set[6][4200], log[4200], line[512];
	int fds[2];
	pid_t pid;
	FILE *f;

	snprintf(set[0], sizeof(set[0]), "Policy=%s/policy.json", dir);
	snprintf(set[1], sizeof(set[1]), "SigningKey=%s/ras.key", dir);
	snprintf(set[2], sizeof(set[2]), "Roots=%s/root.pem", dir);
	snprintf(set[3], sizeof(set[3]), "Database=%s/ras.db", dir);
	snprintf(set[4], sizeof(set[4]), "Port=0");
	snprintf(set[5], sizeof(set[5]), "PerIPConnections=256");
	snprintf(log, sizeof(log), "%s/ras.log", dir);
	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 2);
		execl(bin, bin, "--set", set[0], "--set", set[1], "--set", set[2],
		      "--set", set[3], "--set", set[4], "--set", set[5], NULL);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "offload-ras: listening on 127.0.0.1 port %u", &port) == 1)
			break;
	return port ? pid : -1;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/ras-load-XXXXXX", *policy, path[4200], cmd[4300];
	struct ev_device dev = { 0 };
	double verify, sign, limit;
	FILE *f;
	pid_t pid;

	if (argc != 2 || !mkdtemp(dir)) {
		fprintf(stderr, "usage: ras-load OFFLOAD-RAS\n");
		return 2;
	}
	if (ev_device_make(&dev, 9, 1) || !(policy = ev_policy_json(&dev, "bench", NULL)))
		return 1;
	snprintf(path, sizeof(path), "%s/policy.json", dir);
	f = fopen(path, "w");
	fputs(policy, f);
	fclose(f);
	free(policy);
	snprintf(path, sizeof(path), "%s/root.pem", dir);
	ofs_cert_save_pem(path, dev.root, 0644);
	snprintf(path, sizeof(path), "%s/ras.key", dir);
	{
		EVP_PKEY *k = EVP_EC_gen("P-384");

		ofs_key_save_pem(path, k, 0600);
		EVP_PKEY_free(k);
	}
	verify = bench_limit_p384_verify(1.0);
	sign = bench_limit_p384_sign(1.0);
	limit = 1.0 / (1.0 / verify + 1.0 / sign);
	printf("machine: ECDSA P-384 verify %.0f/s, sign %.0f/s, verify+sign %.0f/s "
	       "per core\n", verify, sign, limit);
	pid = start_ras(argv[1], dir);
	if (pid < 0) {
		fprintf(stderr, "ras-load: offload-ras did not start\n");
		return 1;
	}
	phase(&dev, 1, pid, limit);
	phase(&dev, 16, pid, limit);
	phase(&dev, 64, pid, limit);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	ev_device_free(&dev);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) ? 1 : 0;
}
