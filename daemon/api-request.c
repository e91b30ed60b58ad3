// SPDX-License-Identifier: MIT
/*
 * Launch's parameters (docs/daemon-api.md), checked strictly: every one
 * typed and in range, nothing unknown, and a destination the card can
 * really write: a regular file or memfd, open for reading and writing,
 * not sealed against writes, long enough for offset + size.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "api.h"
#include "ofs-stream.h"

/* An int member, >= 0; null counts as absent.  1 found, 0 absent, -EINVAL. */
static int get_uint(json_object *params, const char *name, uint64_t *out)
{
	json_object *o;

	if (!json_object_object_get_ex(params, name, &o) || !o)
		return 0;
	if (!json_object_is_type(o, json_type_int) || json_object_get_int64(o) < 0)
		return -EINVAL;
	*out = json_object_get_uint64(o);
	return 1;
}

static int get_name(json_object *params, const char *name, char *out,
		    size_t size)
{
	json_object *o;
	const char *s;

	if (!json_object_object_get_ex(params, name, &o) || !o)
		return 0;
	if (!json_object_is_type(o, json_type_string))
		return -EINVAL;
	s = json_object_get_string(o);
	if ((size_t)json_object_get_string_len(o) != strlen(s) ||
	    strlen(s) >= size || ofs_manifest_name_valid(s))
		return -EINVAL;
	memcpy(out, s, strlen(s) + 1);
	return 1;
}

static bool known_parameter(const char *name)
{
	static const char *const known[] = {
		"image", "version", "destination", "offset", "size", "chunk_size",
	};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(name, known[i]))
			return true;
	return false;
}

static int bad(const char **parameter, const char *name)
{
	*parameter = name;
	return -EINVAL;
}

static int parse_params(json_object *params, struct secd_launch_request *req,
			uint64_t *index, const char **parameter)
{
	uint64_t chunk = 0;

	json_object_object_foreach(params, key, val) {
		(void)val;
		if (!known_parameter(key))
			return bad(parameter, key);
	}
	if (get_name(params, "image", req->image, sizeof(req->image)) != 1)
		return bad(parameter, "image");
	if (get_name(params, "version", req->version, sizeof(req->version)) < 0)
		return bad(parameter, "version");
	if (get_uint(params, "destination", index) != 1)
		return bad(parameter, "destination");
	if (get_uint(params, "offset", &req->dest_offset) < 0)
		return bad(parameter, "offset");
	if (get_uint(params, "size", &req->dest_size) != 1 || !req->dest_size)
		return bad(parameter, "size");
	if (get_uint(params, "chunk_size", &chunk) < 0 ||
	    (chunk && (chunk < OFS_STREAM_CHUNK_MIN || chunk > OFS_STREAM_CHUNK_MAX ||
		       (chunk & (chunk - 1)))))
		return bad(parameter, "chunk_size");
	req->chunk_size = (uint32_t)chunk;
	return 0;
}

static int dest_fail(char *why, size_t why_size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int dest_fail(char *why, size_t why_size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, why_size, fmt, ap);
	va_end(ap);
	return -EBADF;
}

/* The card decrypts into a shared writable mapping of [offset, offset + size). */
static int check_destination(int fd, uint64_t offset, uint64_t size,
			     char *why, size_t why_size)
{
	long page = sysconf(_SC_PAGESIZE);
	struct stat st;
	int flags, seals;

	if (fstat(fd, &st) < 0)
		return dest_fail(why, why_size, "the destination cannot be examined: %m");
	if (!S_ISREG(st.st_mode))
		return dest_fail(why, why_size,
				 "the destination is not a regular file or memfd");
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || (flags & O_ACCMODE) != O_RDWR)
		return dest_fail(why, why_size,
				 "the destination is not open for reading and writing");
	seals = fcntl(fd, F_GET_SEALS);
	if (seals > 0 && (seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)))
		return dest_fail(why, why_size, "the destination is sealed against writes");
	if (page <= 0 || offset % (uint64_t)page)
		return dest_fail(why, why_size, "offset %llu is not a multiple of the "
				 "page size (%ld)", (unsigned long long)offset, page);
	if (offset > (uint64_t)st.st_size || size > (uint64_t)st.st_size - offset)
		return dest_fail(why, why_size, "the destination holds %lld bytes, "
				 "fewer than offset + size (%llu + %llu)",
				 (long long)st.st_size, (unsigned long long)offset,
				 (unsigned long long)size);
	return 0;
}

int secd_api_launch_request(json_object *params, const int *fds, size_t n_fds,
			    struct secd_launch_request *req,
			    const char **parameter, char *why, size_t why_size)
{
	uint64_t index = 0;
	int r;

	memset(req, 0, sizeof(*req));
	req->dest_fd = -1;
	*parameter = NULL;
	if (why_size)
		why[0] = '\0';
	if (!json_object_is_type(params, json_type_object))
		return bad(parameter, "parameters");
	r = parse_params(params, req, &index, parameter);
	if (r)
		return r;
	if (index >= n_fds)
		return dest_fail(why, why_size, "destination %llu names none of the "
				 "%zu file descriptors sent with the call",
				 (unsigned long long)index, n_fds);
	r = check_destination(fds[index], req->dest_offset, req->dest_size, why,
			      why_size);
	if (r)
		return r;
	req->dest_fd = fds[index];
	return 0;
}
