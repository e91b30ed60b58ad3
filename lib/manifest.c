// SPDX-License-Identifier: MIT
/*
 * The image repository manifest (ofs-manifest.h): a JSON document read by
 * json-c in strict mode and validated member by member; written back in
 * one canonical form, so that what is signed is what the tool wrote.  The
 * offload-ras policy's `images` entries are generated from the model.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ofs-json.h"
#include "ofs-manifest.h"
#include "ofs-util.h"

static const char *const kind_names[OFS_MAX_COMPONENTS] = {
	[OFS_COMPONENT_KERNEL] = "kernel",
	[OFS_COMPONENT_INITRD] = "initrd",
	[OFS_COMPONENT_CMDLINE] = "cmdline",
};

/* The member being read, for messages: "images[1].components[0].size". */
struct mctx {
	char path[128];
	struct ofs_manifest_error *err;
};

__attribute__((format(printf, 2, 3)))
static int fail(struct mctx *c, const char *fmt, ...)
{
	char msg[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(c->err->what, sizeof(c->err->what), "%s: %s%s%s",
		 OFS_MANIFEST_FILE, c->path, c->path[0] ? ": " : "", msg);
	return c->err->err = -EINVAL;
}

int ofs_manifest_name_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0, i;

	if (!n || n > OFS_MANIFEST_NAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr("._+-", s[i])))
			return -EINVAL;
	return 0;
}

/* Relative, printable, each segment neither empty nor "." nor "..". */
int ofs_manifest_path_valid(const char *path)
{
	const char *seg, *end;
	size_t n = path ? strlen(path) : 0, i, len;

	if (!n || n > OFS_MANIFEST_PATH_MAX || path[0] == '/')
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (path[i] < 0x21 || path[i] > 0x7e || path[i] == '\\')
			return -EINVAL;
	for (seg = path; seg; seg = *end ? end + 1 : NULL) {
		end = strchr(seg, '/');
		if (!end)
			end = seg + strlen(seg);
		len = (size_t)(end - seg);
		if (!len || (len == 1 && seg[0] == '.') ||
		    (len == 2 && seg[0] == '.' && seg[1] == '.'))
			return -EINVAL;
	}
	return 0;
}

int ofs_manifest_new(const char *id, struct ofs_manifest **out)
{
	struct ofs_manifest *m;

	if (ofs_manifest_name_valid(id))
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	snprintf(m->id, sizeof(m->id), "%s", id);
	*out = m;
	return 0;
}

void ofs_manifest_free(struct ofs_manifest *m)
{
	if (!m)
		return;
	free(m->images);
	free(m);
}

/* ---- reading ---- */

static int get_string(struct mctx *c, struct json_object *v, const char **out)
{
	if (!json_object_is_type(v, json_type_string))
		return fail(c, "expected a string");
	*out = json_object_get_string(v);
	if (strlen(*out) != (size_t)json_object_get_string_len(v))
		return fail(c, "NUL in a string");
	return 0;
}

static int get_name(struct mctx *c, struct json_object *v, char *out)
{
	const char *s;

	if (get_string(c, v, &s))
		return -EINVAL;
	if (ofs_manifest_name_valid(s))
		return fail(c, "\"%.80s\": expected 1..%d of A-Z a-z 0-9 . _ + -",
			    s, OFS_MANIFEST_NAME_MAX);
	snprintf(out, OFS_MANIFEST_NAME_MAX + 1, "%s", s);
	return 0;
}

/* json-c reads integers beyond int64 as a saturated int64: not accepted. */
static int get_uint(struct mctx *c, struct json_object *v, uint64_t min,
		    uint64_t *out)
{
	int64_t x;

	if (!json_object_is_type(v, json_type_int))
		return fail(c, "expected an integer");
	errno = 0;
	x = json_object_get_int64(v);
	if (errno || x == INT64_MAX || x < 0 || (uint64_t)x < min)
		return fail(c, "expected an integer %" PRIu64 "..%" PRId64,
			    min, INT64_MAX - 1);
	*out = (uint64_t)x;
	return 0;
}

/*
 * Each member of o must be in keys (n of them, the first n_required
 * required); on success vals[i] is member keys[i] or NULL.
 */
static int members(struct mctx *c, struct json_object *o, const char *const *keys,
		   size_t n, size_t n_required, struct json_object **vals)
{
	size_t i;

	if (!json_object_is_type(o, json_type_object))
		return fail(c, "expected an object");
	json_object_object_foreach(o, key, val) {
		(void)val;
		for (i = 0; i < n && strcmp(keys[i], key); i++)
			;
		if (i == n)
			return fail(c, "unknown member \"%.64s\"", key);
	}
	for (i = 0; i < n; i++) {
		vals[i] = NULL;
		if (!json_object_object_get_ex(o, keys[i], &vals[i]) && i < n_required)
			return fail(c, "missing member \"%s\"", keys[i]);
	}
	return 0;
}

