// SPDX-License-Identifier: MIT
/*
 * The component cache of the repository module (docs/repository.md §6):
 * CACHE/sha256/HEX holds a component whose size and SHA-256 were checked
 * before it was renamed there; CACHE/sha256/HEX.part is one on its way,
 * resumed across attempts.  The .part's flock() makes one launch the
 * downloader while the others wait, and locks are taken in digest order,
 * so that two launches never wait for each other.
 *
 * The cache is bounded by CacheMax: after a launch put something in it,
 * the least recently used components go until it fits.  A launch holds a
 * shared flock() on every cached file it reads, and touches its times, so
 * that pruning (an exclusive flock() that must not wait) passes over what
 * is in use and knows what was used last even under noatime.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "ofs-http.h"
#include "repo.h"

#define LOCK_POLL_MS	50

/* base + path, the path's bytes outside [A-Za-z0-9._~/-] percent-encoded. */
static int member_url(struct secd_repo_job *j, const char *path, char *out, size_t size)
{
	size_t n = strlen(j->src.base);
	const unsigned char *p;

	if (n >= size)
		return -ENAMETOOLONG;
	memcpy(out, j->src.base, n);
	for (p = (const unsigned char *)path; *p; p++) {
		if (n + 4 > size)
			return -ENAMETOOLONG;
		if (isalnum(*p) || strchr("._~/-", *p))
			out[n++] = (char)*p;
		else
			n += (size_t)snprintf(out + n, 4, "%%%02X", *p);
	}
	out[n] = '\0';
	return 0;
}

static void cache_path(const struct secd_repo_job *j, const struct secd_repo_comp *cp,
		       const char *suffix, char *out, size_t size)
{
	snprintf(out, size, "%s/sha256/%s%s", j->c->cache_dir, cp->hex, suffix);
}

static int make_cache_dirs(struct secd_repo_job *j)
{
	char path[4200];
	const char *dir = j->c->cache_dir;

	if (!dir || !dir[0])
		return secd_repo_fail(j, -EINVAL, "Cache= is not set");
	snprintf(path, sizeof(path), "%s/sha256", dir);
	if ((mkdir(dir, 0700) && errno != EEXIST) ||
	    (mkdir(path, 0700) && errno != EEXIST))
		return secd_repo_fail(j, -errno, "Cache=%s: %m", dir);
	return 0;
}

/* Still the file that the path names (not renamed or removed meanwhile)? */
static bool still_there(int fd, const char *path)
{
	struct stat a, b;

	return !fstat(fd, &a) && !stat(path, &b) && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino && a.st_nlink > 0;
}

static int sleep_poll(struct secd_repo_job *j)
{
	struct timespec t = { 0, LOCK_POLL_MS * 1000000L };

	nanosleep(&t, NULL);
	return secd_repo_cancelled(j) ? secd_repo_fail(j, -ECANCELED, "cancelled") : 0;
}

/*
 * A shared lock on a cached file a launch reads: pruning passes over it.
 * Pruning holds its exclusive lock only to unlink, so this waits briefly.
 */
static int share_lock(struct secd_repo_job *j, int fd)
{
	int r;

	while (flock(fd, LOCK_SH | LOCK_NB)) {
		if (errno != EWOULDBLOCK)
			return -errno;
		r = sleep_poll(j);
		if (r)
			return r;
	}
	return 0;
}

/*
 * The verified file of that digest when it is there with the right size,
 * share-locked and its times touched: the cache's LRU order does not rely
 * on the filesystem updating atime.
 */
static int cache_lookup(struct secd_repo_job *j, const struct secd_repo_comp *cp,
			uint64_t size)
{
	char path[4200];
	struct stat st;
	int fd, r;

	cache_path(j, cp, "", path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return -errno;
	r = share_lock(j, fd);
	if (r) {
		close(fd);
		return r == -ECANCELED ? r : -ENOENT;
	}
	if (!still_there(fd, path)) {
		close(fd);	/* pruned meanwhile: fetched again */
		return -ENOENT;
	}
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && (uint64_t)st.st_size == size) {
		(void)futimens(fd, NULL);	/* a read-only cache keeps its order */
		return fd;
	}
	/* Truncated or replaced behind our back: fetched again. */
	close(fd);
	unlink(path);
	return -ENOENT;
}

