// SPDX-License-Identifier: MIT
/*
 * The appraisal policy document (ofs-policy.h): JSON, read by json-c in
 * strict mode, then validated setting by setting from tables.  json-c
 * keeps no positions, so an error's line comes from walking the text to
 * the setting's path; the same walk refuses duplicate keys, which json-c
 * would silently resolve to the last one (a reviewer reading the first
 * must not be misled).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/sha.h>

#include "ofs-json.h"
#include "ofs-policy.h"
#include "ofs-util.h"

#define MAX_DEPTH	8	/* of a setting's path */
#define MAX_KEYS	64	/* in one JSON object */

struct seg {
	const char *key;	/* NULL: index */
	size_t index;
};

struct pctx {
	const char *text, *end, *name;
	struct seg path[MAX_DEPTH];
	int depth;
	struct ofs_policy_error *err;
	struct ofs_policy *p;
};

/* ---- positions in the text (already known to be valid JSON) ---- */

static const char *ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* p at the opening quote; returns just past the closing one. */
static const char *str_end(const char *p, const char *e)
{
	for (p++; p < e && *p != '"'; p++)
		if (*p == '\\')
			p++;
	return p < e ? p + 1 : e;
}

static const char *skip_value(const char *p, const char *e)
{
	int depth = 0;

	do {
		p = ws(p, e);
		if (p >= e)
			return e;
		if (*p == '"') {
			p = str_end(p, e);
		} else if (*p == '{' || *p == '[') {
			depth++;
			p++;
		} else if (*p == '}' || *p == ']') {
			depth--;
			p++;
		} else if (*p == ',' || *p == ':') {
			p++;
		} else {
			while (p < e && !strchr(",:{}[]\" \t\r\n", *p))
				p++;
		}
	} while (depth > 0);
	return p;
}

/* The value of member key of the object at p, or NULL. */
static const char *find_member(const char *p, const char *e, const char *key)
{
	size_t klen = strlen(key);
	const char *k;

	p = ws(p, e);
	if (p >= e || *p != '{')
		return NULL;
	for (p = ws(p + 1, e); p < e && *p == '"'; p = ws(p + 1, e)) {
		k = p + 1;
		p = str_end(p, e);
		if (p - 1 - k == (long)klen && !memcmp(k, key, klen))
			return ws(ws(p, e) + 1, e);
		p = ws(skip_value(ws(p, e) + 1, e), e);
		if (p >= e || *p != ',')
			return NULL;
	}
	return NULL;
}

static const char *find_index(const char *p, const char *e, size_t index)
{
	size_t i;

	p = ws(p, e);
	if (p >= e || *p != '[')
		return NULL;
	p = ws(p + 1, e);
	for (i = 0; i < index && p < e; i++) {
		p = ws(skip_value(p, e), e);
		if (p >= e || *p != ',')
			return NULL;
		p = ws(p + 1, e);
	}
	return p < e ? p : NULL;
}

static unsigned int line_of(const char *text, const char *at)
{
	unsigned int line = 1;

	for (; text < at; text++)
		line += *text == '\n';
	return line;
}

/* The line of the current path: as deep as the text lets us follow it. */
static unsigned int path_line(const struct pctx *c)
{
	const char *p = c->text, *next;
	int i;

	for (i = 0; i < c->depth; i++) {
		next = c->path[i].key ? find_member(p, c->end, c->path[i].key) :
					find_index(p, c->end, c->path[i].index);
		if (!next)
			break;
		p = next;
	}
	return line_of(c->text, ws(p, c->end));
}

static void path_text(const struct pctx *c, char *buf, size_t size)
{
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < c->depth && n < size; i++) {
		if (c->path[i].key)
			n += (size_t)snprintf(buf + n, size - n, "%s%s",
					      i ? "." : "", c->path[i].key);
		else
			n += (size_t)snprintf(buf + n, size - n, "[%zu]",
					      c->path[i].index);
	}
}

__attribute__((format(printf, 3, 4)))
static int fail_at(struct pctx *c, unsigned int line, const char *fmt, ...)
{
	char path[128], msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	path_text(c, path, sizeof(path));
	c->err->line = line;
	snprintf(c->err->what, sizeof(c->err->what), "%s:%u: %s%s%s", c->name,
		 line, path, path[0] ? ": " : "", msg);
	return c->err->err = -EINVAL;
}