/* Sets c->path to base followed by the formatted suffix. */
__attribute__((format(printf, 3, 4)))
static void at(struct mctx *c, size_t base, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->path + base, sizeof(c->path) - base, fmt, ap);
	va_end(ap);
}

static int parse_component(struct mctx *c, struct json_object *o,
			   struct ofs_manifest_image *img)
{
	static const char *const keys[] = { "kind", "sha256", "size", "path" };
	struct json_object *v[4];
	struct ofs_manifest_component *comp;
	size_t base = strlen(c->path);
	const char *s;
	uint32_t k;

	if (members(c, o, keys, 4, 4, v))
		return -EINVAL;
	at(c, base, ".kind");
	if (get_string(c, v[0], &s))
		return -EINVAL;
	for (k = 0; k < OFS_MAX_COMPONENTS && strcmp(kind_names[k], s); k++)
		;
	if (k == OFS_MAX_COMPONENTS)
		return fail(c, "\"%.64s\": expected kernel, initrd or cmdline", s);
	if (img->present & (1u << k))
		return fail(c, "a second %s", s);
	img->present |= 1u << k;
	comp = &img->comp[k];
	at(c, base, ".sha256");
	if (get_string(c, v[1], &s))
		return -EINVAL;
	if (strlen(s) != 2 * OFS_SHA256_LEN || s[strspn(s, "0123456789abcdef")] ||
	    ofs_unhex(s, comp->sha256, OFS_SHA256_LEN) != OFS_SHA256_LEN)
		return fail(c, "expected %d lower-case hex digits, got \"%.80s\"",
			    2 * OFS_SHA256_LEN, s);
	at(c, base, ".size");
	if (get_uint(c, v[2], 1, &comp->size))
		return -EINVAL;
	at(c, base, ".path");
	if (get_string(c, v[3], &s))
		return -EINVAL;
	if (ofs_manifest_path_valid(s))
		return fail(c, "\"%.80s\": expected a relative path of at most %d "
			    "printable characters that stays in the repository "
			    "(no leading /, no . or .. segment, no //)",
			    s, OFS_MANIFEST_PATH_MAX);
	snprintf(comp->path, sizeof(comp->path), "%s", s);
	c->path[base] = '\0';
	return 0;
}

static bool same_components(const struct ofs_manifest_image *a,
			    const struct ofs_manifest_image *b)
{
	uint32_t k;

	if (a->present != b->present)
		return false;
	for (k = 0; k < OFS_MAX_COMPONENTS; k++)
		if ((a->present & (1u << k)) &&
		    memcmp(a->comp[k].sha256, b->comp[k].sha256, OFS_SHA256_LEN))
			return false;
	return true;
}

/* img against the images before it: name + version, and components. */
static int check_unique(struct mctx *c, const struct ofs_manifest *m,
			const struct ofs_manifest_image *img, size_t n)
{
	size_t j;

	for (j = 0; j < n; j++) {
		if (!strcmp(m->images[j].name, img->name) &&
		    !strcmp(m->images[j].version, img->version)) {
			fail(c, "%s %s is already images[%zu]", img->name,
			     img->version, j);
			return c->err->err = -EEXIST;
		}
		if (same_components(&m->images[j], img)) {
			fail(c, "same components as images[%zu] (%s %s): a policy "
			     "could not tell them apart", j, m->images[j].name,
			     m->images[j].version);
			return c->err->err = -EEXIST;
		}
	}
	return 0;
}

static int parse_image(struct mctx *c, struct json_object *o,
		       struct ofs_manifest_image *img)
{
	static const char *const keys[] = { "name", "version", "components" };
	struct json_object *v[3];
	size_t base = strlen(c->path), n, i;

	if (members(c, o, keys, 3, 3, v))
		return -EINVAL;
	at(c, base, ".name");
	if (get_name(c, v[0], img->name))
		return -EINVAL;
	at(c, base, ".version");
	if (get_name(c, v[1], img->version))
		return -EINVAL;
	at(c, base, ".components");
	if (!json_object_is_type(v[2], json_type_array))
		return fail(c, "expected an array");
	n = json_object_array_length(v[2]);
	if (!n || n > OFS_MAX_COMPONENTS)
		return fail(c, "expected 1..%d components, got %zu",
			    OFS_MAX_COMPONENTS, n);
	for (i = 0; i < n; i++) {
		at(c, base, ".components[%zu]", i);
		if (parse_component(c, json_object_array_get_idx(v[2], i), img))
			return -EINVAL;
	}
	c->path[base] = '\0';
	return 0;
}