/*
 * The .part of cp, open and locked: the downloader's right.  Another
 * launch holding it is waited for (as long as a download may take).
 */
static int lock_part(struct secd_repo_job *j, struct secd_repo_comp *cp)
{
	unsigned int tries = j->c->fetch_retries + 1;
	uint64_t waited_ms = 0, max_ms = (uint64_t)j->c->fetch_timeout * 1000u * tries;
	char path[4200];
	int fd, r;

	cache_path(j, cp, ".part", path, sizeof(path));
	for (;;) {
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY,
			  0600);
		if (fd < 0)
			return secd_repo_fail(j, -errno, "%s: %m", path);
		while (flock(fd, LOCK_EX | LOCK_NB)) {
			r = -errno;
			/*
			 * Renamed into place, its readers' shared locks would
			 * keep us waiting for nothing: look again.
			 */
			if (r == -EWOULDBLOCK && !still_there(fd, path))
				break;
			if (r == -EWOULDBLOCK)
				r = sleep_poll(j);
			waited_ms += LOCK_POLL_MS;
			if (!r && max_ms && waited_ms > max_ms)
				r = secd_repo_fail(j, -ETIMEDOUT,
						   "%s: another launch has been "
						   "fetching it for %" PRIu64 " s",
						   path, waited_ms / 1000);
			if (r) {
				close(fd);
				if (r == -ETIMEDOUT || r == -ECANCELED)
					return r;
				return secd_repo_fail(j, r, "%s: %s", path, strerror(-r));
			}
		}
		if (still_there(fd, path)) {
			cp->part_fd = fd;
			return 0;
		}
		close(fd);	/* the winner renamed or removed it: look again */
	}
}

static void drop_part(struct secd_repo_job *j, struct secd_repo_comp *cp)
{
	char path[4200];

	cache_path(j, cp, ".part", path, sizeof(path));
	unlink(path);
	close(cp->part_fd);
	cp->part_fd = -1;
}

/* Downloads the rest of component k into its locked .part. */
static int download(struct secd_repo_job *j, uint32_t k, struct secd_repo_comp *cp)
{
	const struct ofs_manifest_component *mc = &j->img->comp[k];
	struct ofs_http_result res;
	struct ofs_http_opts o = secd_repo_http_opts(j, mc->size);
	char url[4600];
	struct stat st;
	int r;

	if (fstat(cp->part_fd, &st))
		return secd_repo_fail(j, -errno, "%s: %m", ofs_component_name(k));
	if ((uint64_t)st.st_size == mc->size)
		return 0;	/* complete: VERIFY decides */
	if ((uint64_t)st.st_size > mc->size && ftruncate(cp->part_fd, 0))
		return secd_repo_fail(j, -errno, "%s: %m", ofs_component_name(k));
	if (member_url(j, mc->path, url, sizeof(url)))
		return secd_repo_fail(j, -ENAMETOOLONG, "%s: the URL is too long",
				      mc->path);
	r = ofs_http_get_file(url, cp->part_fd, &o, &res);
	if (r == -EFBIG) {
		drop_part(j, cp);
		r = secd_repo_fail(j, -EBADMSG,
				   "%s: %s is larger than the manifest says (%" PRIu64
				   " bytes)",
				   ofs_component_name(k), url, mc->size);
	} else if (r) {
		secd_repo_fail(j, r, "%s", res.reason);
	} else if (res.status != 200 && res.status != 206) {
		r = secd_repo_http_status(j, url, res.status);
	} else if (fstat(cp->part_fd, &st)) {
		r = secd_repo_fail(j, -errno, "%s: %m", ofs_component_name(k));
	} else if ((uint64_t)st.st_size != mc->size) {
		drop_part(j, cp);
		r = secd_repo_fail(j, -EBADMSG,
				   "%s: %s has %" PRIu64 " bytes, the manifest "
				   "says %" PRIu64,
				   ofs_component_name(k), url, (uint64_t)st.st_size,
				   mc->size);
	}
	ofs_http_result_free(&res);
	/* Nothing arrived: no empty file left behind to resume. */
	if (r && cp->part_fd >= 0 && !fstat(cp->part_fd, &st) && !st.st_size)
		drop_part(j, cp);
	return r;
}

