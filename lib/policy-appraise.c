// SPDX-License-Identifier: MIT
/*
 * Appraisal against a policy: the report's own checks (appraise.c), then
 * freshness and the policy's reference values, each a named check with
 * the expected and the actual value, so that a refusal says exactly which
 * claim failed and what would have passed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ofs-identity.h"
#include "ofs-policy.h"
#include "ofs-util.h"

#define SHOWN_ALLOWED	4	/* allowed values listed in a reason */
#define SHORT_HEX	12	/* bytes of a digest shown in a list */

/* "3f2a…" : the first SHORT_HEX bytes of a digest, for lists. */
static void short_hex(const uint8_t *d, char out[2 * SHORT_HEX + 4])
{
	ofs_hex(d, SHORT_HEX, out);
	strcat(out, "\xe2\x80\xa6");
}

/* Appends to c->why, as far as it goes. */
__attribute__((format(printf, 2, 3)))
/* "…" in UTF-8: what a reason cut short ends with. */
#define ELLIPSIS	"\xe2\x80\xa6"

/*
 * Appends to the reason; one that no longer fits is cut after its last
 * whole word and ends with an ellipsis, so that no digest or name is left
 * half written.
 */
static void why_add(struct ofs_check *c, const char *fmt, ...)
{
	size_t n = strlen(c->why), cut;
	va_list ap;
	int w;

	if (n + sizeof(ELLIPSIS) >= sizeof(c->why))
		return;
	va_start(ap, fmt);
	w = vsnprintf(c->why + n, sizeof(c->why) - n, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w < sizeof(c->why) - n)
		return;
	cut = sizeof(c->why) - sizeof(ELLIPSIS);
	while (cut > 0 && c->why[cut - 1] != ' ')
		cut--;
	while (cut > 0 && strchr(" ,;", c->why[cut - 1]))
		cut--;
	memcpy(c->why + cut, ELLIPSIS, sizeof(ELLIPSIS));
}

/* ---- freshness and identity ---- */

static void check_freshness(struct ofs_appraisal *a,
			    const struct ofs_nonce_source *fresh,
			    const struct ofs_report *rep)
{
	struct ofs_check *c = ofs_appraisal_add(a, OFS_CHECK_FRESHNESS);
	char why[sizeof(c->why)] = "";
	int r;

	ofs_hex(rep->nonce, OFS_NONCE_LEN, c->actual);
	snprintf(c->expected, sizeof(c->expected), "issued, unexpired, unused");
	r = fresh->consume(fresh->ctx, rep->nonce, why, sizeof(why));
	if (r)
		ofs_check_fail(c, r, "%s", why[0] ? why : "nonce refused");
}

static int cmp_ueid(const void *a, const void *b)
{
	return memcmp(a, b, OFS_UEID_LEN);
}

static void check_revoked(struct ofs_appraisal *a, const struct ofs_policy *p,
			  const struct ofs_report *rep)
{
	struct ofs_check *c = ofs_appraisal_add(a, OFS_CHECK_REVOKED);

	snprintf(c->expected, sizeof(c->expected), "not revoked");
	ofs_hex(rep->ueid, OFS_UEID_LEN, c->actual);
	if (p->n_revoked && bsearch(rep->ueid, p->revoked, p->n_revoked,
				    OFS_UEID_LEN, cmp_ueid))
		ofs_check_fail(c, -EKEYREVOKED, "device %s is revoked by policy "
			       "'%s'", c->actual, p->id);
}

static void check_debug(struct ofs_appraisal *a, const struct ofs_policy *p,
			const struct ofs_report *rep)
{
	struct ofs_check *c = ofs_appraisal_add(a, OFS_CHECK_DEBUG);
	char allowed[128] = "";
	uint32_t i;

	for (i = 0; i <= OFS_DBG_DISABLED_FULLY_AND_PERMANENTLY; i++)
		if (p->debug_allowed & (1u << i))
			snprintf(allowed + strlen(allowed),
				 sizeof(allowed) - strlen(allowed), "%s%s",
				 allowed[0] ? ", " : "", ofs_dbgstat_name(i));
	snprintf(c->expected, sizeof(c->expected), "%s", allowed);
	snprintf(c->actual, sizeof(c->actual), "%s",
		 ofs_dbgstat_name(rep->dbgstat));
	if (rep->dbgstat > 31 || !(p->debug_allowed & (1u << rep->dbgstat)))
		ofs_check_fail(c, -EPERM, "debug state %s not allowed by policy "
			       "'%s', allowed: %s", c->actual, p->id, allowed);
}

