// SPDX-License-Identifier: MIT
#include <stddef.h>

#include "ofs-device.h"

static const char *const status_names[] = {
	[OFFLOAD_SEC_DS_OK] = "ok",
	[OFFLOAD_SEC_DS_BAD_OPCODE] = "command not supported by the device",
	[OFFLOAD_SEC_DS_BAD_LENGTH] = "length out of range",
	[OFFLOAD_SEC_DS_BAD_FIELD] = "unknown flag or non-zero reserved field",
	[OFFLOAD_SEC_DS_BAD_DMA] = "DMA descriptor names forbidden memory",
	[OFFLOAD_SEC_DS_BUSY] = "device busy",
	[OFFLOAD_SEC_DS_INTERNAL] = "device internal error",
	[OFFLOAD_SEC_DS_NO_RESPONSE] = "no response from the device",
	[OFFLOAD_SEC_DS_BAD_RESPONSE] = "malformed response from the device",
	[OFFLOAD_SEC_DS_NO_SESSION] = "no such session on the device",
	[OFFLOAD_SEC_DS_NO_SLOT] = "every session slot of the device is in use",
	[OFFLOAD_SEC_DS_BAD_STATE] = "command out of order for the session",
	[OFFLOAD_SEC_DS_NO_SPACE] = "output buffer too small",
	[OFFLOAD_SEC_DS_BAD_CONFIRMATION] = "malformed confirmation",
	[OFFLOAD_SEC_DS_UNTRUSTED] = "confirmation not signed by a trusted RAS key",
	[OFFLOAD_SEC_DS_WRONG_REPORT] = "confirmation is for another report or nonce",
	[OFFLOAD_SEC_DS_EXPIRED] = "confirmation expired or not yet valid",
	[OFFLOAD_SEC_DS_NOT_AFFIRMED] = "the verifier's verdict does not allow a launch",
	[OFFLOAD_SEC_DS_STREAM_REJECTED] = "image chunk rejected (tag, order or length)",
	[OFFLOAD_SEC_DS_INCOMPLETE] = "not every attested component was loaded",
	[OFFLOAD_SEC_DS_DIGEST_MISMATCH] = "loaded image differs from the attested one",
	[OFFLOAD_SEC_DS_FAILED] = "the session failed earlier; only abort is possible",
};

const char *ofs_device_status_str(uint32_t status)
{
	if (status < sizeof(status_names) / sizeof(status_names[0]) &&
	    status_names[status])
		return status_names[status];
	return "unknown device status";
}

static const char *const capability_names[] = {
	"dma-selftest",
	"launch-sessions",
};

const char *ofs_capability_name(unsigned int bit)
{
	if (bit < sizeof(capability_names) / sizeof(capability_names[0]))
		return capability_names[bit];
	return NULL;
}
