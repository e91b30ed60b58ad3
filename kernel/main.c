// SPDX-License-Identifier: GPL-2.0
/*
 * offload_sec.ko: driver for the security component of the offload card.
 * Each bound card gets a /dev/offload-sec* node; the generic netlink
 * family that describes the cards comes first and goes last, so that it
 * is there for every card's arrival and departure.
 */
#include <linux/module.h>

#include "offload_sec.h"

static int __init ofs_init(void)
{
	int ret;

	ret = ofs_netlink_init();
	if (ret)
		return ret;
	ret = ofs_pci_init();
	if (ret)
		goto uninit_netlink;
	return 0;

uninit_netlink:
	ofs_netlink_uninit();
	return ret;
}

static void __exit ofs_exit(void)
{
	ofs_pci_exit();
	ofs_netlink_uninit();
}

module_init(ofs_init);
module_exit(ofs_exit);

MODULE_DESCRIPTION("Offload card security component");
MODULE_LICENSE("GPL");