static void check_min_svn(struct ofs_appraisal *a, const struct ofs_policy *p,
			  const struct ofs_report *rep)
{
	struct ofs_check *c = ofs_appraisal_add(a, OFS_CHECK_MIN_SVN);

	snprintf(c->expected, sizeof(c->expected), ">= %" PRIu32, p->min_svn);
	snprintf(c->actual, sizeof(c->actual), "%" PRIu32, rep->svn);
	if (rep->svn < p->min_svn) {
		ofs_check_fail(c, -EKEYREJECTED, "firmware security version %"
			       PRIu32 " is below policy '%s' minimum %" PRIu32,
			       rep->svn, p->id, p->min_svn);
	} else if (rep->svn < p->recommended_svn) {
		c->warn = 1;
		snprintf(c->why, sizeof(c->why), "firmware security version %"
			 PRIu32 " is below the recommended %" PRIu32 " of "
			 "policy '%s'", rep->svn, p->recommended_svn, p->id);
	}
}

/* ---- firmware reference values ---- */

static const struct ofs_policy_stage *find_stage(const struct ofs_policy *p,
						 const char *name)
{
	size_t i;

	for (i = 0; i < p->n_stages; i++)
		if (!strcmp(p->stages[i].stage, name))
			return &p->stages[i];
	return NULL;
}

static bool stage_digest_ok(const struct ofs_policy_stage *s,
			    const uint8_t *digest)
{
	size_t i;

	for (i = 0; i < s->n_digests; i++)
		if (!memcmp(s->digests[i], digest, OFS_SHA256_LEN))
			return true;
	return false;
}

static void stage_digest_fail(struct ofs_check *c, const struct ofs_policy *p,
			      const struct ofs_policy_stage *s,
			      const struct ofs_boot_event *ev)
{
	char h[2 * SHORT_HEX + 4];
	size_t i;

	if (!c->err) {
		ofs_hex(s->digests[0], OFS_SHA256_LEN, c->expected);
		if (s->n_digests > 1)
			snprintf(c->expected, sizeof(c->expected), "one of %zu "
				 "digests", s->n_digests);
		ofs_hex(ev->digest, OFS_SHA256_LEN, c->actual);
	}
	short_hex(ev->digest, h);
	why_add(c, "%sstage %s digest %s not in policy '%s', allowed: ",
		c->why[0] ? "; " : "", ev->stage, h, p->id);
	for (i = 0; i < s->n_digests && i < SHOWN_ALLOWED; i++) {
		short_hex(s->digests[i], h);
		why_add(c, "%s%s", i ? ", " : "", h);
	}
	c->err = -EKEYREJECTED;
}

/* One event against its stage's reference values. */
static void check_event(struct ofs_check *c, const struct ofs_policy *p,
			const struct ofs_boot_event *ev)
{
	const struct ofs_policy_stage *s = find_stage(p, ev->stage);
	const char *sep = c->why[0] ? "; " : "";

	if (!s) {
		why_add(c, "%sstage %s is not in policy '%s'", sep, ev->stage, p->id);
		c->err = -EKEYREJECTED;
	} else if (s->reg != ev->reg) {
		why_add(c, "%sstage %s extends register %u, policy '%s' says %u",
			sep, ev->stage, ev->reg, p->id, s->reg);
		c->err = -EKEYREJECTED;
	} else if (!stage_digest_ok(s, ev->digest)) {
		stage_digest_fail(c, p, s, ev);
	} else if (ev->svn < s->min_svn) {
		why_add(c, "%sstage %s svn %" PRIu32 " is below policy '%s' "
			"minimum %" PRIu32, sep, ev->stage, ev->svn, p->id,
			s->min_svn);
		c->err = -EKEYREJECTED;
	}
}

static bool stage_in_log(const struct ofs_report *rep, const char *name)
{
	uint32_t i;

	for (i = 0; i < rep->n_events; i++)
		if (!strcmp(rep->events[i].stage, name))
			return true;
	return false;
}

