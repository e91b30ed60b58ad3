// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "offload_sec": dumps of the cards and their
 * launch sessions, and the "events" multicast group.  The family only
 * describes; nothing here acts on a card, so no command needs privilege
 * (include/uapi/linux/offload_sec.h, "Generic netlink", says why that is
 * acceptable).
 *
 * Cards are listed here by index between probe and remove.  A generation
 * counter moves on every change a dump could tear over (a card or session
 * coming or going, a session changing state, a card breaking), and every
 * dump message is checked against it with genl_dump_check_consistent().
 */
#include <linux/atomic.h>
#include <linux/mutex.h>
#include <linux/xarray.h>
#include <net/genetlink.h>

#include "offload_sec.h"

static struct genl_family ofs_genl_family;

/* Cards by index (ofs_dev.node_id).  Dumps walk it under devices_lock. */
static DEFINE_XARRAY(devices);
static DEFINE_MUTEX(devices_lock);
static atomic_t generation = ATOMIC_INIT(1);

enum { MCGRP_EVENTS };

static const struct genl_multicast_group ofs_mcgrps[] = {
	[MCGRP_EVENTS] = { .name = OFFLOAD_SEC_GENL_MCGRP_EVENTS },
};

/* What a request may carry; strict validation rejects everything else. */
static const struct nla_policy ofs_policy[OFFLOAD_SEC_A_MAX + 1] = {
	[OFFLOAD_SEC_A_DEVICE_INDEX] = { .type = NLA_U32 },
};

/**
 * ofs_nl_changed() - note a change that a dump in progress must not miss
 */
void ofs_nl_changed(void)
{
	atomic_inc(&generation);
}

