// SPDX-License-Identifier: GPL-2.0
/*
 * offload_sec.ko: driver for the security component of the offload card.
 * Each bound card gets a /dev/offload-sec* node; everything else hangs off
 * the PCI driver, so module init is just its registration.
 */
#include <linux/module.h>

#include "offload_sec.h"

static int __init ofs_init(void)
{
	return ofs_pci_init();
}

static void __exit ofs_exit(void)
{
	ofs_pci_exit();
}

module_init(ofs_init);
module_exit(ofs_exit);

MODULE_DESCRIPTION("Offload card security component");
MODULE_LICENSE("GPL");
