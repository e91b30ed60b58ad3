// SPDX-License-Identifier: MIT
/*
 * libFuzzer over what a local client can send offload-secd: the bytes go
 * through the NUL framing (lib/varlink.c, over a socketpair), each message
 * through the strict call decoder, and the parameters of every call
 * through Launch's parameter checks (daemon/api-request.c) against a real
 * memfd.  Every refusal must say why; an accepted Launch names that memfd.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The guest memory every Launch may name: 1 MiB, made once. */
static int guest_fd(void)
{
	static int fd = -1;

	if (fd < 0) {
		fd = memfd_create("guest", MFD_CLOEXEC);
		if (fd < 0 || ftruncate(fd, 1 << 20))
			abort();
	}
	return fd;
}

static void check_launch(json_object *params)
{
	struct secd_launch_request req;
	const char *parameter;
	char why[256];
	int fd = guest_fd(), r;

	r = secd_api_launch_request(params, &fd, 1, &req, &parameter, why,
				    sizeof(why));
	if (r == 0 && (req.dest_fd != fd || !req.dest_size || !req.image[0]))
		__builtin_trap();
	if (r == -EINVAL && !parameter)
		__builtin_trap();
	if (r == -EBADF && !why[0])
		__builtin_trap();
	if (r && r != -EINVAL && r != -EBADF)
		__builtin_trap();
}

static void check_call(const char *text, size_t len)
{
	struct ofs_varlink_call call;
	char why[160] = "";
	int r;

	r = ofs_varlink_parse_call(text, len, &call, why, sizeof(why));
	if (r == -EBADMSG) {
		if (!why[0] || call.method || call.parameters)
			__builtin_trap();
		return;
	}
	if (r || !call.method || !json_object_is_type(call.parameters,
						      json_type_object))
		__builtin_trap();
	check_launch(call.parameters);
	ofs_varlink_call_release(&call);
}

/* The input, framed as a peer would send it (short inputs fit the socket). */
static void check_framing(const uint8_t *data, size_t size)
{
	struct ofs_varlink *v;
	int sv[2], fds[OFS_VARLINK_FDS_MAX], r;
	const char *text;
	size_t len, n_fds;

	if (size > 65536 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return;
	if (ofs_varlink_from_fd(sv[0], &v)) {
		close(sv[0]);
		close(sv[1]);
		return;
	}
	if (size && write(sv[1], data, size) != (ssize_t)size)
		abort();
	close(sv[1]);
	for (;;) {
		r = ofs_varlink_next(v, &text, &len, fds, &n_fds);
		if (r == 1) {
			if (n_fds || strlen(text) != len)
				__builtin_trap();
			check_call(text, len);
			continue;
		}
		if (r < 0)
			break;
		r = ofs_varlink_fill(v);
		if (r && r != -EAGAIN)
			break;
	}
	ofs_varlink_free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_call((const char *)data, size);
	check_framing(data, size);
	return 0;
}
