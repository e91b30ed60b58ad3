// SPDX-License-Identifier: MIT
/*
 * The RAS's state in SQLite (WAL): the nonces it issued, each used at
 * most once, and the audit log of every decision, which triggers keep
 * append-only.  A restart loses neither, so a replayed report is refused
 * after a restart as before it.  One connection behind one mutex: each
 * operation is a single short statement, and "use up a nonce" is one
 * UPDATE that only one caller can win.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "ras.h"

static const char schema[] =
	"PRAGMA journal_mode=WAL;"
	"CREATE TABLE IF NOT EXISTS nonces ("
	"  nonce BLOB PRIMARY KEY, issued INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL, used INTEGER, client TEXT"
	") WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS audit ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL,"
	"  client TEXT, ueid TEXT, report_sha256 TEXT, nonce TEXT,"
	"  verdict TEXT NOT NULL, reasons TEXT NOT NULL,"
	"  policy_id TEXT, policy_digest TEXT);"
	"CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit"
	"  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
	"CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit"
	"  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;";

enum stmt {
	ST_NONCE_ADD, ST_NONCE_USE, ST_NONCE_GET, ST_AUDIT, ST_AUDIT_COUNT,
	ST_PING, ST_PRUNE, ST_COUNT
};

static const char *const sql[ST_COUNT] = {
	[ST_NONCE_ADD] = "INSERT INTO nonces (nonce, issued, expires, client) "
			 "VALUES (?1, ?2, ?3, ?4)",
	[ST_NONCE_USE] = "UPDATE nonces SET used = ?2 WHERE nonce = ?1 AND "
			 "used IS NULL AND expires > ?2",
	[ST_NONCE_GET] = "SELECT expires, used FROM nonces WHERE nonce = ?1",
	[ST_AUDIT] = "INSERT INTO audit (at, client, ueid, report_sha256, nonce,"
		     " verdict, reasons, policy_id, policy_digest) VALUES "
		     "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[ST_AUDIT_COUNT] = "SELECT count(*) FROM audit",
	[ST_PING] = "SELECT 1",
	[ST_PRUNE] = "DELETE FROM nonces WHERE expires < ?1",
};

struct ras_store {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	pthread_mutex_t lock;
};

void ras_store_close(struct ras_store *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/*
 * WAL with synchronous=NORMAL: a commit survives the process (crash,
 * restart) at once and the machine at the next checkpoint; FULL also
 * survives a power loss at once, at an fsync per decision.
 */
int ras_store_open(const char *path, bool durable, struct ras_store **out)
{
	struct ras_store *s = calloc(1, sizeof(*s));
	char *msg = NULL;
	size_t i;

	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) ||
	    sqlite3_busy_timeout(s->db, 2000) ||
	    sqlite3_exec(s->db, schema, NULL, NULL, &msg) ||
	    sqlite3_exec(s->db, durable ? "PRAGMA synchronous=FULL" :
			 "PRAGMA synchronous=NORMAL", NULL, NULL, &msg))
		goto close_db;
	for (i = 0; i < ST_COUNT; i++)
		if (sqlite3_prepare_v3(s->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &s->st[i], NULL))
			goto close_db;
	*out = s;
	return 0;
close_db:
	fprintf(stderr, "offload-ras: %s: %s\n", path,
		msg ? msg : sqlite3_errmsg(s->db));
	sqlite3_free(msg);
	ras_store_close(s);
	return -EIO;
}

/* Runs a bound statement to its end; SQLITE_ROW stays for the caller. */
static int step(struct ras_store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return rc;
	fprintf(stderr, "offload-ras: store: %s\n", sqlite3_errmsg(s->db));
	return -EIO;
}

static void done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