/* Components in digest order: the lock order of every launch. */
static void lock_order(const struct secd_repo_job *j,
		       uint32_t order[OFS_MAX_COMPONENTS], uint32_t *n)
{
	uint32_t k, i, t;

	*n = 0;
	for (k = 0; k < OFS_MAX_COMPONENTS; k++)
		if (j->comp[k].present && j->comp[k].dup_of < 0)
			order[(*n)++] = k;
	for (i = 1; i < *n; i++)
		for (k = i; k > 0 && strcmp(j->comp[order[k - 1]].hex,
					   j->comp[order[k]].hex) > 0; k--) {
			t = order[k];
			order[k] = order[k - 1];
			order[k - 1] = t;
		}
}

/* FETCH for http: every component is in the cache or in a locked .part. */
int secd_repo_cache_fetch(struct secd_repo_job *j, struct secd_image *out)
{
	uint32_t order[OFS_MAX_COMPONENTS], n, i, k;
	uint64_t total = 0;
	int r = make_cache_dirs(j);

	lock_order(j, order, &n);
	for (i = 0; !r && i < n; i++) {
		k = order[i];
		out->fd[k] = cache_lookup(j, &j->comp[k], j->img->comp[k].size);
		if (out->fd[k] >= 0)
			continue;
		if (out->fd[k] == -ECANCELED) {
			out->fd[k] = -1;
			r = secd_repo_fail(j, -ECANCELED, "cancelled");
			break;
		}
		r = lock_part(j, &j->comp[k]);
		/* Someone else may have brought it while we waited. */
		out->fd[k] = r ? -1 : cache_lookup(j, &j->comp[k],
						   j->img->comp[k].size);
		if (out->fd[k] == -ECANCELED) {
			out->fd[k] = -1;
			r = secd_repo_fail(j, -ECANCELED, "cancelled");
		} else if (out->fd[k] >= 0)
			drop_part(j, &j->comp[k]);
		else if (!r)
			total += j->img->comp[k].size;
	}
	j->progress_base = 0;
	secd_repo_progress(j, 0, total);
	for (i = 0; !r && i < n; i++) {
		k = order[i];
		if (j->comp[k].part_fd < 0)
			continue;
		r = download(j, k, &j->comp[k]);
		j->progress_base += j->img->comp[k].size;
	}
	return r;
}

/* VERIFY of a downloaded component: into place, or out of the cache. */
int secd_repo_cache_commit(struct secd_repo_job *j, uint32_t k, uint64_t *hashed,
			   uint64_t total, struct secd_image *out)
{
	struct secd_repo_comp *cp = &j->comp[k];
	char part[4200], path[4200];
	int r, fd;

	r = secd_repo_check_digest(j, cp->part_fd, k, hashed, total);
	if (r == -EBADMSG) {
		char why[sizeof(j->f->reason)];

		memcpy(why, j->f->reason, sizeof(why));
		drop_part(j, cp);
		return secd_repo_fail(j, r, "%s (removed from the cache)", why);
	}
	if (r)
		return r;
	cache_path(j, cp, ".part", part, sizeof(part));
	cache_path(j, cp, "", path, sizeof(path));
	if (fsync(cp->part_fd) || rename(part, path))
		return secd_repo_fail(j, -errno, "%s: %m", path);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return secd_repo_fail(j, -errno, "%s: %m", path);
	close(cp->part_fd);	/* unlocks: waiters find it in place */
	cp->part_fd = -1;
	out->fd[k] = fd;
	j->added = true;
	return share_lock(j, fd);
}

/* ---- CacheMax: least recently used out ---- */

struct cached {
	char hex[2 * OFS_SHA256_LEN + 1];
	uint64_t size;
	struct timespec used;
};

/* A verified component's name: not a .part, not anything else. */
static bool is_digest_name(const char *name)
{
	return strlen(name) == 2 * OFS_SHA256_LEN &&
	       strspn(name, "0123456789abcdef") == 2 * OFS_SHA256_LEN;
}

static bool is_own(const struct secd_repo_job *j, const char *hex)
{
	uint32_t k;

	for (k = 0; k < OFS_MAX_COMPONENTS; k++)
		if (j->comp[k].present && !strcmp(j->comp[k].hex, hex))
			return true;
	return false;
}