static void check_stages(struct ofs_appraisal *a, const struct ofs_policy *p,
			 const struct ofs_report *rep)
{
	struct ofs_check *c = ofs_appraisal_add(a, OFS_CHECK_STAGES);
	uint32_t i;

	for (i = 0; i < rep->n_events; i++)
		check_event(c, p, &rep->events[i]);
	for (i = 0; i < p->n_stages; i++) {
		if (stage_in_log(rep, p->stages[i].stage))
			continue;
		why_add(c, "%sstage %s of policy '%s' is missing from the event "
			"log", c->why[0] ? "; " : "", p->stages[i].stage, p->id);
		c->err = -EKEYREJECTED;
	}
}

static void check_composite(struct ofs_appraisal *a, const struct ofs_policy *p,
			    const struct ofs_report *rep)
{
	struct ofs_check *c = ofs_appraisal_add(a, OFS_CHECK_COMPOSITE);
	uint8_t composite[OFS_SHA256_LEN];
	size_t i;

	if (p->n_composites == 1)
		ofs_hex(p->composites[0], OFS_SHA256_LEN, c->expected);
	else
		snprintf(c->expected, sizeof(c->expected), "one of %zu composites",
			 p->n_composites);
	if (rep->n_regs != OFS_NUM_MEAS_REGS ||
	    ofs_measure_composite(rep->regs, composite)) {
		ofs_check_fail(c, -EKEYREJECTED, "no composite of %" PRIu32
			       " registers", rep->n_regs);
		return;
	}
	ofs_hex(composite, OFS_SHA256_LEN, c->actual);
	for (i = 0; i < p->n_composites; i++)
		if (!memcmp(p->composites[i], composite, OFS_SHA256_LEN))
			return;
	ofs_check_fail(c, -EKEYREJECTED, "boot composite not in policy '%s'",
		       p->id);
}

/* ---- the image ---- */

static uint32_t report_kinds(const struct ofs_report *rep)
{
	uint32_t i, mask = 0;

	for (i = 0; i < rep->n_components; i++)
		mask |= 1u << rep->components[i].component;
	return mask;
}

static bool image_matches(const struct ofs_policy_image *img,
			  const struct ofs_report *rep)
{
	const struct ofs_image_component *rc;
	uint32_t i;

	if (img->present != report_kinds(rep))
		return false;
	for (i = 0; i < rep->n_components; i++) {
		rc = &rep->components[i];
		if (memcmp(img->sha256[rc->component], rc->sha256, OFS_SHA256_LEN) ||
		    (img->size[rc->component] && img->size[rc->component] != rc->size))
			return false;
	}
	return true;
}

/* Digests of this kind that some image allows, up to max of them. */
static size_t allowed_of_kind(const struct ofs_policy *p, uint32_t kind,
			      const uint8_t *digest, bool *found,
			      const uint8_t **shown, size_t max)
{
	size_t i, j, n = 0;

	*found = false;
	for (i = 0; i < p->n_images; i++) {
		const uint8_t *d = p->images[i].sha256[kind];

		if (!(p->images[i].present & (1u << kind)))
			continue;
		if (!memcmp(d, digest, OFS_SHA256_LEN))
			*found = true;
		for (j = 0; j < n && j < max && memcmp(shown[j], d, OFS_SHA256_LEN); j++)
			;
		if (j == n) {
			if (n < max)
				shown[n] = d;
			n++;
		}
	}
	return n;
}

/* Names every component whose digest no image of the policy has. */
static bool explain_components(struct ofs_check *c, const struct ofs_policy *p,
			       const struct ofs_report *rep)
{
	const uint8_t *shown[SHOWN_ALLOWED + 1];
	const struct ofs_image_component *rc;
	char h[2 * SHORT_HEX + 4];
	size_t n, i;
	uint32_t k;
	bool found, any = false;

	for (k = 0; k < rep->n_components; k++) {
		rc = &rep->components[k];
		n = allowed_of_kind(p, rc->component, rc->sha256, &found, shown,
				    SHOWN_ALLOWED + 1);
		if (found)
			continue;
		if (!any) {
			ofs_hex(rc->sha256, OFS_SHA256_LEN, c->actual);
			if (n == 1)
				ofs_hex(shown[0], OFS_SHA256_LEN, c->expected);
			else
				snprintf(c->expected, sizeof(c->expected),
					 "one of %zu digests", n);
		}
		any = true;
		short_hex(rc->sha256, h);
		why_add(c, "%s%s digest %s not in policy '%s', allowed: ",
			c->why[0] ? "; " : "", ofs_component_name(rc->component),
			h, p->id);
		for (i = 0; i < n && i < SHOWN_ALLOWED; i++) {
			short_hex(shown[i], h);
			why_add(c, "%s%s", i ? ", " : "", h);
		}
		if (!n)
			why_add(c, "none");
		if (n > SHOWN_ALLOWED)
			why_add(c, " (and %zu more)", n - SHOWN_ALLOWED);
	}
	return any;
}