static int parse_doc(struct mctx *c, struct json_object *doc, struct ofs_manifest *m)
{
	static const char *const keys[] = { "format", "repository", "serial", "images" };
	struct json_object *v[4];
	uint64_t format;
	size_t n, i;
	int r;

	if (members(c, doc, keys, 4, 4, v))
		return -EINVAL;
	at(c, 0, "format");
	if (get_uint(c, v[0], 0, &format))
		return -EINVAL;
	if (format != OFS_MANIFEST_FORMAT)
		return fail(c, "format %" PRIu64 " is not supported (%d is)",
			    format, OFS_MANIFEST_FORMAT);
	at(c, 0, "repository");
	if (get_name(c, v[1], m->id))
		return -EINVAL;
	at(c, 0, "serial");
	if (get_uint(c, v[2], 0, &m->serial))
		return -EINVAL;
	at(c, 0, "images");
	if (!json_object_is_type(v[3], json_type_array))
		return fail(c, "expected an array");
	n = json_object_array_length(v[3]);
	if (n > OFS_MANIFEST_MAX_IMAGES)
		return fail(c, "more than %d images", OFS_MANIFEST_MAX_IMAGES);
	m->images = calloc(n ? n : 1, sizeof(*m->images));
	if (!m->images)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		at(c, 0, "images[%zu]", i);
		r = parse_image(c, json_object_array_get_idx(v[3], i), &m->images[i]);
		if (!r)
			r = check_unique(c, m, &m->images[i], i);
		if (r)
			return r;
		m->n_images++;
	}
	return 0;
}

int ofs_manifest_parse(const char *text, size_t len, struct ofs_manifest **out,
		       struct ofs_manifest_error *err)
{
	struct ofs_manifest_error dummy;
	struct mctx c = { .err = err ? err : &dummy };
	struct ofs_json_error jerr;
	struct json_object *doc;
	struct ofs_manifest *m;
	int r;

	memset(c.err, 0, sizeof(*c.err));
	if (!text || !out)
		return -EINVAL;
	if (len > OFS_MANIFEST_MAX_SIZE) {
		fail(&c, "larger than %d bytes", OFS_MANIFEST_MAX_SIZE);
		return c.err->err = -E2BIG;
	}
	r = ofs_json_parse(text, len, JSON_TOKENER_DEFAULT_DEPTH, &doc, &jerr);
	if (r == -ENOMEM)
		return r;
	if (jerr.fault == OFS_JSON_NUL)
		return fail(&c, "NUL byte in the document");
	if (jerr.fault == OFS_JSON_TRAILING)
		return fail(&c, "text after the document");
	if (jerr.fault == OFS_JSON_TRUNCATED)
		return fail(&c, "not JSON: the document ends early");
	if (r)
		return fail(&c, "not JSON: %s", jerr.detail);
	m = calloc(1, sizeof(*m));
	r = m ? parse_doc(&c, doc, m) : -ENOMEM;
	json_object_put(doc);
	if (r) {
		ofs_manifest_free(m);
		return r;
	}
	*out = m;
	return 0;
}

int ofs_manifest_add(struct ofs_manifest *m, const struct ofs_manifest_image *img,
		     struct ofs_manifest_error *err)
{
	struct ofs_manifest_error dummy;
	struct mctx c = { .err = err ? err : &dummy };
	struct ofs_manifest_image *grown;
	uint32_t k;
	int r;

	memset(c.err, 0, sizeof(*c.err));
	if (ofs_manifest_name_valid(img->name) || ofs_manifest_name_valid(img->version))
		return fail(&c, "a name or version is 1..%d of A-Z a-z 0-9 . _ + -",
			    OFS_MANIFEST_NAME_MAX);
	if (!img->present || img->present >> OFS_MAX_COMPONENTS)
		return fail(&c, "an image has 1..%d components", OFS_MAX_COMPONENTS);
	for (k = 0; k < OFS_MAX_COMPONENTS; k++)
		if ((img->present & (1u << k)) &&
		    (!img->comp[k].size || img->comp[k].size >= INT64_MAX ||
		     ofs_manifest_path_valid(img->comp[k].path)))
			return fail(&c, "%s: empty, too large, or a path that "
				    "leaves the repository", kind_names[k]);
	if (m->n_images == OFS_MANIFEST_MAX_IMAGES) {
		fail(&c, "more than %d images", OFS_MANIFEST_MAX_IMAGES);
		return c.err->err = -E2BIG;
	}
	r = check_unique(&c, m, img, m->n_images);
	if (r)
		return r;
	grown = realloc(m->images, (m->n_images + 1) * sizeof(*m->images));
	if (!grown)
		return -ENOMEM;
	m->images = grown;
	m->images[m->n_images++] = *img;
	return 0;
}