#define fail(c, ...) fail_at((c), path_line(c), __VA_ARGS__)

static void push_key(struct pctx *c, const char *key)
{
	c->path[c->depth++] = (struct seg){ .key = key };
}

static void push_index(struct pctx *c, size_t index)
{
	c->path[c->depth++] = (struct seg){ .index = index };
}

static void pop(struct pctx *c)
{
	c->depth--;
}

/* ---- duplicate keys, which json-c does not report ---- */

static int walk(struct pctx *c, const char *p, const char **next, int depth);

static int walk_object(struct pctx *c, const char *p, const char **next,
		       int depth)
{
	const char *keys[MAX_KEYS];
	size_t lens[MAX_KEYS], n = 0, i;
	const char *k;

	for (p = ws(p + 1, c->end); p < c->end && *p == '"';) {
		k = p + 1;
		p = str_end(p, c->end);
		if (n == MAX_KEYS)
			return fail_at(c, line_of(c->text, k),
				       "more than %d keys in one object", MAX_KEYS);
		lens[n] = (size_t)(p - 1 - k);
		for (i = 0; i < n; i++)
			if (lens[i] == lens[n] && !memcmp(keys[i], k, lens[n]))
				return fail_at(c, line_of(c->text, k),
					       "duplicate key \"%.*s\"",
					       (int)lens[n], k);
		keys[n++] = k;
		p = ws(ws(p, c->end) + 1, c->end);
		if (walk(c, p, &p, depth + 1))
			return -EINVAL;
		p = ws(p, c->end);
		if (p < c->end && *p == ',')
			p = ws(p + 1, c->end);
	}
	*next = p < c->end ? p + 1 : p;
	return 0;
}

static int walk(struct pctx *c, const char *p, const char **next, int depth)
{
	p = ws(p, c->end);
	if (depth > 32)
		return fail_at(c, line_of(c->text, p), "nested too deeply");
	if (p < c->end && *p == '{')
		return walk_object(c, p, next, depth);
	if (p < c->end && *p == '[') {
		for (p = ws(p + 1, c->end); p < c->end && *p != ']';) {
			if (walk(c, p, &p, depth + 1))
				return -EINVAL;
			p = ws(p, c->end);
			if (p < c->end && *p == ',')
				p = ws(p + 1, c->end);
			else
				break;
		}
		*next = p < c->end ? p + 1 : p;
		return 0;
	}
	*next = skip_value(p, c->end);
	return 0;
}

/* ---- typed values ---- */

static int get_uint(struct pctx *c, struct json_object *v, uint64_t max,
		    uint64_t *out)
{
	int64_t x;

	if (!json_object_is_type(v, json_type_int))
		return fail(c, "expected an integer");
	x = json_object_get_int64(v);
	if (x < 0 || (uint64_t)x > max)
		return fail(c, "%lld out of range 0..%llu", (long long)x,
			    (unsigned long long)max);
	*out = (uint64_t)x;
	return 0;
}

static int get_u32(struct pctx *c, struct json_object *v, uint32_t *out)
{
	uint64_t x;
	int r = get_uint(c, v, UINT32_MAX, &x);

	if (!r)
		*out = (uint32_t)x;
	return r;
}

static int get_string(struct pctx *c, struct json_object *v, size_t max,
		      const char **out)
{
	size_t len;

	if (!json_object_is_type(v, json_type_string))
		return fail(c, "expected a string");
	len = (size_t)json_object_get_string_len(v);
	if (!len || len > max)
		return fail(c, "expected 1..%zu characters, got %zu", max, len);
	*out = json_object_get_string(v);
	if (strlen(*out) != len)
		return fail(c, "NUL in a string");
	return 0;
}

static int get_hex(struct pctx *c, struct json_object *v, uint8_t *out,
		   size_t n)
{
	const char *s;

	if (!json_object_is_type(v, json_type_string))
		return fail(c, "expected a string of %zu hex digits", 2 * n);
	s = json_object_get_string(v);
	if (strlen(s) != 2 * n || ofs_unhex(s, out, n) != (ssize_t)n)
		return fail(c, "expected %zu hex digits, got \"%.80s\"", 2 * n, s);
	return 0;
}

