// SPDX-License-Identifier: MIT
/* OFS_HW_OP_GET_INFO: who the device is and what it can do. */
#include <endian.h>
#include <string.h>

#include "emu.h"

/* NUL-padded in a 32-byte field: keep a terminator for C readers. */
bool emu_serial_valid(const char *serial)
{
	size_t i, len = strlen(serial);

	if (len == 0 || len >= sizeof(((struct ofs_hw_info *)0)->serial))
		return false;
	for (i = 0; i < len; i++)
		if (serial[i] < 0x21 || serial[i] > 0x7e)
			return false;
	return true;
}

uint32_t emu_info_get(const struct emu_device *dev, const void *in,
		      void *out, uint32_t *out_len)
{
	struct ofs_hw_info info = {
		.magic = htole32(OFS_HW_MAGIC),
		.abi_major = htole16(OFS_HW_ABI_MAJOR),
		.abi_minor = htole16(OFS_HW_ABI_MINOR),
		.fw_major = htole16(EMU_FW_MAJOR),
		.fw_minor = htole16(EMU_FW_MINOR),
		.fw_patch = htole32(EMU_FW_PATCH),
		.num_measurement_regs = htole32(OFS_NUM_MEAS_REGS),
		.max_sessions = htole32(EMU_MAX_SESSIONS),
		.max_sg = htole32(OFS_HW_MAX_SG),
		.capabilities = htole64(EMU_CAPABILITIES),
	};

	/* strncpy's NUL padding is exactly the field's format. */
	strncpy((char *)info.serial, dev->serial, sizeof(info.serial) - 1);
	memcpy(out, &info, sizeof(info));
	*out_len = sizeof(info);
	return OFFLOAD_SEC_DS_OK;
}