/* ---- writing ---- */

static int add(struct json_object *o, const char *key, struct json_object *v)
{
	if (!v)
		return -ENOMEM;
	if (json_object_object_add(o, key, v)) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static struct json_object *hex_string(const uint8_t d[OFS_SHA256_LEN])
{
	char hex[2 * OFS_SHA256_LEN + 1];

	ofs_hex(d, OFS_SHA256_LEN, hex);
	return json_object_new_string(hex);
}

static struct json_object *component_json(uint32_t k,
					  const struct ofs_manifest_component *comp)
{
	struct json_object *o = json_object_new_object();

	if (!o || add(o, "kind", json_object_new_string(kind_names[k])) ||
	    add(o, "sha256", hex_string(comp->sha256)) ||
	    add(o, "size", json_object_new_int64((int64_t)comp->size)) ||
	    add(o, "path", json_object_new_string(comp->path))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *image_json(const struct ofs_manifest_image *img)
{
	struct json_object *o = json_object_new_object(), *comps = NULL, *c;
	uint32_t k;

	if (!o || add(o, "name", json_object_new_string(img->name)) ||
	    add(o, "version", json_object_new_string(img->version)))
		goto fail;
	comps = json_object_new_array();
	if (add(o, "components", comps))
		goto fail;
	for (k = 0; k < OFS_MAX_COMPONENTS; k++) {
		if (!(img->present & (1u << k)))
			continue;
		c = component_json(k, &img->comp[k]);
		if (!c || json_object_array_add(comps, c)) {
			json_object_put(c);
			goto fail;
		}
	}
	return o;
fail:
	json_object_put(o);
	return NULL;
}

/* The JSON text of o, pretty and newline-ended, as a malloc'd string. */
static int to_text(struct json_object *o, char **text, size_t *len)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						       JSON_C_TO_STRING_SPACED |
						       JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t n;

	if (!s)
		return -ENOMEM;
	n = strlen(s);
	*text = malloc(n + 2);
	if (!*text)
		return -ENOMEM;
	memcpy(*text, s, n);
	(*text)[n] = '\n';
	(*text)[n + 1] = '\0';
	if (len)
		*len = n + 1;
	return 0;
}

int ofs_manifest_encode(const struct ofs_manifest *m, char **text, size_t *len)
{
	struct json_object *doc = json_object_new_object(), *images, *img;
	size_t i;
	int r = -ENOMEM;

	if (!doc || add(doc, "format", json_object_new_int(OFS_MANIFEST_FORMAT)) ||
	    add(doc, "repository", json_object_new_string(m->id)) ||
	    add(doc, "serial", json_object_new_int64((int64_t)m->serial)))
		goto put_doc;
	images = json_object_new_array();
	if (add(doc, "images", images))
		goto put_doc;
	for (i = 0; i < m->n_images; i++) {
		img = image_json(&m->images[i]);
		if (!img || json_object_array_add(images, img)) {
			json_object_put(img);
			goto put_doc;
		}
	}
	r = to_text(doc, text, len);
put_doc:
	json_object_put(doc);
	return r;
}

/* ---- the policy's images (docs/ras-api.md §4.3) ---- */

static struct json_object *policy_image(const struct ofs_manifest_image *img)
{
	struct json_object *o = json_object_new_object(), *c;
	uint32_t k;

	if (!o || add(o, "name", json_object_new_string(img->name)) ||
	    add(o, "version", json_object_new_string(img->version)))
		goto fail;
	for (k = 0; k < OFS_MAX_COMPONENTS; k++) {
		if (!(img->present & (1u << k)))
			continue;
		c = json_object_new_object();
		if (add(o, kind_names[k], c) ||
		    add(c, "sha256", hex_string(img->comp[k].sha256)) ||
		    add(c, "size", json_object_new_int64((int64_t)img->comp[k].size)))
			goto fail;
	}
	return o;
fail:
	json_object_put(o);
	return NULL;
}

int ofs_manifest_policy_images(const struct ofs_manifest *m, const char *name,
			       const char *version, char **json)
{
	struct json_object *arr = json_object_new_array(), *o;
	const struct ofs_manifest_image *img;
	size_t i;
	int r = -ENOMEM;

	if (!arr)
		return -ENOMEM;
	for (i = 0; i < m->n_images; i++) {
		img = &m->images[i];
		if ((name && strcmp(name, img->name)) ||
		    (version && strcmp(version, img->version)))
			continue;
		o = policy_image(img);
		if (!o || json_object_array_add(arr, o)) {
			json_object_put(o);
			goto put_arr;
		}
	}
	r = json_object_array_length(arr) || (!name && !version) ?
		to_text(arr, json, NULL) : -ENOENT;
put_arr:
	json_object_put(arr);
	return r;
}