int ras_store_nonce_add(struct ras_store *s, const uint8_t nonce[OFS_NONCE_LEN],
			uint64_t now, uint64_t expires, const char *client)
{
	sqlite3_stmt *st = s->st[ST_NONCE_ADD];
	int rc;

	pthread_mutex_lock(&s->lock);
	sqlite3_bind_blob(st, 1, nonce, OFS_NONCE_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)expires);
	sqlite3_bind_text(st, 4, client, -1, SQLITE_STATIC);
	rc = step(s, st);
	done(st);
	pthread_mutex_unlock(&s->lock);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* Why a nonce could not be used; called with the lock held. */
static int nonce_refusal(struct ras_store *s, const uint8_t *nonce,
			 char *why, size_t why_len)
{
	sqlite3_stmt *st = s->st[ST_NONCE_GET];
	int rc, r;

	sqlite3_bind_blob(st, 1, nonce, OFS_NONCE_LEN, SQLITE_STATIC);
	rc = step(s, st);
	if (rc < 0) {
		r = rc;
		snprintf(why, why_len, "the nonce store failed");
	} else if (rc == SQLITE_DONE) {
		r = -ENOENT;
		snprintf(why, why_len, "nonce was not issued by this RAS");
	} else if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
		r = -EALREADY;
		snprintf(why, why_len, "replay: nonce already used at %" PRId64,
			 (int64_t)sqlite3_column_int64(st, 1));
	} else {
		r = -ETIME;
		snprintf(why, why_len, "nonce expired at %" PRId64,
			 (int64_t)sqlite3_column_int64(st, 0));
	}
	done(st);
	return r;
}

int ras_store_nonce_consume(struct ras_store *s,
			    const uint8_t nonce[OFS_NONCE_LEN], uint64_t now,
			    char *why, size_t why_len)
{
	sqlite3_stmt *st = s->st[ST_NONCE_USE];
	int rc, r = 0;

	pthread_mutex_lock(&s->lock);
	sqlite3_bind_blob(st, 1, nonce, OFS_NONCE_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	rc = step(s, st);
	done(st);
	if (rc < 0) {
		r = rc;
		snprintf(why, why_len, "the nonce store failed");
	} else if (sqlite3_changes(s->db) != 1) {
		r = nonce_refusal(s, nonce, why, why_len);
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

int ras_store_audit(struct ras_store *s, const struct ras_audit *a)
{
	sqlite3_stmt *st = s->st[ST_AUDIT];
	const char *text[] = { a->client, a->ueid, a->report_sha256, a->nonce,
			       a->verdict, a->reasons, a->policy_id,
			       a->policy_digest };
	int i, rc;

	pthread_mutex_lock(&s->lock);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)a->at);
	for (i = 0; i < 8; i++)
		sqlite3_bind_text(st, i + 2, text[i] ? text[i] : "", -1,
				  SQLITE_STATIC);
	rc = step(s, st);
	done(st);
	pthread_mutex_unlock(&s->lock);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

static int query_int(struct ras_store *s, enum stmt which, int64_t *out)
{
	sqlite3_stmt *st = s->st[which];
	int rc;

	pthread_mutex_lock(&s->lock);
	rc = step(s, st);
	if (rc == SQLITE_ROW && out)
		*out = sqlite3_column_int64(st, 0);
	done(st);
	pthread_mutex_unlock(&s->lock);
	return rc == SQLITE_ROW ? 0 : -EIO;
}

int ras_store_audit_count(struct ras_store *s, int64_t *n)
{
	return query_int(s, ST_AUDIT_COUNT, n);
}

int ras_store_ping(struct ras_store *s)
{
	return query_int(s, ST_PING, NULL);
}

int ras_store_prune(struct ras_store *s, uint64_t before)
{
	sqlite3_stmt *st = s->st[ST_PRUNE];
	int rc;

	pthread_mutex_lock(&s->lock);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)before);
	rc = step(s, st);
	done(st);
	pthread_mutex_unlock(&s->lock);
	return rc == SQLITE_DONE ? 0 : -EIO;
}
