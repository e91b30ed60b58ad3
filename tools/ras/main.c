// SPDX-License-Identifier: MIT
/*
 * offload-ras: ordered start, the signal loop, mirrored stop.  SIGHUP
 * reloads the policy (requests in flight finish under the old one);
 * SIGTERM and SIGINT stop.  Signals are blocked before any thread starts
 * and taken synchronously here, so no handler runs in a server thread.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "ofs-util.h"
#include "ras.h"

#define PRUNE_EVERY_S	60
#define PRUNE_GRACE_S	3600

static void usage(FILE *out)
{
	fprintf(out, "Usage: offload-ras [--config FILE] [--set Key=Value]... "
		"[--check]\n"
		"Keys are those of the configuration file (docs/ras-api.md §6),\n"
		"e.g. --set Port=0 --set Policy=policy.json.  --check validates\n"
		"the configuration and the policy, then exits.\n");
}

static int parse_args(int argc, char **argv, struct ras_config *c, bool *check)
{
	char *eq;
	int i, r;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--config") && i + 1 < argc) {
			if (ras_conf_load(c, argv[++i]))
				return -EINVAL;
		} else if (!strcmp(argv[i], "--set") && i + 1 < argc &&
			   (eq = strchr(argv[i + 1], '='))) {
			*eq = '\0';
			r = ras_conf_set(c, argv[i + 1], eq + 1);
			if (r) {
				fprintf(stderr, "offload-ras: --set %s: %s\n",
					argv[i + 1], r == -ENOENT ? "unknown key" :
					"invalid value");
				return -EINVAL;
			}
			i++;
		} else if (!strcmp(argv[i], "--check")) {
			*check = true;
		} else {
			usage(strcmp(argv[i], "--help") ? stderr : stdout);
			return strcmp(argv[i], "--help") ? -EINVAL : 1;
		}
	}
	return ras_conf_check(c);
}

static void log_policy(struct ras *ras, const char *what)
{
	struct ras_policy *rp = ras_policy_get(&ras->policy);
	char digest[2 * OFS_SHA256_LEN + 1];

	ofs_hex(rp->p->digest, OFS_SHA256_LEN, digest);
	fprintf(stderr, "offload-ras: %s policy '%s' sha256 %s\n", what, rp->p->id,
		digest);
	sd_notifyf(0, "STATUS=policy '%s' sha256 %.16s", rp->p->id, digest);
	ras_policy_put(rp);
}

static void reload(struct ras *ras)
{
	struct ofs_policy_error err;
	int r;

	sd_notify(0, "RELOADING=1");
	r = ras_policy_reload(&ras->policy, &err);
	ras_metrics_reload(ras->metrics, !r);
	if (r)
		fprintf(stderr, "offload-ras: reload refused, the old policy stays: "
			"%s\n", err.what);
	else
		log_policy(ras, "reloaded");
	sd_notify(0, "READY=1");
}

static void serve(struct ras *ras, const sigset_t *set)
{
	struct timespec every = { PRUNE_EVERY_S, 0 };
	int sig;

	for (;;) {
		sig = sigtimedwait(set, NULL, &every);
		if (sig == SIGHUP)
			reload(ras);
		else if (sig == SIGTERM || sig == SIGINT)
			return;
		else if (sig < 0 && errno == EAGAIN)
			ras_store_prune(ras->store, (uint64_t)time(NULL) - PRUNE_GRACE_S);
	}
}

static int start(struct ras *ras, bool check)
{
	int r;

	r = ras_policy_init(&ras->policy, ras->conf.policy);
	if (r || check)
		return r;
	ras->metrics = ras_metrics_new();
	if (!ras->metrics)
		return -ENOMEM;
	r = ras_keys_load(&ras->keys, &ras->conf);
	if (!r)
		r = ras_chain_cache_new(&ras->conf, &ras->chain_cache);
	if (!r)
		r = ras_store_open(ras->conf.database, ras->conf.durable, &ras->store);
	if (!r)
		r = ras_server_start(ras);
	return r;
}

static void stop(struct ras *ras)
{
	ras_server_stop(ras);
	ras_store_close(ras->store);
	ofs_chain_cache_free(ras->chain_cache);
	ras_keys_free(&ras->keys);
	if (ras->policy.cur)
		ras_policy_fini(&ras->policy);
	ras_metrics_free(ras->metrics);
	ras_conf_free(&ras->conf);
}

int main(int argc, char **argv)
{
	static struct ras ras;
	bool check = false;
	sigset_t set;
	int r;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	ras_conf_init(&ras.conf);
	r = parse_args(argc, argv, &ras.conf, &check);
	if (!r)
		r = start(&ras, check);
	if (!r && !check) {
		fprintf(stderr, "offload-ras: listening on %s port %u (%s)\n",
			ras.conf.listen, ras_server_port(&ras),
			ras.conf.tls_cert ? "https" : "http");
		log_policy(&ras, "serving");
		sd_notify(0, "READY=1");
		serve(&ras, &set);
		sd_notify(0, "STOPPING=1");
	}
	stop(&ras);
	return r < 0 ? 1 : r;
}
