// SPDX-License-Identifier: MIT
/*
 * The policy in force.  A request takes a reference for its whole
 * decision, so a reload (SIGHUP) swaps the pointer under live requests
 * without dropping or mixing them: each is decided, and its confirmation
 * stamped, under exactly one policy.  A policy that fails to load leaves
 * the old one in force.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ras.h"

static int load(const char *path, struct ras_policy **out,
		struct ofs_policy_error *err)
{
	struct ras_policy *rp = calloc(1, sizeof(*rp));
	int r;

	if (!rp)
		return -ENOMEM;
	r = ofs_policy_load(path, &rp->p, err);
	if (r) {
		free(rp);
		return r;
	}
	atomic_init(&rp->refs, 1);
	rp->loaded_at = (uint64_t)time(NULL);
	*out = rp;
	return 0;
}

int ras_policy_init(struct ras_policy_holder *h, const char *path)
{
	struct ofs_policy_error err;
	int r;

	pthread_mutex_init(&h->lock, NULL);
	h->path = path;
	h->cur = NULL;
	r = load(path, &h->cur, &err);
	if (r)
		fprintf(stderr, "offload-ras: %s\n", err.what);
	return r;
}

int ras_policy_reload(struct ras_policy_holder *h, struct ofs_policy_error *err)
{
	struct ras_policy *rp, *old;
	int r = load(h->path, &rp, err);

	if (r)
		return r;
	pthread_mutex_lock(&h->lock);
	old = h->cur;
	h->cur = rp;
	pthread_mutex_unlock(&h->lock);
	ras_policy_put(old);
	return 0;
}

struct ras_policy *ras_policy_get(struct ras_policy_holder *h)
{
	struct ras_policy *rp;

	pthread_mutex_lock(&h->lock);
	rp = h->cur;
	atomic_fetch_add(&rp->refs, 1);
	pthread_mutex_unlock(&h->lock);
	return rp;
}

void ras_policy_put(struct ras_policy *rp)
{
	if (rp && atomic_fetch_sub(&rp->refs, 1) == 1) {
		ofs_policy_free(rp->p);
		free(rp);
	}
}

void ras_policy_fini(struct ras_policy_holder *h)
{
	ras_policy_put(h->cur);
	h->cur = NULL;
	pthread_mutex_destroy(&h->lock);
}