static int put_info(struct sk_buff *skb, const struct offload_sec_info *info)
{
	struct nlattr *nest = nla_nest_start(skb, OFFLOAD_SEC_A_DEVICE_INFO);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u16(skb, OFFLOAD_SEC_INFO_A_ABI_MAJOR, info->abi_major) ||
	    nla_put_u16(skb, OFFLOAD_SEC_INFO_A_ABI_MINOR, info->abi_minor) ||
	    nla_put_u16(skb, OFFLOAD_SEC_INFO_A_FW_MAJOR, info->fw_major) ||
	    nla_put_u16(skb, OFFLOAD_SEC_INFO_A_FW_MINOR, info->fw_minor) ||
	    nla_put_u32(skb, OFFLOAD_SEC_INFO_A_FW_PATCH, info->fw_patch) ||
	    nla_put_u32(skb, OFFLOAD_SEC_INFO_A_MEASUREMENT_REGS,
			info->num_measurement_regs) ||
	    nla_put_u32(skb, OFFLOAD_SEC_INFO_A_MAX_SESSIONS,
			info->max_sessions) ||
	    nla_put_u32(skb, OFFLOAD_SEC_INFO_A_MAX_DMA_SEGMENTS,
			info->max_dma_segments) ||
	    nla_put_u64_64bit(skb, OFFLOAD_SEC_INFO_A_CAPABILITIES,
			      info->capabilities, OFFLOAD_SEC_INFO_A_UNSPEC) ||
	    nla_put_string(skb, OFFLOAD_SEC_INFO_A_SERIAL, info->serial)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* The card's identity: every device message starts with it. */
static int put_card_id(struct sk_buff *skb, const struct ofs_dev *ofs)
{
	if (nla_put_u32(skb, OFFLOAD_SEC_A_DEVICE_INDEX, ofs->node_id) ||
	    nla_put_string(skb, OFFLOAD_SEC_A_DEVICE_NAME, ofs->name) ||
	    nla_put_string(skb, OFFLOAD_SEC_A_DEVICE_PCI_ADDR, ofs->pci_addr))
		return -EMSGSIZE;
	return 0;
}

static int put_broken(struct sk_buff *skb, const struct ofs_dev *ofs)
{
	if (READ_ONCE(ofs->broken) &&
	    nla_put_flag(skb, OFFLOAD_SEC_A_DEVICE_BROKEN))
		return -EMSGSIZE;
	return 0;
}

static int put_card(struct sk_buff *skb, const struct ofs_dev *ofs)
{
	if (put_card_id(skb, ofs) ||
	    (ofs->info_valid && put_info(skb, &ofs->info)) ||
	    nla_put_u32(skb, OFFLOAD_SEC_A_DEVICE_SESSIONS,
			READ_ONCE(ofs->nr_sessions)) ||
	    put_broken(skb, ofs))
		return -EMSGSIZE;
	return 0;
}

static int put_component(struct sk_buff *skb, const struct ofs_session *s,
			 unsigned int c)
{
	struct nlattr *nest = nla_nest_start(skb, 0);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, OFFLOAD_SEC_COMPONENT_A_INDEX, c) ||
	    nla_put_u64_64bit(skb, OFFLOAD_SEC_COMPONENT_A_MEASURED,
			      READ_ONCE(s->measured[c]),
			      OFFLOAD_SEC_COMPONENT_A_UNSPEC) ||
	    nla_put_u64_64bit(skb, OFFLOAD_SEC_COMPONENT_A_LOADED,
			      READ_ONCE(s->loaded[c]),
			      OFFLOAD_SEC_COMPONENT_A_UNSPEC)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int put_session(struct sk_buff *skb, const struct ofs_session *s)
{
	struct nlattr *nest;
	unsigned int c;

	if (nla_put_u32(skb, OFFLOAD_SEC_A_DEVICE_INDEX, s->ofs->node_id) ||
	    nla_put(skb, OFFLOAD_SEC_A_SESSION_ID, sizeof(s->session_id),
		    s->session_id) ||
	    nla_put_u32(skb, OFFLOAD_SEC_A_SESSION_STATE, READ_ONCE(s->state)) ||
	    nla_put_u32(skb, OFFLOAD_SEC_A_SESSION_OWNER, pid_nr(s->owner)))
		return -EMSGSIZE;
	nest = nla_nest_start(skb, OFFLOAD_SEC_A_SESSION_COMPONENTS);
	if (!nest)
		return -EMSGSIZE;
	for (c = 0; c < OFFLOAD_SEC_NUM_COMPONENTS; c++) {
		if (put_component(skb, s, c)) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* ---- dumps ---- */

/*
 * The cards a dump still has to visit: from cb->args[0] on, only the one
 * OFFLOAD_SEC_A_DEVICE_INDEX names if the request has it.  Return: false
 * when there is none left.
 */
static bool dump_range(struct netlink_callback *cb, unsigned long *first,
		       unsigned long *last)
{
	struct nlattr **attrs = genl_dumpit_info(cb)->attrs;

	*first = cb->args[0];
	*last = ULONG_MAX;
	if (attrs && attrs[OFFLOAD_SEC_A_DEVICE_INDEX]) {
		*last = nla_get_u32(attrs[OFFLOAD_SEC_A_DEVICE_INDEX]);
		*first = max(*first, *last);
	}
	return *first <= *last;
}

static void *dump_start_msg(struct sk_buff *skb, struct netlink_callback *cb,
			    u8 cmd)
{
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &ofs_genl_family, NLM_F_MULTI, cmd);
	if (hdr)
		genl_dump_check_consistent(cb, hdr);
	return hdr;
}

/*
 * cb->args[0]: index of the next card to dump.
 */
static int get_device_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	unsigned long index, first, last;
	struct ofs_dev *ofs;
	void *hdr;

	if (!dump_range(cb, &first, &last))
		return 0;
	guard(mutex)(&devices_lock);
	cb->seq = atomic_read(&generation);
	xa_for_each_range(&devices, index, ofs, first, last) {
		hdr = dump_start_msg(skb, cb, OFFLOAD_SEC_CMD_GET_DEVICE);
		if (!hdr)
			break;
		if (put_card(skb, ofs)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = index + 1;
	}
	/* An empty skb ends the dump. */
	return skb->len;
}

/*
 * Must hold devices_lock.  Returns 0 once every session of the card is in
 * skb, -EMSGSIZE when the next one did not fit.
 *
 * cb->args[1]: sessions of this card already dumped.
 */
static int dump_sessions_of(struct sk_buff *skb, struct netlink_callback *cb,
			    struct ofs_dev *ofs)
{
	struct ofs_session *s;
	unsigned long i = 0;
	void *hdr;

	lockdep_assert_held(&devices_lock);
	guard(mutex)(&ofs->sessions_lock);
	list_for_each_entry(s, &ofs->sessions, node) {
		if (i++ < cb->args[1])
			continue;
		hdr = dump_start_msg(skb, cb, OFFLOAD_SEC_CMD_GET_SESSION);
		if (!hdr)
			return -EMSGSIZE;
		if (put_session(skb, s)) {
			genlmsg_cancel(skb, hdr);
			return -EMSGSIZE;
		}
		genlmsg_end(skb, hdr);
		cb->args[1] = i;
	}
	return 0;
}

/*
 * cb->args[0]: index of the card whose sessions come next.
 */
static int get_session_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	unsigned long index, first, last;
	struct ofs_dev *ofs;

	if (!dump_range(cb, &first, &last))
		return 0;
	guard(mutex)(&devices_lock);
	cb->seq = atomic_read(&generation);
	xa_for_each_range(&devices, index, ofs, first, last) {
		cb->args[0] = index;
		if (dump_sessions_of(skb, cb, ofs))
			break;
		cb->args[0] = index + 1;
		cb->args[1] = 0;
	}
	return skb->len;
}

static const struct genl_small_ops ofs_genl_ops[] = {
	{
		.cmd = OFFLOAD_SEC_CMD_GET_DEVICE,
		.dumpit = get_device_dump,
	}, {
		.cmd = OFFLOAD_SEC_CMD_GET_SESSION,
		.dumpit = get_session_dump,
	},
};

static struct genl_family ofs_genl_family __ro_after_init = {
	.name = OFFLOAD_SEC_GENL_NAME,
	.version = OFFLOAD_SEC_GENL_VERSION,
	.maxattr = OFFLOAD_SEC_A_MAX,
	.policy = ofs_policy,
	.small_ops = ofs_genl_ops,
	.n_small_ops = ARRAY_SIZE(ofs_genl_ops),
	.mcgrps = ofs_mcgrps,
	.n_mcgrps = ARRAY_SIZE(ofs_mcgrps),
	.module = THIS_MODULE,
};

/* ---- events ---- */

/* Sends what fill() wrote to the events group, if anyone listens. */
static void notify(u8 cmd, int (*fill)(struct sk_buff *skb, const void *arg,
				       u32 extra),
		   const void *arg, u32 extra)
{
	struct sk_buff *skb;
	void *hdr;

	if (!genl_has_listeners(&ofs_genl_family, &init_net, MCGRP_EVENTS))
		return;
	skb = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &ofs_genl_family, 0, cmd);
	if (!hdr || fill(skb, arg, extra)) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	genlmsg_multicast(&ofs_genl_family, skb, 0, MCGRP_EVENTS, GFP_KERNEL);
}