/* atime where the filesystem keeps it, else the mtime launches touch. */
static struct timespec last_used(const struct stat *st)
{
	const struct timespec *a = &st->st_atim, *m = &st->st_mtim;

	if (a->tv_sec != m->tv_sec)
		return a->tv_sec > m->tv_sec ? *a : *m;
	return a->tv_nsec > m->tv_nsec ? *a : *m;
}

static int by_last_use(const void *pa, const void *pb)
{
	const struct cached *a = pa, *b = pb;

	if (a->used.tv_sec != b->used.tv_sec)
		return a->used.tv_sec < b->used.tv_sec ? -1 : 1;
	if (a->used.tv_nsec != b->used.tv_nsec)
		return a->used.tv_nsec < b->used.tv_nsec ? -1 : 1;
	return strcmp(a->hex, b->hex);
}

/* The verified components in the directory d, and their total size. */
static int list_cached(DIR *d, struct cached **out, size_t *n, uint64_t *total)
{
	struct cached *list = NULL, *grown;
	size_t cap = 0;
	struct dirent *e;
	struct stat st;

	*n = 0;
	*total = 0;
	while ((e = readdir(d))) {
		if (!is_digest_name(e->d_name) ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISREG(st.st_mode))
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			grown = reallocarray(list, cap, sizeof(*list));
			if (!grown) {
				free(list);
				return -ENOMEM;
			}
			list = grown;
		}
		memcpy(list[*n].hex, e->d_name, sizeof(list[*n].hex));
		list[*n].size = (uint64_t)st.st_size;
		list[*n].used = last_used(&st);
		*total += (uint64_t)st.st_size;
		(*n)++;
	}
	*out = list;
	return 0;
}

/*
 * Unlinks a component no launch holds: an exclusive lock that does not
 * wait; 0, -EWOULDBLOCK (in use), -ENOENT (gone meanwhile) or -errno.
 */
static int remove_unused(int dfd, const char *hex)
{
	struct stat a, b;
	int fd, r = 0;

	fd = openat(dfd, hex, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB))
		r = -errno;
	/* Still the name of the file locked (not pruned and fetched again). */
	else if (fstat(fd, &a) || fstatat(dfd, hex, &b, AT_SYMLINK_NOFOLLOW) ||
		 a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		r = -ENOENT;
	else if (unlinkat(dfd, hex, 0))
		r = -errno;
	close(fd);
	return r;
}

void secd_repo_cache_prune(struct secd_repo_job *j)
{
	uint64_t max = j->c->cache_max, total = 0;
	struct cached *list = NULL;
	char dir[4200];
	size_t n = 0, i;
	DIR *d;
	int r;

	if (!max || !j->added)
		return;
	snprintf(dir, sizeof(dir), "%s/sha256", j->c->cache_dir);
	d = opendir(dir);
	r = d ? list_cached(d, &list, &n, &total) : -errno;
	if (r) {
		secd_log(NULL, LOG_WARNING, "cache %s: cannot be pruned: %s", dir,
			 strerror(-r));
		goto close_dir;
	}
	qsort(list, n, sizeof(*list), by_last_use);
	for (i = 0; i < n && total > max; i++) {
		if (is_own(j, list[i].hex))
			continue;
		r = remove_unused(dirfd(d), list[i].hex);
		if (r == -ENOENT)
			total -= list[i].size;
		if (r == -EWOULDBLOCK || r == -ENOENT)
			continue;
		if (r) {
			secd_log(NULL, LOG_WARNING, "cache %s/%s: cannot be removed: %s",
				 dir, list[i].hex, strerror(-r));
			continue;
		}
		total -= list[i].size;
		secd_log(NULL, LOG_INFO, "cache: removed %s (%" PRIu64 " bytes, the "
			 "least recently used) to stay within CacheMax=%" PRIu64,
			 list[i].hex, list[i].size, max);
	}
	if (total > max)
		secd_log(NULL, LOG_INFO, "cache: %" PRIu64 " bytes, over CacheMax=%"
			 PRIu64 ": the rest is in use", total, max);
close_dir:
	free(list);
	if (d)
		closedir(d);
}
