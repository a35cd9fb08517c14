/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef LB_STATS_H
#define LB_STATS_H

/**
 * @file
 * Every outcome of the data path and of the master lcore has a named
 * counter, declared once in the X-macro lists below (VPP's
 * foreach_lb_error habit). Workers increment their own copy without
 * atomics; readers sum the copies.
 *
 * Outcome counters ("o") partition received packets: every packet a
 * worker receives ends in exactly one of them, so
 * rx == sum(outcomes) always holds. Event counters ("e") describe how a
 * packet was handled on its way (a flow was created, a fragment matched)
 * and may count a packet several times or not at all; the worker's own
 * work (tx, busy_cycles, cycles) is counted as events too: it is no
 * packet's outcome.
 */

#include <stdint.h>

#define LB_STATS_WORKER(X) \
	X(FWD,               o, "fwd",               "forwarded to a member (destination MAC rewritten)") \
	X(TO_MASTER,         o, "to_master",         "handed to the master lcore (ARP it must see, traffic to an own address)") \
	X(ICMP_ECHO_REPLY,   o, "icmp_echo_reply",   "ICMP or ICMPv6 echo request to a VIP answered") \
	X(ARP_REPLY_OUT,     o, "arp_reply_out",     "ARP request for a VIP (while active) or own address answered in place") \
	X(NDP_REPLY_OUT,     o, "ndp_reply_out",     "IPv6 Neighbor Solicitation for a VIP (while active), or for the ecmp next hop, answered in place") \
	X(DROP_NDP_BAD,      o, "drop_ndp_bad",      "Neighbor Solicitation failing RFC 4861's checks (hop limit, code, length, checksum, options, DAD form)") \
	X(DROP_NDP_OTHER,    o, "drop_ndp_other",    "Neighbor Discovery not answered: a solicitation for an address not ours (or a VIP while standby), advertisements, router messages and redirects (ignored)") \
	X(DROP_ARP_BAD,      o, "drop_arp_bad",      "ARP with an unknown opcode, or a multicast or zero sender MAC") \
	X(DROP_ARP_POLICED,  o, "drop_arp_policed",  "ARP for the master over dataplane.arp_pps (per worker and sender class)") \
	X(DROP_OWN_POLICED,  o, "drop_own_policed",  "packet to an own address from anyone but a member, router or sync peer, over dataplane.exception_pps") \
	X(DROP_MEMBER_POLICED, o, "drop_member_policed", "a member's answer to a health check (its address and MAC, to a check socket), over dataplane.member_pps") \
	X(DROP_ROUTER_POLICED, o, "drop_router_policed", "packet to an own address from a gateway or high_availability router at TTL 255 (BGP, BFD), over dataplane.router_pps") \
	X(DROP_PEER_POLICED, o, "drop_peer_policed", "packet to an own address from a sync peer at TTL 255, over dataplane.peer_pps") \
	X(DROP_TRUNC_ETH,    o, "drop_truncated_eth", "frame shorter than an Ethernet header") \
	X(DROP_HDR_SPLIT,    o, "drop_header_split", "headers not contiguous in the first mbuf segment") \
	X(DROP_OVERSIZE,     o, "drop_oversize",     "frame longer than its port's mtu allows (with the Ethernet header and the port's tag), or an IP packet longer than the mtu of the member's port") \
	X(DROP_TRUNC_VLAN,   o, "drop_truncated_vlan", "frame ends inside the 802.1Q tag") \
	X(DROP_VLAN_NESTED,  o, "drop_vlan_nested",  "more than one VLAN tag (QinQ)") \
	X(DROP_VLAN_MISMATCH, o, "drop_vlan_mismatch", "VLAN tag does not match the port's vlan") \
	X(DROP_ETHERTYPE,    o, "drop_ethertype",    "EtherType neither IPv4, ARP nor IPv6") \
	X(DROP_NOT_FOR_US,   o, "drop_not_for_us",   "unicast frame for another MAC address") \
	X(DROP_L2_MULTICAST, o, "drop_l2_multicast", "multicast or broadcast frame that is not ARP") \
	X(DROP_TRUNC_ARP,    o, "drop_truncated_arp", "ARP packet shorter than 28 bytes or not Ethernet/IPv4") \
	X(DROP_TRUNC_IP,     o, "drop_truncated_ip", "frame ends inside the IPv4 header") \
	X(DROP_IP_VERSION,   o, "drop_ip_version",   "IP version field is not 4 (6 for IPv6)") \
	X(DROP_IP_IHL,       o, "drop_ip_ihl",       "IPv4 header length under 20 bytes") \
	X(DROP_IP_LENGTH,    o, "drop_ip_length",    "IPv4 total length shorter than its header or longer than the frame") \
	X(DROP_IP_SRC,       o, "drop_ip_src",       "source address is 0/8, 127/8, multicast or broadcast") \
	X(DROP_IP_DST_BCAST, o, "drop_ip_broadcast", "destination is multicast or broadcast") \
	X(DROP_IP_DST_RESERVED, o, "drop_ip_dst_reserved", "destination is 0/8 or 127/8") \
	X(DROP_TRUNC_IP6,    o, "drop_truncated_ip6", "frame ends inside the IPv6 header") \
	X(DROP_IP6_LENGTH,   o, "drop_ip6_length",   "IPv6 payload length 0 (a jumbogram) or longer than the frame") \
	X(DROP_IP6_SRC,      o, "drop_ip6_src",      "IPv6 source is multicast, loopback or IPv4-mapped") \
	X(DROP_IP6_DST,      o, "drop_ip6_dst",      "IPv6 destination is unspecified, loopback or IPv4-mapped") \
	X(DROP_IP6_EXT,      o, "drop_ip6_ext",      "IPv6 extension header truncated or malformed: hop-by-hop not first, a routing header with segments left, a second fragment header, a non-last fragment not a multiple of 8 bytes, a fragment ending past 65535 bytes") \
	X(DROP_IP6_EXT_CHAIN, o, "drop_ip6_ext_chain", "more IPv6 extension headers than a packet to a balancer has any need for (4)") \
	X(DROP_UDP6_CSUM0,   o, "drop_udp6_zero_checksum", "UDP over IPv6 with checksum 0 (forbidden: RFC 8200 8.1)") \
	X(DROP_TRUNC_L4,     o, "drop_truncated_l4", "IP payload shorter than the TCP/UDP/ICMP header") \
	X(DROP_TCP_HDR,      o, "drop_tcp_header",   "TCP data offset under 5 or past the IP payload") \
	X(DROP_UDP_LEN,      o, "drop_udp_length",   "UDP length field under 8 or past the IP payload") \
	X(DROP_NO_VIP,       o, "drop_no_vip",       "destination is neither a VIP nor an own address") \
	X(DROP_IP_PROTO,     o, "drop_ip_proto",     "protocol to a VIP is not TCP, UDP or ICMP") \
	X(DROP_NO_SERVICE,   o, "drop_no_service",   "no service on this VIP, protocol and port") \
	X(DROP_NO_MEMBER,    o, "drop_no_member",    "service has no usable member") \
	X(DROP_MEMBER_UNRESOLVED, o, "drop_member_unresolved", "existing connection of a member whose MAC is not known yet (just started or added): waits, no entry made") \
	X(DROP_MEMBER_UNUSABLE, o, "drop_member_unusable", "the member this packet must go to (source-port owner, or where its first fragment went) is disabled, gone or without MAC") \
	X(DROP_VRRP,         o, "drop_vrrp",         "VRRP advertisement (mode vrrp) from outside the port's subnet or over dataplane.vrrp_pps (per sync peer; shared by other sources)") \
	X(DROP_STANDBY,      o, "drop_standby",      "packet for a VIP while this balancer is standby") \
	X(DROP_ICMP,         o, "drop_icmp",         "ICMP or ICMPv6 to a VIP that is neither echo nor an error about a VIP flow") \
	X(DROP_MASTER_FULL,  o, "drop_master_ring_full", "master lcore queue of own-address traffic from anyone else full") \
	X(DROP_MASTER_PRIO_FULL, o, "drop_master_prio_full", "master lcore ARP queue full") \
	X(DROP_MASTER_CTRL_FULL, o, "drop_master_ctrl_full", "master lcore queue of the trusted classes (members, routers, sync peers, VRRP) full") \
	X(DROP_FRAG_TIMEOUT, o, "drop_frag_timeout", "later fragment whose first fragment never came (waited frag_hold_ms)") \
	X(DROP_FRAG_HOLD_FULL, o, "drop_frag_hold_full", "later fragment before its first, and the waiting room full") \
	X(DROP_FRAG_MEMORY_FULL, o, "drop_frag_memory_full", "first fragment, and no free slot to remember its member (its datagram would be split)") \
	X(DROP_FRAG6_TIMEOUT, o, "drop_frag6_timeout", "IPv6 later fragment whose first fragment never came (waited frag_hold_ms)") \
	X(DROP_FRAG6_HOLD_FULL, o, "drop_frag6_hold_full", "IPv6 later fragment before its first, and the IPv6 waiting room full") \
	X(DROP_FRAG6_MEMORY_FULL, o, "drop_frag6_memory_full", "IPv6 first fragment, and no free slot to remember its member (its datagram would be split)") \
	X(DROP_FRAG6_FIRST_SHORT, o, "drop_frag6_first_short", "IPv6 first fragment (offset 0, more to come) without the whole header chain up to the TCP/UDP/ICMPv6 header (RFC 7112): no ports to balance its datagram by") \
	X(FLOW_NEW,          e, "flow_new",          "flow entry created by a SYN or first UDP datagram") \
	X(FLOW_MIDSTREAM,    e, "flow_midstream",    "flow entry created from a packet without SYN (consistent hash)") \
	X(FLOW_TABLE_FULL,   e, "flow_table_full",   "flow table full of confirmed flows: new flow balanced statelessly (refused)") \
	X(FLOW_EVICTED,      e, "flow_evicted",      "provisional flow entry evicted to make room for a new flow") \
	X(FLOW_PRESSURE,     e, "flow_pressure",     "new wrr or wlc flow placed by the consistent hash: the worker's table was evicting, and a lost entry must not move the flow") \
	X(FLOW_GRACE_FULL,   e, "flow_grace_full",   "new flow balanced statelessly: the slots of deleted flows still wait for a worker's quiescent state") \
	X(FLOW_RESCHEDULED,  e, "flow_rescheduled",  "flow moved off a member that went down, was disabled or removed") \
	X(FLOW_EXPIRED,      e, "flow_expired",      "flow entry aged out") \
	X(FLOW_REUSED,       e, "flow_reused",       "SYN on a closing flow: scheduled as a new connection") \
	X(FLOW_PEER,         e, "flow_peer",         "new wrr or wlc entry given the member of the same flow in another worker's table (its fragmented datagrams hashed elsewhere)") \
	X(FLOW_TABLE_ERROR,  e, "flow_table_errors", "flow entries found without their key when deleted (a bookkeeping fault: cleared, nothing freed twice; should stay 0)") \
	X(STATELESS,         e, "stateless",         "balanced by consistent hash without a flow entry") \
	X(SOURCE_PORT,       e, "source_port_range", "sent to the member owning the destination port range") \
	X(FRAG_FIRST,        e, "frag_first",        "first fragment: member remembered") \
	X(FRAG_HIT,          e, "frag_hit",          "later fragment sent where its first fragment went") \
	X(FRAG_HELD,         e, "frag_held",         "later fragment that came before its first fragment's decision: waited") \
	X(FRAG_EVICTED,      e, "frag_evicted",      "first fragment remembered in the place of the oldest unconfirmed one (none of its later fragments had come) of a full bucket") \
	X(FRAG6_FIRST,       e, "frag6_first",       "IPv6 first fragment: member remembered") \
	X(FRAG6_HIT,         e, "frag6_hit",         "IPv6 later fragment sent where its first fragment went") \
	X(FRAG6_HELD,        e, "frag6_held",        "IPv6 later fragment that came before its first fragment's decision: waited") \
	X(FRAG6_EVICTED,     e, "frag6_evicted",     "IPv6 first fragment remembered in the place of the oldest unconfirmed one of a full bucket") \
	X(VRRP_IN,           e, "vrrp_in",           "VRRP advertisement handed to the master for the exception interface (mode vrrp)") \
	X(VRRP_PEER_IN,      e, "vrrp_peer_in",      "of vrrp_in: adverts of a sync peer (policed apart from other sources)") \
	X(IP_OPTIONS,        e, "ip_options",        "IPv4 header with options (forwarded unchanged)") \
	X(VLAN_TAGGED,       e, "vlan_tagged",       "frame carried one 802.1Q tag") \
	X(IPV6,              e, "ipv6",              "IPv6 packets received (parsed whole; the other counters count them as IPv4's)") \
	X(ICMP_ERROR,        e, "icmp_error",        "ICMP error forwarded to the member owning the inner flow") \
	X(TX_DROP,           e, "tx_drop",           "packet the port did not accept (freed)") \
	X(TX_NO_HEADROOM,    e, "tx_no_headroom",    "no room to add the output port's VLAN tag (freed)") \
	X(MASTER_TX,         e, "master_tx",         "packet sent on behalf of the master lcore") \
	X(SYNC_QUEUED,       e, "sync_queued",       "flow (or persistence record) a peer could not compute, handed to the master for flow sync") \
	X(SYNC_RING_FULL,    e, "sync_ring_full",    "flow for sync not handed over: the master's sync queue was full") \
	X(SYNC_INSTALLED,    e, "sync_installed",    "flow a peer announced, installed (new, or replacing a guess)") \
	X(SYNC_INSTALL_FULL, e, "sync_install_full", "flow a peer announced, not installed: the table is full of confirmed flows") \
	X(SYNC_HOME_HIT,     e, "sync_home_hit",     "packet without an entry here whose synced flow another worker's table held") \
	X(SYNC_REFRESHED,    e, "sync_refreshed",    "learned flow a peer announced again: its copy follows the peer (member, lifetime)") \
	X(SYNC_OWNED,        e, "sync_owned",        "flow a peer announced that this balancer carries itself: left as it is (a peer never extends our flows)") \
	X(SYNC_CLOSED,       e, "sync_closed",       "flow a peer announced established that is closing (or closed) here: not brought back") \
	X(SYNC_ENDED,        e, "sync_ended",        "learned flow closed: its peer announced its end, or another worker saw it end") \
	X(SYNC_HANDOFF,      e, "sync_handoff",      "learned copy removed: another worker of this balancer took the flow (one entry per flow)") \
	X(FLOWS_FLUSHED,     e, "flows_flushed",     "flow entries removed by a flows.flush request") \
	X(IDLE_WAIT,         e, "idle_waits",        "times an idle worker slept or waited for an RX interrupt (dataplane.idle)") \
	X(IDLE_RX_WAKE,      e, "idle_rx_wakes",     "RX-interrupt waits that a packet ended (the rest ran to idle_sleep_us)") \
	X(IDLE_SPIN_HIT,     e, "idle_spin_hits",    "idle interrupt: packets found while polling on after the last ones (dataplane.idle_spin_us), each a wait and its wake-up saved") \
	X(IDLE_SPIN_MISS,    e, "idle_spin_misses",  "idle interrupt: packets a wait met that came within dataplane.idle_spin_us of the last ones; each doubles the spin") \
	X(TX,                e, "tx",                "packets the ports accepted for sending (forwarded, answered, the master's)") \
	X(BUSY_CYCLES,       e, "busy_cycles",       "TSC ticks of worker loop iterations that received or sent packets") \
	X(CYCLES,            e, "cycles",            "TSC ticks the worker loop has run (busy, polling empty queues or asleep)")

