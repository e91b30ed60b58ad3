// SPDX-License-Identifier: MIT
/*
 * The verified-chain cache (ofs-chain-cache.h): power-of-two buckets
 * indexed by the key's first bytes (the key is a salted SHA-256, so they
 * are uniform), and a list in order of use for eviction.  The key is
 * computed and the chain verified outside the lock; the lock covers only
 * the table.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ofs-chain-cache.h"

#define KEY_LEN		32	/* SHA-256 */
#define SALT_LEN	16
#define MAX_CAPACITY	(1u << 24)

struct entry {
	uint8_t key[KEY_LEN];
	EVP_PKEY *alias_pub;		/* one reference, the cache's */
	struct ofs_fw_measurement meas;
	uint8_t ueid[OFS_UEID_LEN];
	time_t anchor_not_after;
	uint64_t born, dies;		/* alive in [born, dies) */
	struct entry *hnext;		/* bucket chain */
	struct entry *prev, *next;	/* use order, most recent first */
};

struct ofs_chain_cache {
	pthread_mutex_t lock;
	uint8_t salt[SALT_LEN];
	size_t capacity, n, mask;
	uint64_t lifetime;
	ofs_chain_cache_clock now;
	void *now_ctx;
	struct entry **buckets;
	struct entry lru;		/* sentinel: next newest, prev oldest */
	struct ofs_chain_cache_stats st;
};

static uint64_t wall_clock(void *ctx)
{
	return (uint64_t)time(NULL);
}

int ofs_chain_cache_new(size_t capacity, uint64_t lifetime,
			struct ofs_chain_cache **out)
{
	struct ofs_chain_cache *c;
	size_t n_buckets = 1;

	if (!capacity || capacity > MAX_CAPACITY || !lifetime)
		return -EINVAL;
	while (n_buckets < capacity)
		n_buckets <<= 1;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->buckets = calloc(n_buckets, sizeof(*c->buckets));
	if (!c->buckets || RAND_bytes(c->salt, sizeof(c->salt)) != 1) {
		free(c->buckets);
		free(c);
		return -ENOMEM;
	}
	pthread_mutex_init(&c->lock, NULL);
	c->capacity = capacity;
	c->mask = n_buckets - 1;
	c->lifetime = lifetime;
	c->now = wall_clock;
	c->lru.next = c->lru.prev = &c->lru;
	*out = c;
	return 0;
}

static void entry_free(struct entry *e)
{
	EVP_PKEY_free(e->alias_pub);
	free(e);
}

void ofs_chain_cache_free(struct ofs_chain_cache *c)
{
	struct entry *e, *next;

	if (!c)
		return;
	for (e = c->lru.next; e != &c->lru; e = next) {
		next = e->next;
		entry_free(e);
	}
	pthread_mutex_destroy(&c->lock);
	free(c->buckets);
	free(c);
}

void ofs_chain_cache_set_clock(struct ofs_chain_cache *c,
			       ofs_chain_cache_clock now, void *ctx)
{
	c->now = now ? now : wall_clock;
	c->now_ctx = ctx;
}

void ofs_chain_cache_get_stats(struct ofs_chain_cache *c,
			       struct ofs_chain_cache_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	*st = c->st;
	st->entries = c->n;
	pthread_mutex_unlock(&c->lock);
}

/* ---- the key ---- */

static int hash_cert(EVP_MD_CTX *md, X509 *x)
{
	unsigned char *der = NULL;
	int n = x ? i2d_X509(x, &der) : -1;
	int r;

	if (n <= 0)
		return -EINVAL;
	r = EVP_DigestUpdate(md, der, (size_t)n) == 1 ? 0 : -ENOMEM;
	OPENSSL_free(der);
	return r;
}

/* SHA-256(salt || SHA-256(roots' DER) || DeviceID DER || Alias DER). */
static int chain_key(const struct ofs_chain_cache *c, X509 *const *roots,
		     size_t n_roots, X509 *deviceid, X509 *alias,
		     uint8_t key[KEY_LEN])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t roots_id[KEY_LEN];
	size_t i;
	int r = -ENOMEM;

	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto free_md;
	for (i = 0, r = 0; i < n_roots && !r; i++)
		r = hash_cert(md, roots[i]);
	if (r)
		goto free_md;
	r = -ENOMEM;
	if (EVP_DigestFinal_ex(md, roots_id, NULL) != 1 ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, c->salt, sizeof(c->salt)) != 1 ||
	    EVP_DigestUpdate(md, roots_id, sizeof(roots_id)) != 1)
		goto free_md;
	/* DER is self-delimiting: the concatenation is unambiguous. */
	r = hash_cert(md, deviceid);
	if (!r)
		r = hash_cert(md, alias);
	if (!r && EVP_DigestFinal_ex(md, key, NULL) != 1)
		r = -ENOMEM;
free_md:
	EVP_MD_CTX_free(md);
	return r;
}

/* ---- the table: all of it must hold c->lock ---- */