static int get_array(struct pctx *c, struct json_object *v, size_t min,
		     size_t max, size_t *n)
{
	if (!json_object_is_type(v, json_type_array))
		return fail(c, "expected an array");
	*n = json_object_array_length(v);
	if (*n < min || *n > max)
		return fail(c, "expected %zu..%zu entries, got %zu", min, max, *n);
	return 0;
}

/* ---- objects from tables ---- */

typedef int (*parse_fn)(struct pctx *c, struct json_object *v, void *obj);

struct member {
	const char *key;
	bool required;
	parse_fn parse;
};

static int parse_object(struct pctx *c, struct json_object *o,
			const struct member *table, size_t n, void *obj)
{
	size_t i;
	int r;

	if (!json_object_is_type(o, json_type_object))
		return fail(c, "expected an object");
	json_object_object_foreach(o, key, val) {
		for (i = 0; i < n && strcmp(table[i].key, key); i++)
			;
		push_key(c, key);
		if (i == n)
			return fail(c, "unknown setting");
		r = table[i].parse(c, val, obj);
		if (r)
			return r;
		pop(c);
	}
	for (i = 0; i < n; i++)
		if (table[i].required && !json_object_object_get_ex(o, table[i].key, NULL))
			return fail(c, "missing setting \"%s\"", table[i].key);
	return 0;
}

#define MEMBERS(t) (t), sizeof(t) / sizeof((t)[0])

/* ---- the document ---- */

static int p_version(struct pctx *c, struct json_object *v, void *obj)
{
	uint32_t ver;

	if (get_u32(c, v, &ver))
		return -EINVAL;
	return ver == 1 ? 0 : fail(c, "version %u is not supported (1 is)", ver);
}

static int p_ignore_text(struct pctx *c, struct json_object *v, void *obj)
{
	const char *s;

	return get_string(c, v, 4096, &s);
}

static int p_policy_id(struct pctx *c, struct json_object *v, void *obj)
{
	const char *s;

	if (get_string(c, v, OFS_POLICY_ID_MAX, &s))
		return -EINVAL;
	snprintf(c->p->id, sizeof(c->p->id), "%s", s);
	return 0;
}

static int p_lifetime(struct pctx *c, struct json_object *v, void *obj)
{
	if (get_uint(c, v, OFS_POLICY_MAX_LIFETIME, &c->p->lifetime))
		return -EINVAL;
	if (c->p->lifetime < OFS_POLICY_MIN_LIFETIME)
		return fail(c, "must be at least %d second", OFS_POLICY_MIN_LIFETIME);
	return 0;
}

static int dbgstat_of(const char *name)
{
	uint32_t i;

	for (i = 0; i <= OFS_DBG_DISABLED_FULLY_AND_PERMANENTLY; i++)
		if (!strcmp(name, ofs_dbgstat_name(i)))
			return (int)i;
	return -1;
}

static int p_debug(struct pctx *c, struct json_object *v, void *obj)
{
	const char *s;
	size_t n, i;
	int d;

	if (get_array(c, v, 1, 5, &n))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		push_index(c, i);
		if (get_string(c, json_object_array_get_idx(v, i), 64, &s))
			return -EINVAL;
		d = dbgstat_of(s);
		if (d < 0)
			return fail(c, "unknown debug state \"%s\" (enabled, "
				    "disabled, disabled-since-boot, disabled-"
				    "permanently, disabled-fully-and-permanently)", s);
		if (c->p->debug_allowed & (1u << d))
			return fail(c, "\"%s\" listed twice", s);
		c->p->debug_allowed |= 1u << d;
		pop(c);
	}
	return 0;
}

/* ---- firmware ---- */

static int p_min_svn(struct pctx *c, struct json_object *v, void *obj)
{
	return get_u32(c, v, &c->p->min_svn);
}

static int p_recommended_svn(struct pctx *c, struct json_object *v, void *obj)
{
	return get_u32(c, v, &c->p->recommended_svn);
}

