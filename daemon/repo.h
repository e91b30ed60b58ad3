/* SPDX-License-Identifier: MIT */
/*
 * Inside the repository module: repo.c (the manifest, the image, VERIFY
 * of a directory) and repo-cache.c (the component cache, downloads) share
 * one fetch's state.  Not for other modules: theirs is secd.h.
 */
#ifndef SECD_REPO_H
#define SECD_REPO_H

#include <stdbool.h>
#include <stdint.h>

#include "ofs-http.h"
#include "secd.h"

struct secd_repo_src {
	bool http;
	char base[4096];	/* a directory, or a URL ending in '/' */
};

/* One component of the image on its way into the cache. */
struct secd_repo_comp {
	bool present;
	int dup_of;		/* same digest as an earlier component, or -1 */
	int part_fd;		/* locked .part downloaded this time, or -1 */
	char hex[2 * OFS_SHA256_LEN + 1];
};

/* One call of secd_repo_fetch_image(). */
struct secd_repo_job {
	struct secd_repo_fetch *f;
	const struct secd_config *c;
	struct secd_repo_src src;
	struct ofs_manifest *m;
	const struct ofs_manifest_image *img;
	struct secd_repo_comp comp[OFS_MAX_COMPONENTS];
	uint64_t progress_base;	/* bytes of the stage before this file */
	bool added;		/* a component was put in the cache */
};

/* ---- repo.c ---- */

/* Sets the fetch's reason; returns r. */
int secd_repo_fail(struct secd_repo_job *j, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool secd_repo_cancelled(const struct secd_repo_job *j);
void secd_repo_progress(struct secd_repo_job *j, uint64_t done, uint64_t total);
/* Repository.* as request options; bodies of at most max_size bytes. */
struct ofs_http_opts secd_repo_http_opts(struct secd_repo_job *j, size_t max_size);
/* An answer other than 200/206: -ENOENT for a 404, else -EPROTO. */
int secd_repo_http_status(struct secd_repo_job *j, const char *url, long status);
/*
 * fd's size, then SHA-256 of exactly that many bytes, against component
 * k of the image (-EBADMSG); *hashed counts the bytes read, of total.
 */
int secd_repo_check_digest(struct secd_repo_job *j, int fd, uint32_t k,
			   uint64_t *hashed, uint64_t total);

/* ---- repo-cache.c ---- */

/*
 * FETCH over HTTP: each component of the image (but duplicates) is either
 * in the cache (out->fd[k] open) or downloaded into its .part, which
 * stays open and locked in j->comp[k].part_fd.
 */
int secd_repo_cache_fetch(struct secd_repo_job *j, struct secd_image *out);
/* VERIFY of a downloaded component: renamed into place, or removed. */
int secd_repo_cache_commit(struct secd_repo_job *j, uint32_t k, uint64_t *hashed,
			   uint64_t total, struct secd_image *out);
/*
 * After a fetch that put something in the cache: removes the least
 * recently used components until the cache holds at most CacheMax bytes,
 * sparing the job's own and any a launch holds open.  Best effort: what
 * cannot be removed is logged and left.
 */
void secd_repo_cache_prune(struct secd_repo_job *j);

#endif
