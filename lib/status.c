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
};

const char *ofs_capability_name(unsigned int bit)
{
	if (bit < sizeof(capability_names) / sizeof(capability_names[0]))
		return capability_names[bit];
	return NULL;
}