static int p_stage_name(struct pctx *c, struct json_object *v, void *obj)
{
	struct ofs_policy_stage *s = obj;
	struct ofs_boot_event ev = { 0 };
	const char *name;

	if (get_string(c, v, OFS_STAGE_NAME_MAX, &name))
		return -EINVAL;
	snprintf(ev.stage, sizeof(ev.stage), "%s", name);
	if (ofs_boot_event_valid(&ev))
		return fail(c, "a stage name is printable ASCII without spaces");
	memcpy(s->stage, ev.stage, sizeof(s->stage));
	return 0;
}

static int p_stage_reg(struct pctx *c, struct json_object *v, void *obj)
{
	uint64_t reg;

	if (get_uint(c, v, OFS_NUM_MEAS_REGS - 1, &reg))
		return -EINVAL;
	((struct ofs_policy_stage *)obj)->reg = (uint8_t)reg;
	return 0;
}

static int p_stage_svn(struct pctx *c, struct json_object *v, void *obj)
{
	return get_u32(c, v, &((struct ofs_policy_stage *)obj)->min_svn);
}

static int p_stage_digests(struct pctx *c, struct json_object *v, void *obj)
{
	struct ofs_policy_stage *s = obj;
	size_t i;

	if (get_array(c, v, 1, OFS_POLICY_MAX_STAGE_DIGESTS, &s->n_digests))
		return -EINVAL;
	for (i = 0; i < s->n_digests; i++) {
		push_index(c, i);
		if (get_hex(c, json_object_array_get_idx(v, i), s->digests[i],
			    OFS_SHA256_LEN))
			return -EINVAL;
		pop(c);
	}
	return 0;
}

static const struct member stage_members[] = {
	{ "stage", true, p_stage_name },
	{ "register", true, p_stage_reg },
	{ "sha256", true, p_stage_digests },
	{ "min_svn", false, p_stage_svn },
};

static int p_stages(struct pctx *c, struct json_object *v, void *obj)
{
	size_t n, i, j;

	if (get_array(c, v, 1, OFS_POLICY_MAX_STAGES, &n))
		return -EINVAL;
	c->p->stages = calloc(n, sizeof(*c->p->stages));
	if (!c->p->stages)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct ofs_policy_stage *s = &c->p->stages[i];

		push_index(c, i);
		if (parse_object(c, json_object_array_get_idx(v, i),
				 MEMBERS(stage_members), s))
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (!strcmp(c->p->stages[j].stage, s->stage))
				return fail(c, "stage \"%s\" listed twice", s->stage);
		c->p->n_stages++;
		pop(c);
	}
	return 0;
}

static int p_composites(struct pctx *c, struct json_object *v, void *obj)
{
	size_t n, i;

	if (get_array(c, v, 1, OFS_POLICY_MAX_COMPOSITES, &n))
		return -EINVAL;
	c->p->composites = calloc(n, sizeof(*c->p->composites));
	if (!c->p->composites)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		push_index(c, i);
		if (get_hex(c, json_object_array_get_idx(v, i),
			    c->p->composites[i], OFS_SHA256_LEN))
			return -EINVAL;
		c->p->n_composites++;
		pop(c);
	}
	return 0;
}

static const struct member firmware_members[] = {
	{ "min_svn", true, p_min_svn },
	{ "recommended_svn", false, p_recommended_svn },
	{ "stages", false, p_stages },
	{ "composites", false, p_composites },
};

static int p_firmware(struct pctx *c, struct json_object *v, void *obj)
{
	if (parse_object(c, v, MEMBERS(firmware_members), NULL))
		return -EINVAL;
	if (!c->p->n_stages && !c->p->n_composites)
		return fail(c, "needs \"stages\" or \"composites\" (or both): "
			    "firmware reference values");
	if (c->p->recommended_svn && c->p->recommended_svn < c->p->min_svn)
		return fail(c, "recommended_svn %u is below min_svn %u",
			    c->p->recommended_svn, c->p->min_svn);
	return 0;
}

/* ---- images ---- */

struct component_ctx {
	struct ofs_policy_image *img;
	uint32_t kind;
};