static void check_image(struct ofs_appraisal *a, const struct ofs_policy *p,
			const struct ofs_report *rep)
{
	struct ofs_check *c = ofs_appraisal_add(a, OFS_CHECK_IMAGE);
	size_t i;

	for (i = 0; i < p->n_images; i++) {
		if (image_matches(&p->images[i], rep)) {
			snprintf(c->expected, sizeof(c->expected), "%s",
				 p->images[i].name);
			snprintf(c->actual, sizeof(c->actual), "%s",
				 p->images[i].name);
			return;
		}
	}
	c->err = -EKEYREJECTED;
	if (explain_components(c, p, rep))
		return;
	snprintf(c->expected, sizeof(c->expected), "one of %zu images",
		 p->n_images);
	snprintf(c->actual, sizeof(c->actual), "an unlisted combination");
	why_add(c, "no image of policy '%s' has exactly these components "
		"(each is allowed, but not together, or a size differs)", p->id);
}

/* ---- the whole ---- */

/* The first of chain and signature that failed, or NULL. */
static const char *trust_failed(const struct ofs_appraisal *a)
{
	const struct ofs_check *c = ofs_appraisal_find(a, OFS_CHECK_CHAIN);

	if (!c || c->err)
		return "certificate chain";
	c = ofs_appraisal_find(a, OFS_CHECK_REPORT_SIG);
	return !c || c->err ? "report signature" : NULL;
}

/* The policy's checks, in order; stages and composite only when it has them. */
static size_t policy_check_names(const struct ofs_policy *p, const char **names)
{
	size_t n = 0;

	names[n++] = OFS_CHECK_REVOKED;
	names[n++] = OFS_CHECK_DEBUG;
	names[n++] = OFS_CHECK_MIN_SVN;
	if (p->n_stages)
		names[n++] = OFS_CHECK_STAGES;
	if (p->n_composites)
		names[n++] = OFS_CHECK_COMPOSITE;
	names[n++] = OFS_CHECK_IMAGE;
	return n;
}

static void policy_checks(struct ofs_appraisal *a, const struct ofs_policy *p,
			  const struct ofs_nonce_source *fresh,
			  const struct ofs_report *rep, const char *failed)
{
	const char *names[8];
	size_t i, n = policy_check_names(p, names);

	if (failed) {
		if (fresh)
			ofs_check_skip(a, OFS_CHECK_FRESHNESS, failed);
		for (i = 0; i < n; i++)
			ofs_check_skip(a, names[i], failed);
		return;
	}
	if (fresh)
		check_freshness(a, fresh, rep);
	check_revoked(a, p, rep);
	check_debug(a, p, rep);
	check_min_svn(a, p, rep);
	if (p->n_stages)
		check_stages(a, p, rep);
	if (p->n_composites)
		check_composite(a, p, rep);
	check_image(a, p, rep);
}

int ofs_appraise_policy(const struct ofs_policy *p,
			const struct ofs_report_evidence *ev,
			const struct ofs_nonce_source *fresh,
			struct ofs_appraisal *a, struct ofs_report *rep)
{
	struct ofs_report claims = { 0 };
	int r;

	if (!a)
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	if (!p || (fresh && !fresh->consume))
		return -EINVAL;
	r = ofs_appraise_report(ev, a, &claims);
	if (r == -EINVAL && !a->n_checks)
		return r;
	policy_checks(a, p, fresh, &claims, trust_failed(a));
	if (rep && !trust_failed(a))
		*rep = claims;
	return ofs_appraisal_finish(a);
}