#define LB_STATS_MASTER(X) \
	X(ARP_REQUEST_IN,    e, "arp_request_in",    "ARP requests received") \
	X(ARP_IGNORED,       e, "arp_ignored",       "ARP requests for addresses we do not own") \
	X(ARP_REPLY_IN,      e, "arp_reply_in",      "ARP replies received") \
	X(ARP_REQUEST_OUT,   e, "arp_request_out",   "ARP requests sent to resolve members") \
	X(GARP_OUT,          e, "garp_out",          "gratuitous ARP sent for VIPs") \
	X(UNSOL_NA_OUT,      e, "unsolicited_na_out", "unsolicited Neighbor Advertisements sent for IPv6 VIPs (the gratuitous ARP of IPv6)") \
	X(NDP_SOLICIT_OUT,   e, "ndp_solicit_out",   "Neighbor Solicitations sent to resolve IPv6 members") \
	X(NDP_ADVERT_IN,     e, "ndp_advert_in",     "Neighbor Advertisements received (the workers hand over those to an own address or for a member or gateway)") \
	X(NDP_BAD,           e, "ndp_bad",           "Neighbor Discovery messages handed over that failed RFC 4861's checks") \
	X(NEIGH_RESOLVED,    e, "neigh_resolved",    "member MACs learnt or changed") \
	X(NEIGH_LOST,        e, "neigh_lost",        "members that never answered ARP (not selected until they do)") \
	X(NEIGH_STALE,       e, "neigh_stale",       "member ARP refreshes unanswered: last MAC kept (stale)") \
	X(NEIGH_FAILED,      e, "neigh_failed",      "stale members failed after arp.stale_retries unanswered refreshes, no health check covering them") \
	X(ARP_BAD,           e, "arp_bad",           "ARP packets with an unsupported opcode or sender (the workers drop these first)") \
	X(KERNEL_RX,         e, "kernel_rx",         "packets passed to the exception interface") \
	X(KERNEL_TX,         e, "kernel_tx",         "packets from the exception interface sent on a port") \
	X(KERNEL_DROP,       e, "kernel_drop",       "exception path packets dropped (no port, queue full)") \
	X(OWN_DROP,          e, "own_drop",          "packets to an own address dropped (no exception interface)") \
	X(TX_RING_FULL,      e, "tx_ring_full",      "master packets dropped: worker queue full") \
	X(ALLOC_FAIL,        e, "alloc_fail",        "mbuf allocation failures on the master") \
	X(SYNC_MSGS_OUT,     e, "sync_msgs_out",     "flow sync messages sent (to each peer counted once)") \
	X(SYNC_FLOWS_OUT,    e, "sync_flows_out",    "flow sync records sent (flows and persistence records)") \
	X(SYNC_SEND_FAIL,    e, "sync_send_fail",    "flow sync messages the kernel refused to send") \
	X(SYNC_STALE,        e, "sync_stale",        "flows for sync whose member changed before the master sent them (skipped)") \
	X(SYNC_MSGS_IN,      e, "sync_msgs_in",      "flow sync messages accepted from peers") \
	X(SYNC_FLOWS_IN,     e, "sync_flows_in",     "flow sync records accepted from peers") \
	X(SYNC_FLOWS_ACCEPTED, e, "sync_flows_accepted", "synced flows handed to a worker to install (or persistence records stored)") \
	X(SYNC_UNKNOWN,      e, "sync_unknown",      "synced records naming a service or member this balancer does not have") \
	X(SYNC_PERSIST_DRAINING, e, "sync_persist_draining", "persistence records a peer announced for a member draining here, not stored: drain renews no record") \
	X(SYNC_IN_RING_FULL, e, "sync_install_ring_full", "synced flows not installed: the worker's queue was full") \
	X(SYNC_DROP_SOURCE,  e, "sync_drop_source",  "flow sync messages dropped: not from a configured peer, or not sent on the link (TTL not 255)") \
	X(SYNC_DROP_ID,      e, "sync_drop_id",      "flow sync messages dropped: another sync_id") \
	X(SYNC_DROP_MALFORMED, e, "sync_drop_malformed", "flow sync messages dropped: malformed (length, magic, version, type, records)") \
	X(SYNC_DROP_KEY,     e, "sync_drop_key",     "flow sync messages dropped: made with a key id this balancer does not hold") \
	X(SYNC_DROP_AUTH,    e, "sync_drop_auth",    "flow sync messages dropped: the MAC is wrong (another key, or altered)") \
	X(SYNC_DROP_REPLAY,  e, "sync_drop_replay",  "flow sync messages dropped: authentic but seen before (replayed) or older than the replay window") \
	X(SYNC_DROP_MAC_ADDR, e, "sync_drop_mac_address", "flow sync messages dropped: from a peer's address but not from its resolved MAC address (or the peer's MAC is not known yet)") \
	X(SYNC_DROP_BULK_RATE, e, "sync_drop_bulk_rate", "bulk requests dropped: a peer asked again too soon after the last one served") \
	X(SYNC_DROP_BULK_END, e, "sync_drop_bulk_end", "bulk ends dropped: no request of ours outstanding, another request's nonce, or already answered") \
	X(SYNC_BULK_TIMEOUT, e, "sync_bulk_timeout", "bulk syncs at start that ended at bulk_wait_ms with answers missing") \
	X(SYNC_BULK_SENT,    e, "sync_bulk_sent",    "bulk syncs answered (a starting peer's request: every flow to sync, then the end)") \
	X(SNAPSHOT_PUBLISHED, e, "snapshot_published", "configuration snapshots published to workers") \
	X(SNAPSHOT_FREED,    e, "snapshot_freed",    "old snapshots freed after every worker passed a quiescent state")

enum lb_stat_worker {
#define LB_STAT_ENUM(id, kind, name, help) LB_STAT_##id,
	LB_STATS_WORKER(LB_STAT_ENUM)
	LB_STAT_WORKER_MAX
};

enum lb_stat_master {
	LB_STATS_MASTER(LB_STAT_ENUM)
	LB_STAT_MASTER_MAX
#undef LB_STAT_ENUM
};

/** Description of one counter. */
struct lb_stat_desc {
	const char *name;  /**< snake_case name, used in telemetry and RPC */
	const char *help;  /**< one-line description for people */
	char kind;         /**< 'o' outcome (partitions rx), 'e' event */
};

/** Descriptions of the worker counters, indexed by enum lb_stat_worker. */
extern const struct lb_stat_desc lb_stats_worker_desc[LB_STAT_WORKER_MAX];
/** Descriptions of the master counters, indexed by enum lb_stat_master. */
extern const struct lb_stat_desc lb_stats_master_desc[LB_STAT_MASTER_MAX];

/**
 * Find a worker counter by name.
 *
 * @return
 *   The counter index, or -ENOENT.
 */
int lb_stats_worker_find(const char *name);

#endif /* LB_STATS_H */
