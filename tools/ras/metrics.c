// SPDX-License-Identifier: MIT
/*
 * Counters for GET /metrics, in the Prometheus text exposition format:
 * requests by endpoint and status, verdicts, refusals by the check that
 * failed, policy reloads, and a request latency histogram.  Lock-free:
 * relaxed atomics, since each counter stands alone.  The chain cache
 * keeps its own counters; they are read when the text is made.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ras.h"

static const unsigned int statuses[] = {
	200, 400, 403, 404, 405, 408, 413, 415, 500, 503,
};
#define N_STATUS	(sizeof(statuses) / sizeof(statuses[0]) + 1)

static const double buckets[] = {
	0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5,
};
#define N_BUCKETS	(sizeof(buckets) / sizeof(buckets[0]))

static const char *const endpoints[RAS_EP_COUNT] = {
	"challenge", "attest", "policy", "healthz", "metrics", "other",
};

static const char *const checks[] = {
	OFS_CHECK_CHAIN, OFS_CHECK_REPORT_SIG, OFS_CHECK_UEID,
	OFS_CHECK_MEASUREMENT, OFS_CHECK_SVN, OFS_CHECK_EVENT_LOG,
	OFS_CHECK_NONCE, OFS_CHECK_FRESHNESS, OFS_CHECK_REVOKED,
	OFS_CHECK_DEBUG, OFS_CHECK_MIN_SVN, OFS_CHECK_STAGES,
	OFS_CHECK_COMPOSITE, OFS_CHECK_IMAGE,
};
#define N_CHECKS	(sizeof(checks) / sizeof(checks[0]))

struct ras_metrics {
	atomic_ulong requests[RAS_EP_COUNT][N_STATUS];
	atomic_ulong verdicts[3];
	atomic_ulong refusals[N_CHECKS];
	atomic_ulong reloads[2];
	atomic_ulong hist[N_BUCKETS + 1];
	atomic_ulong sum_us;
};

struct ras_metrics *ras_metrics_new(void)
{
	return calloc(1, sizeof(struct ras_metrics));
}

void ras_metrics_free(struct ras_metrics *m)
{
	free(m);
}

static void inc(atomic_ulong *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static unsigned long get(atomic_ulong *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

void ras_metrics_request(struct ras_metrics *m, enum ras_endpoint ep,
			 unsigned int status, double seconds)
{
	size_t i;

	for (i = 0; i < N_STATUS - 1 && statuses[i] != status; i++)
		;
	inc(&m->requests[ep][i]);
	for (i = 0; i < N_BUCKETS && seconds > buckets[i]; i++)
		;
	inc(&m->hist[i]);
	atomic_fetch_add_explicit(&m->sum_us, (unsigned long)(seconds * 1e6),
				  memory_order_relaxed);
}

void ras_metrics_decision(struct ras_metrics *m, const struct ras_decision *d)
{
	size_t i, j;

	inc(&m->verdicts[d->verdict == OFS_VERDICT_AFFIRMING ? 0 :
			 d->verdict == OFS_VERDICT_WARNING ? 1 : 2]);
	for (i = 0; i < d->a.n_checks; i++) {
		if (!d->a.checks[i].err || d->a.checks[i].err == -ECANCELED)
			continue;
		for (j = 0; j < N_CHECKS && strcmp(checks[j], d->a.checks[i].name); j++)
			;
		if (j < N_CHECKS)
			inc(&m->refusals[j]);
	}
}

void ras_metrics_reload(struct ras_metrics *m, bool ok)
{
	inc(&m->reloads[ok ? 0 : 1]);
}

struct text {
	char *buf;
	size_t len, size;
	int err;
};

__attribute__((format(printf, 2, 3)))
static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->err)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->buf + t->len, t->size - t->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->err = -EINVAL;
			return;
		}
		if ((size_t)n < t->size - t->len)
			break;
		t->size = 2 * t->size + (size_t)n;
		t->buf = realloc(t->buf, t->size);
		if (!t->buf) {
			t->err = -ENOMEM;
			return;
		}
	}
	t->len += (size_t)n;
}

static void put_requests(struct text *t, struct ras_metrics *m)
{
	size_t e, s;

	put(t, "# HELP ras_requests_total HTTP requests by endpoint and status.\n"
	    "# TYPE ras_requests_total counter\n");
	for (e = 0; e < RAS_EP_COUNT; e++)
		for (s = 0; s < N_STATUS; s++)
			if (s < N_STATUS - 1 && get(&m->requests[e][s]))
				put(t, "ras_requests_total{endpoint=\"%s\",code=\"%u\"} %lu\n",
				    endpoints[e], statuses[s], get(&m->requests[e][s]));
			else if (get(&m->requests[e][s]))
				put(t, "ras_requests_total{endpoint=\"%s\",code=\"other\"} %lu\n",
				    endpoints[e], get(&m->requests[e][s]));
}

static void put_verdicts(struct text *t, struct ras_metrics *m)
{
	static const char *const names[] = { "affirming", "warning",
					     "contraindicated" };
	char label[64], *p;
	size_t i;

	put(t, "# HELP ras_verdicts_total Attestation decisions by verdict.\n"
	    "# TYPE ras_verdicts_total counter\n");
	for (i = 0; i < 3; i++)
		put(t, "ras_verdicts_total{verdict=\"%s\"} %lu\n", names[i],
		    get(&m->verdicts[i]));
	put(t, "# HELP ras_refusals_total Failed checks, by check.\n"
	    "# TYPE ras_refusals_total counter\n");
	for (i = 0; i < N_CHECKS; i++) {
		snprintf(label, sizeof(label), "%s", checks[i]);
		for (p = label; *p; p++)
			if (*p == ' ')
				*p = '_';
		put(t, "ras_refusals_total{reason=\"%s\"} %lu\n", label,
		    get(&m->refusals[i]));
	}
	put(t, "# HELP ras_policy_reloads_total Policy reloads by result.\n"
	    "# TYPE ras_policy_reloads_total counter\n"
	    "ras_policy_reloads_total{result=\"ok\"} %lu\n"
	    "ras_policy_reloads_total{result=\"failed\"} %lu\n",
	    get(&m->reloads[0]), get(&m->reloads[1]));
}

static void put_histogram(struct text *t, struct ras_metrics *m)
{
	unsigned long cum = 0;
	size_t i;

	put(t, "# HELP ras_request_duration_seconds Time to answer a request.\n"
	    "# TYPE ras_request_duration_seconds histogram\n");
	for (i = 0; i < N_BUCKETS; i++) {
		cum += get(&m->hist[i]);
		put(t, "ras_request_duration_seconds_bucket{le=\"%g\"} %lu\n",
		    buckets[i], cum);
	}
	cum += get(&m->hist[N_BUCKETS]);
	put(t, "ras_request_duration_seconds_bucket{le=\"+Inf\"} %lu\n"
	    "ras_request_duration_seconds_sum %.6f\n"
	    "ras_request_duration_seconds_count %lu\n", cum,
	    (double)get(&m->sum_us) / 1e6, cum);
}

static void put_chain_cache(struct text *t, struct ofs_chain_cache *cache)
{
	struct ofs_chain_cache_stats st;

	ofs_chain_cache_get_stats(cache, &st);
	put(t, "# HELP ras_chain_cache_hits_total Device chains found verified "
	    "in the cache.\n"
	    "# TYPE ras_chain_cache_hits_total counter\n"
	    "ras_chain_cache_hits_total %llu\n"
	    "# HELP ras_chain_cache_misses_total Device chains verified (not "
	    "cached, or expired).\n"
	    "# TYPE ras_chain_cache_misses_total counter\n"
	    "ras_chain_cache_misses_total %llu\n"
	    "# HELP ras_chain_cache_evictions_total Cached chains dropped for "
	    "room.\n"
	    "# TYPE ras_chain_cache_evictions_total counter\n"
	    "ras_chain_cache_evictions_total %llu\n"
	    "# HELP ras_chain_cache_entries Verified chains cached.\n"
	    "# TYPE ras_chain_cache_entries gauge\n"
	    "ras_chain_cache_entries %llu\n",
	    (unsigned long long)st.hits, (unsigned long long)st.misses,
	    (unsigned long long)st.evictions, (unsigned long long)st.entries);
}

char *ras_metrics_text(struct ras_metrics *m, struct ofs_chain_cache *cache)
{
	struct text t = { .buf = malloc(4096), .size = 4096 };

	if (!t.buf)
		return NULL;
	put_requests(&t, m);
	put_verdicts(&t, m);
	put_histogram(&t, m);
	put_chain_cache(&t, cache);
	if (t.err) {
		free(t.buf);
		return NULL;
	}
	return t.buf;
}