static int p_comp_sha256(struct pctx *c, struct json_object *v, void *obj)
{
	struct component_ctx *cc = obj;

	return get_hex(c, v, cc->img->sha256[cc->kind], OFS_SHA256_LEN);
}

static int p_comp_size(struct pctx *c, struct json_object *v, void *obj)
{
	struct component_ctx *cc = obj;

	if (get_uint(c, v, INT64_MAX, &cc->img->size[cc->kind]))
		return -EINVAL;
	return cc->img->size[cc->kind] ? 0 : fail(c, "a component is not empty");
}

static const struct member component_members[] = {
	{ "sha256", true, p_comp_sha256 },
	{ "size", false, p_comp_size },
};

static int p_component(struct pctx *c, struct json_object *v, void *obj,
		       uint32_t kind)
{
	struct component_ctx cc = { obj, kind };

	if (parse_object(c, v, MEMBERS(component_members), &cc))
		return -EINVAL;
	((struct ofs_policy_image *)obj)->present |= 1u << kind;
	return 0;
}

static int p_kernel(struct pctx *c, struct json_object *v, void *obj)
{
	return p_component(c, v, obj, OFS_COMPONENT_KERNEL);
}

static int p_initrd(struct pctx *c, struct json_object *v, void *obj)
{
	return p_component(c, v, obj, OFS_COMPONENT_INITRD);
}

static int p_cmdline(struct pctx *c, struct json_object *v, void *obj)
{
	return p_component(c, v, obj, OFS_COMPONENT_CMDLINE);
}

static int p_image_name(struct pctx *c, struct json_object *v, void *obj)
{
	const char *s;

	if (get_string(c, v, OFS_POLICY_NAME_MAX, &s))
		return -EINVAL;
	snprintf(((struct ofs_policy_image *)obj)->name, OFS_POLICY_NAME_MAX + 1,
		 "%s", s);
	return 0;
}

static const struct member image_members[] = {
	{ "name", true, p_image_name },
	{ "version", false, p_ignore_text },
	{ "description", false, p_ignore_text },
	{ "kernel", false, p_kernel },
	{ "initrd", false, p_initrd },
	{ "cmdline", false, p_cmdline },
};

static bool same_image(const struct ofs_policy_image *a,
		       const struct ofs_policy_image *b)
{
	uint32_t k;

	if (a->present != b->present)
		return false;
	for (k = 0; k < OFS_MAX_COMPONENTS; k++)
		if ((a->present & (1u << k)) &&
		    memcmp(a->sha256[k], b->sha256[k], OFS_SHA256_LEN))
			return false;
	return true;
}

static int p_images(struct pctx *c, struct json_object *v, void *obj)
{
	size_t n, i, j;

	if (get_array(c, v, 0, OFS_POLICY_MAX_IMAGES, &n))
		return -EINVAL;
	c->p->images = calloc(n ? n : 1, sizeof(*c->p->images));
	if (!c->p->images)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct ofs_policy_image *img = &c->p->images[i];

		push_index(c, i);
		if (parse_object(c, json_object_array_get_idx(v, i),
				 MEMBERS(image_members), img))
			return -EINVAL;
		if (!img->present)
			return fail(c, "an image needs at least one of kernel, "
				    "initrd, cmdline");
		for (j = 0; j < i; j++)
			if (same_image(&c->p->images[j], img))
				return fail(c, "same components as images[%zu] "
					    "(\"%s\")", j, c->p->images[j].name);
		c->p->n_images++;
		pop(c);
	}
	return 0;
}

/* ---- revoked devices ---- */

static int cmp_ueid(const void *a, const void *b)
{
	return memcmp(a, b, OFS_UEID_LEN);
}

static int p_revoked(struct pctx *c, struct json_object *v, void *obj)
{
	size_t n, i;

	if (get_array(c, v, 0, OFS_POLICY_MAX_REVOKED, &n))
		return -EINVAL;
	c->p->revoked = calloc(n ? n : 1, sizeof(*c->p->revoked));
	if (!c->p->revoked)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		push_index(c, i);
		if (get_hex(c, json_object_array_get_idx(v, i), c->p->revoked[i],
			    OFS_UEID_LEN))
			return -EINVAL;
		if (c->p->revoked[i][0] != OFS_UEID_TYPE_RAND)
			return fail(c, "a ueid starts with 01 (RAND)");
		c->p->n_revoked++;
		pop(c);
	}
	qsort(c->p->revoked, n, OFS_UEID_LEN, cmp_ueid);
	return 0;
}