static int fill_device(struct sk_buff *skb, const void *arg, u32 unused)
{
	return put_card(skb, arg);
}

static int fill_device_id(struct sk_buff *skb, const void *arg, u32 unused)
{
	return put_card_id(skb, arg);
}

static int fill_device_error(struct sk_buff *skb, const void *arg, u32 error)
{
	if (put_card_id(skb, arg) || put_broken(skb, arg) ||
	    nla_put_u32(skb, OFFLOAD_SEC_A_DEVICE_ERROR, error))
		return -EMSGSIZE;
	return 0;
}

static int fill_session(struct sk_buff *skb, const void *arg, u32 reason)
{
	if (put_session(skb, arg) ||
	    (reason &&
	     nla_put_u32(skb, OFFLOAD_SEC_A_SESSION_END_REASON, reason)))
		return -EMSGSIZE;
	return 0;
}

/**
 * ofs_nl_device_error() - announce that a card misbehaved
 * @ofs:	the card
 * @error:	enum offload_sec_device_error
 */
void ofs_nl_device_error(struct ofs_dev *ofs, u32 error)
{
	notify(OFFLOAD_SEC_CMD_DEVICE_ERROR, fill_device_error, ofs, error);
}

/**
 * ofs_nl_session_event() - announce a session's creation, state or end
 * @s:		the session
 * @cmd:	OFFLOAD_SEC_CMD_SESSION_*
 * @reason:	enum offload_sec_end_reason for SESSION_ENDED, else 0
 */
void ofs_nl_session_event(struct ofs_session *s, u8 cmd, u32 reason)
{
	notify(cmd, fill_session, s, reason);
}

/**
 * ofs_nl_device_add() - list a bound card and announce it
 * @ofs: the card, its node registered
 *
 * Return: 0 or a negative errno.
 */
int ofs_nl_device_add(struct ofs_dev *ofs)
{
	int ret;

	mutex_lock(&devices_lock);
	ret = xa_insert(&devices, ofs->node_id, ofs, GFP_KERNEL);
	if (!ret)
		ofs_nl_changed();
	mutex_unlock(&devices_lock);
	if (!ret)
		notify(OFFLOAD_SEC_CMD_DEVICE_ADDED, fill_device, ofs, 0);
	return ret;
}

/**
 * ofs_nl_device_del() - unlist a card being removed and announce it
 * @ofs: the card, listed by ofs_nl_device_add()
 *
 * Once this returns, no dump looks at the card.
 */
void ofs_nl_device_del(struct ofs_dev *ofs)
{
	mutex_lock(&devices_lock);
	xa_erase(&devices, ofs->node_id);
	ofs_nl_changed();
	mutex_unlock(&devices_lock);
	notify(OFFLOAD_SEC_CMD_DEVICE_REMOVED, fill_device_id, ofs, 0);
}

int __init ofs_netlink_init(void)
{
	return genl_register_family(&ofs_genl_family);
}

void ofs_netlink_uninit(void)
{
	genl_unregister_family(&ofs_genl_family);
}