static struct entry **bucket(struct ofs_chain_cache *c, const uint8_t *key)
{
	uint64_t h;

	memcpy(&h, key, sizeof(h));
	return &c->buckets[h & c->mask];
}

static struct entry *find(struct ofs_chain_cache *c, const uint8_t *key)
{
	struct entry *e;

	for (e = *bucket(c, key); e; e = e->hnext)
		if (!memcmp(e->key, key, KEY_LEN))
			return e;
	return NULL;
}

static void use_first(struct ofs_chain_cache *c, struct entry *e)
{
	e->prev = &c->lru;
	e->next = c->lru.next;
	c->lru.next->prev = e;
	c->lru.next = e;
}

static void use_unlink(struct entry *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
}

static void link_entry(struct ofs_chain_cache *c, struct entry *e)
{
	struct entry **b = bucket(c, e->key);

	e->hnext = *b;
	*b = e;
	use_first(c, e);
	c->n++;
}

static void unlink_entry(struct ofs_chain_cache *c, struct entry *e)
{
	struct entry **p;

	for (p = bucket(c, e->key); *p != e; p = &(*p)->hnext)
		;
	*p = e->hnext;
	use_unlink(e);
	c->n--;
}

/* ---- lookup and insertion ---- */

/* A clock that went back counts as expired too. */
static bool alive(const struct entry *e, uint64_t now)
{
	return now >= e->born && now < e->dies;
}

static void fill(struct ofs_chain_info *out, const struct entry *e)
{
	memset(out, 0, sizeof(*out));
	out->alias_pub = e->alias_pub;
	out->meas = e->meas;
	memcpy(out->ueid, e->ueid, sizeof(out->ueid));
	out->anchor_not_after = e->anchor_not_after;
}

/* A hit fills out as ofs_cert_verify_chain() would; out->alias_pub is ours. */
static bool lookup(struct ofs_chain_cache *c, const uint8_t *key, uint64_t now,
		   struct ofs_chain_info *out)
{
	struct entry *e, *dead = NULL;
	bool hit = false;

	pthread_mutex_lock(&c->lock);
	e = find(c, key);
	if (e && !alive(e, now)) {
		unlink_entry(c, e);
		dead = e;
	} else if (e && EVP_PKEY_up_ref(e->alias_pub) == 1) {
		use_unlink(e);
		use_first(c, e);
		fill(out, e);
		hit = true;
	}
	if (hit)
		c->st.hits++;
	else
		c->st.misses++;
	pthread_mutex_unlock(&c->lock);
	if (dead)
		entry_free(dead);
	return hit;
}

static struct entry *entry_new(const uint8_t *key, uint64_t now,
			       uint64_t lifetime,
			       const struct ofs_chain_info *info)
{
	uint64_t anchor = (uint64_t)info->anchor_not_after;
	struct entry *e;

	if (info->anchor_not_after <= 0 || anchor <= now)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e || EVP_PKEY_up_ref(info->alias_pub) != 1) {
		free(e);
		return NULL;
	}
	memcpy(e->key, key, KEY_LEN);
	e->alias_pub = info->alias_pub;
	e->meas = info->meas;
	memcpy(e->ueid, info->ueid, sizeof(e->ueid));
	e->anchor_not_after = info->anchor_not_after;
	e->born = now;
	e->dies = lifetime > UINT64_MAX - now ? UINT64_MAX : now + lifetime;
	if (e->dies > anchor)
		e->dies = anchor;
	return e;
}

/* A chain that just verified; replaces one a concurrent miss put there. */
static void insert(struct ofs_chain_cache *c, const uint8_t *key, uint64_t now,
		   const struct ofs_chain_info *info)
{
	struct entry *e = entry_new(key, now, c->lifetime, info), *gone;

	if (!e)
		return;
	pthread_mutex_lock(&c->lock);
	gone = find(c, key);
	if (!gone && c->n == c->capacity) {
		gone = c->lru.prev;
		c->st.evictions++;
	}
	if (gone)
		unlink_entry(c, gone);
	link_entry(c, e);
	pthread_mutex_unlock(&c->lock);
	if (gone)
		entry_free(gone);
}

int ofs_chain_cache_verify(struct ofs_chain_cache *c, X509 *const *roots,
			   size_t n_roots, X509 *deviceid_cert,
			   X509 *alias_cert, struct ofs_chain_info *out)
{
	uint8_t key[KEY_LEN];
	uint64_t now;
	int r;

	/* Without a key, no cache: the answer is the same, only slower. */
	if (!c || !roots || !n_roots || !deviceid_cert || !alias_cert ||
	    chain_key(c, roots, n_roots, deviceid_cert, alias_cert, key))
		return ofs_cert_verify_chain(roots, n_roots, deviceid_cert,
					     alias_cert, out);
	now = c->now(c->now_ctx);
	if (lookup(c, key, now, out))
		return 0;
	r = ofs_cert_verify_chain(roots, n_roots, deviceid_cert, alias_cert,
				  out);
	if (!r)
		insert(c, key, now, out);
	return r;
}