static const struct member policy_members[] = {
	{ "version", true, p_version },
	{ "policy_id", true, p_policy_id },
	{ "description", false, p_ignore_text },
	{ "confirmation_lifetime", true, p_lifetime },
	{ "debug", true, p_debug },
	{ "firmware", true, p_firmware },
	{ "images", true, p_images },
	{ "revoked_devices", false, p_revoked },
};

/* ---- entry points ---- */

static int too_large(struct ofs_policy_error *err, const char *name)
{
	snprintf(err->what, sizeof(err->what), "%s: larger than %d bytes", name,
		 OFS_POLICY_MAX_SIZE);
	return err->err = -E2BIG;
}

static int tokenize(struct pctx *c, struct json_object **out)
{
	struct ofs_json_error err;
	int r = ofs_json_parse(c->text, (size_t)(c->end - c->text),
			       JSON_TOKENER_DEFAULT_DEPTH, out, &err);
	unsigned int line = line_of(c->text, c->text + err.offset);

	if (r == -ENOMEM)
		return r;
	switch (err.fault) {
	case OFS_JSON_OK:
		return 0;
	case OFS_JSON_NUL:
		return fail_at(c, line, "NUL byte in the document");
	case OFS_JSON_TRUNCATED:
		return fail_at(c, line, "the document ends early");
	case OFS_JSON_TRAILING:
		return fail_at(c, line, "text after the document");
	default:
		return fail_at(c, line, "not JSON: %s", err.detail);
	}
}

int ofs_policy_parse(const char *text, size_t len, const char *name,
		     struct ofs_policy **out, struct ofs_policy_error *err)
{
	struct ofs_policy_error dummy;
	struct pctx c = { .text = text, .end = text + len, .name = name };
	struct json_object *doc = NULL;
	const char *next;
	int r;

	c.err = err ? err : &dummy;
	memset(c.err, 0, sizeof(*c.err));
	if (!text || !out)
		return -EINVAL;
	if (!c.name)
		c.name = "policy";
	if (len > OFS_POLICY_MAX_SIZE)
		return too_large(c.err, c.name);
	c.p = calloc(1, sizeof(*c.p));
	if (!c.p)
		return -ENOMEM;
	r = tokenize(&c, &doc);
	if (!r)
		r = walk(&c, text, &next, 0);
	if (!r)
		r = parse_object(&c, doc, MEMBERS(policy_members), NULL);
	json_object_put(doc);
	if (!r) {
		c.p->text = strndup(text, len);
		c.p->text_len = len;
		r = c.p->text ? 0 : -ENOMEM;
	}
	if (r) {
		if (r == -ENOMEM && !c.err->err) {
			snprintf(c.err->what, sizeof(c.err->what), "%s: out of memory",
				 c.name);
			c.err->err = r;
		}
		ofs_policy_free(c.p);
		return r;
	}
	SHA256((const uint8_t *)text, len, c.p->digest);
	*out = c.p;
	return 0;
}

int ofs_policy_load(const char *path, struct ofs_policy **out,
		    struct ofs_policy_error *err)
{
	struct ofs_policy_error dummy;
	char *text = NULL;
	size_t len = 0;
	int r;

	if (!err)
		err = &dummy;
	memset(err, 0, sizeof(*err));
	r = ofs_read_file(path, OFS_POLICY_MAX_SIZE, &text, &len);
	if (r == -E2BIG)
		return too_large(err, path);
	if (r) {
		snprintf(err->what, sizeof(err->what), "%s: %s", path, strerror(-r));
		return err->err = r;
	}
	r = ofs_policy_parse(text, len, path, out, err);
	free(text);
	return r;
}

void ofs_policy_free(struct ofs_policy *p)
{
	if (!p)
		return;
	free(p->stages);
	free(p->composites);
	free(p->images);
	free(p->revoked);
	free(p->text);
	free(p);
}
