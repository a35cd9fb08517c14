/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The worker: its set-up and teardown, the lcore loop, and a burst's
 * way through the stages (process_burst). The stages live in files of
 * their own; dp_internal.h says which.
 */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_interrupts.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "dp_internal.h"

int
lb_dp_worker_init(struct lb_worker *w, const struct lb_dp_params *p)
{
	unsigned int i;

	if (p->n_rxq > LB_MAX_PORTS || p->n_ports > LB_MAX_PORTS ||
	    p->snap == NULL || p->quit == NULL)
		return -EINVAL;
	memset(w, 0, sizeof(*w));
	w->snap = p->snap;
	w->qsbr = p->qsbr;
	w->qsbr_id = p->qsbr_id;
	w->flows = p->flows;
	w->flows6 = p->flows6;
	w->to_master_prio = p->to_master_prio;
	w->to_master_ctrl = p->to_master_ctrl;
	w->to_master = p->to_master;
	w->from_master = p->from_master;
	w->expect = p->expect;
	w->sync_out = p->sync_out;
	w->sync_in = p->sync_in;
	w->idle_sleep_us = p->idle_sleep_us;
	w->idle = p->idle;
	w->wake_fd = -1;
	if (w->idle != LB_DP_IDLE_POLL && w->idle_sleep_us == 0)
		w->idle = LB_DP_IDLE_POLL;   /* nothing to wait for */
	w->frag_hold_ms = p->frag_hold_ms != 0 ? p->frag_hold_ms :
		LB_FRAG_HOLD_MS;
	w->frag_ttl_ms = p->frag_ttl_ms != 0 ? p->frag_ttl_ms : LB_FRAG_TTL_MS;
	w->frag_seed = p->frag_seed != 0 ? p->frag_seed : LB_HASH_SEED;
	w->quit = p->quit;
	w->txq = p->txq;
	w->n_rxq = (uint16_t)p->n_rxq;
	w->n_ports = (uint16_t)p->n_ports;
	if (p->n_rxq > 0)   /* a worker without a queue may pass no array */
		memcpy(w->rxq, p->rxq, p->n_rxq * sizeof(*w->rxq));
	memset(w->port_idx, 0xff, sizeof(w->port_idx));
	for (i = 0; i < p->n_ports; i++) {
		if (p->port_ids[i] >= RTE_MAX_ETHPORTS)
			return -EINVAL;
		w->port_ids[i] = p->port_ids[i];
		w->port_idx[p->port_ids[i]] = (uint8_t)i;
	}
	w->tsc_per_ms = rte_get_tsc_hz() / 1000;
	if (w->tsc_per_ms == 0)
		w->tsc_per_ms = 1;
	/* the spin starts at 0: traffic makes it grow (lb_dp_idle_due()) */
	w->idle_spin_tsc = 0;
	w->idle_spin_max = w->idle == LB_DP_IDLE_INTERRUPT ?
		(uint64_t)p->idle_spin_us * w->tsc_per_ms / 1000 : 0;
	w->idle_spin_start = RTE_MIN(w->idle_spin_max,
		(uint64_t)LB_IDLE_SPIN_START_US * w->tsc_per_ms / 1000);
	if (dp_police_init(w, p) != 0)
		return -EINVAL;
	/* alone until told otherwise */
	w->self[0] = w;
	w->peers = w->self;
	w->n_peers = 1;
	lb_dp_clock(w);
	return 0;
}

void
lb_dp_set_peers(struct lb_worker *w, struct lb_worker *const *peers,
		unsigned int n)
{
	unsigned int i;

	w->peers = peers;
	w->n_peers = (uint16_t)n;
	w->peer_idx = 0;
	for (i = 0; i < n; i++)
		if (peers[i] == w)
			w->peer_idx = (uint16_t)i;
}

/* Seconds come from the same 64-bit count of milliseconds as now, so
 * they do not jump when now wraps (every 49 days). */
void
lb_dp_clock(struct lb_worker *w)
{
	uint64_t ms;

	w->tsc = rte_rdtsc();
	ms = w->tsc / w->tsc_per_ms;
	w->now = (uint32_t)ms;
	w->now_s = (uint32_t)(ms / 1000);
}

/* Work came after a wait (interrupt mode with a spin): the spin grows if
 * a longer one would have caught it, else shrinks (lb_dp_idle_due()). */
static void
idle_spin_adapt(struct lb_worker *w)
{
	if (w->tsc - w->idle_since <= w->idle_spin_max) {
		w->idle_spin_tsc = RTE_MIN(w->idle_spin_max,
			w->idle_spin_tsc == 0 ? w->idle_spin_start :
			w->idle_spin_tsc * 2);
		w->stats[LB_STAT_IDLE_SPIN_MISS]++;
	} else {
		w->idle_spin_tsc /= 2;
		if (w->idle_spin_tsc < w->idle_spin_start)
			w->idle_spin_tsc = 0;
	}
}

bool
lb_dp_idle_due(struct lb_worker *w, unsigned int work)
{
	if (work > 0) {
		if (w->idle_waited) {
			if (w->idle_spin_max > 0)
				idle_spin_adapt(w);
		} else if (w->idle == LB_DP_IDLE_INTERRUPT &&
			   w->idle_polls > 0) {
			/* a packet the spin caught: no wait, no wake-up */
			w->stats[LB_STAT_IDLE_SPIN_HIT]++;
		}
		w->idle_waited = 0;
		w->idle_polls = 0;
		w->idle_since = w->tsc;
		return false;
	}
	if (w->idle == LB_DP_IDLE_POLL)
		return false;
	if (++w->idle_polls < (w->idle == LB_DP_IDLE_INTERRUPT ?
			       LB_IDLE_POLLS_INTR : LB_IDLE_POLLS))
		return false;
	/* in time, not polls: an empty poll costs what the PMD makes it
	 * (net_tap: a load, or a system call) */
	return w->idle != LB_DP_IDLE_INTERRUPT ||
		w->tsc - w->idle_since >= w->idle_spin_tsc;
}

void
lb_dp_idle_waited(struct lb_worker *w)
{
	w->idle_polls = 0;
	w->idle_waited = 1;
}

/*
 * What is decided in arrival order, after the packets before it in its
 * burst (which may have made what it needs): a later fragment follows
 * its first, an ICMP error finds its flow, a first fragment's decision
 * is remembered for its later ones. Sending changes none of this, so it
 * is all done before the transmit stage.
 */
static void
process_in_order(struct lb_worker *w, const struct lb_snapshot *s,
		 unsigned int port, struct rte_mbuf **pkts,
		 struct dp_burst *b, uint16_t n)
{
	struct dp_pkt *d = b->d;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (unlikely(d[i].act == ACT_FRAG))
			dp_frag_later(w, s, port, pkts[i], &d[i]);
		else if (unlikely(d[i].act == ACT_ICMP_FLOW))
			dp_icmp_flow(w, s, &d[i]);
		else if (unlikely(d[i].act == ACT_ICMP_FLOW6))
			dp_icmp_flow6(w, s, &d[i], &b->keys6[i]);
		else if (unlikely(d[i].act == ACT_FRAG6))
			dp_frag6_later(w, s, port, pkts[i], &d[i],
				       &b->keys6[i]);
		else if (unlikely(d[i].frag_first && d[i].act == ACT_FWD)) {
			/* its later fragments could not follow it: the
			 * member would only hold a partial datagram */
			if (d[i].frag_first == DP_FRAG_FIRST4) {
				if (!dp_frag_remember(w, s, &d[i]))
					drop(&d[i],
					     LB_STAT_DROP_FRAG_MEMORY_FULL);
			} else if (!dp_frag6_remember(w, s, &d[i],
						      &b->keys6[i])) {
				drop(&d[i], LB_STAT_DROP_FRAG6_MEMORY_FULL);
			}
		}
	}
}

/*
 * A burst in stages, each a loop over it in its own file: classify
 * every packet (prefetching the next ones); look up all flow keys in
 * one bulk call so their cache misses overlap, and decide; take
 * fragments and ICMP errors in arrival order; send in arrival order.
 */
static uint16_t
process_burst(struct lb_worker *w, const struct lb_snapshot *s,
	      unsigned int port, struct rte_mbuf **pkts, uint16_t n)
{
	struct dp_burst b;
	uint16_t sent;

	dp_classify_burst(w, s, port, pkts, n, &b);
	if (b.nf > 0)
		dp_decide_burst(w, s, &b);
	if (unlikely(b.nf6 > 0))
		dp_decide6_burst(w, s, &b);
	if (unlikely(b.in_order))
		process_in_order(w, s, port, pkts, &b, n);
	sent = dp_tx_burst(w, s, port, pkts, b.d, n);
	if (unlikely(w->n_sync != 0))
		lb_dp_sync_flush(w);
	return sent;
}

void
lb_dp_worker_fini(struct lb_worker *w)
{
	for (; w->held_head != w->held_tail; w->held_head++) {
		struct lb_frag_held *h = &w->held[w->held_head % LB_FRAG_HOLD];

		if (h->m != NULL) {
			w->stats[LB_STAT_DROP_FRAG_TIMEOUT]++;
			rte_pktmbuf_free(h->m);
			h->m = NULL;
		}
	}
	w->held_live = 0;
	w->held_scan = w->held_head;
	dp_frag6_fini(w);
}

uint16_t
lb_dp_process(struct lb_worker *w, const struct lb_snapshot *s,
	      unsigned int port, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t done = 0, sent = 0;

	while (done < n) {
		uint16_t k = RTE_MIN((uint16_t)(n - done), (uint16_t)LB_BURST);

		sent += process_burst(w, s, port, pkts + done, k);
		done += k;
	}
	/* fragments that waited for a first fragment of this burst */
	if (unlikely((w->held_live | w->held6_live) > 0))
		lb_dp_frag_release(w, s);
	return sent;
}

RTE_LOG_REGISTER(lb_dp_logtype, dsrlb.dp, INFO);
#define DP_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, lb_dp_logtype, "dp: " fmt "\n", \
		##__VA_ARGS__)

/* The RX interrupts of the worker's queues, in this thread's epoll set.
 * False (logged) if a port cannot give them: the worker sleeps. */
static bool
idle_intr_setup(struct lb_worker *w)
{
	unsigned int q;
	int rc;

	for (q = 0; q < w->n_rxq; q++) {
		const struct lb_dp_rxq *rq = &w->rxq[q];

		rc = rte_eth_dev_rx_intr_ctl_q(w->port_ids[rq->port],
					       rq->queue, RTE_EPOLL_PER_THREAD,
					       RTE_INTR_EVENT_ADD, NULL);
		if (rc != 0) {
			DP_LOG(WARNING, "lcore %u: port %u queue %u gives no RX interrupt (%s): sleeping %u us when idle instead",
			       rte_lcore_id(), w->port_ids[rq->port],
			       rq->queue, rte_strerror(-rc), w->idle_sleep_us);
			return false;
		}
	}
	/* the master's frames for this worker to send wake it too */
	w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->wake_ev = (struct rte_epoll_event){ .epdata.event = EPOLLIN };
	if (w->wake_fd >= 0 &&
	    rte_epoll_ctl(RTE_EPOLL_PER_THREAD, EPOLL_CTL_ADD, w->wake_fd,
			  &w->wake_ev) != 0) {
		close(w->wake_fd);
		w->wake_fd = -1;
	}
	if (w->wake_fd < 0)
		DP_LOG(WARNING, "lcore %u: no wake-up event (%s): the master's frames wait up to %u us",
		       rte_lcore_id(), strerror(errno), w->idle_sleep_us);
	return true;
}

void
lb_dp_wake(struct lb_worker *w)
{
	static const uint64_t one = 1;

	/* the ring's enqueue before the look at waiting (pairs with the
	 * worker's store of waiting before its look at the ring) */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&w->waiting, __ATOMIC_RELAXED) &&
	    w->wake_fd >= 0 && write(w->wake_fd, &one, sizeof(one)) < 0)
		return;   /* the counter is full: it is awake already */
}

/* Wait until a packet comes to one of the queues (its interrupt) or the
 * longest wait passes. The interrupt is armed only for the wait: while
 * busy, a worker polls. */
static void
idle_intr_wait(struct lb_worker *w)
{
	struct rte_epoll_event ev[LB_MAX_PORTS + 1];
	int timeout_ms = (int)((w->idle_sleep_us + 999) / 1000), n, i;
	unsigned int q;
	uint64_t v;

	for (q = 0; q < w->n_rxq; q++)
		rte_eth_dev_rx_intr_enable(w->port_ids[w->rxq[q].port],
					   w->rxq[q].queue);
	__atomic_store_n(&w->waiting, 1, __ATOMIC_SEQ_CST);
	/* frames the master queued before it could see us waiting */
	if (w->from_master == NULL || rte_ring_count(w->from_master) == 0)
		n = rte_epoll_wait(RTE_EPOLL_PER_THREAD, ev,
				   (int)RTE_DIM(ev),
				   timeout_ms > 0 ? timeout_ms : 1);
	else
		n = 0;
	__atomic_store_n(&w->waiting, 0, __ATOMIC_RELAXED);
	if (w->wake_fd >= 0 && read(w->wake_fd, &v, sizeof(v)) < 0)
		v = 0;   /* nothing written: a packet or the time woke us */
	for (q = 0; q < w->n_rxq; q++)
		rte_eth_dev_rx_intr_disable(w->port_ids[w->rxq[q].port],
					    w->rxq[q].queue);
	/* a packet, not the master's wake-up nor the time, ended it */
	for (i = 0; i < n; i++)
		if (ev[i].fd != w->wake_fd) {
			w->stats[LB_STAT_IDLE_RX_WAKE]++;
			break;
		}
}

void
lb_dp_io_signals(sigset_t *set)
{
	int sig;

	sigemptyset(set);
	sigaddset(set, SIGIO);
	for (sig = SIGRTMIN + 1; sig <= SIGRTMAX; sig++)
		sigaddset(set, sig);
}

/* The PMDs' I/O signals (lb_dp_io_signals()) are this thread's to take:
 * often it is running and sees the queue marked at once; nobody else is
 * woken for a packet. */
static void
io_signal_take(void)
{
	sigset_t io;

	lb_dp_io_signals(&io);
	pthread_sigmask(SIG_UNBLOCK, &io, NULL);
}

int
lb_dp_main_loop(void *arg)
{
	struct lb_worker *w = arg;
	struct rte_mbuf *pkts[LB_BURST];
	bool busy = false, intr;
	uint64_t last;

	io_signal_take();
	if (w->qsbr != NULL) {
		rte_rcu_qsbr_thread_register(w->qsbr, w->qsbr_id);
		rte_rcu_qsbr_thread_online(w->qsbr, w->qsbr_id);
	}
	intr = w->idle == LB_DP_IDLE_INTERRUPT && idle_intr_setup(w);
	if (w->idle == LB_DP_IDLE_INTERRUPT && !intr)
		w->idle = LB_DP_IDLE_SLEEP;   /* said in the log */
	last = rte_rdtsc();
	w->idle_since = last;
	while (!*w->quit) {
		const struct lb_snapshot *s =
			__atomic_load_n(w->snap, __ATOMIC_ACQUIRE);
		unsigned int q, work = 0;

		/* the previous iteration's ticks, from the clock read that
		 * starts this one: no extra TSC read */
		lb_dp_clock(w);
		w->stats[LB_STAT_CYCLES] += w->tsc - last;
		if (busy)
			w->stats[LB_STAT_BUSY_CYCLES] += w->tsc - last;
		last = w->tsc;
		for (q = 0; q < w->n_rxq; q++) {
			const struct lb_dp_rxq *rq = &w->rxq[q];
			uint16_t n = rte_eth_rx_burst(w->port_ids[rq->port],
						      rq->queue, pkts, LB_BURST);

			if (n == 0)
				continue;
			work += n;
			lb_dp_process(w, s, rq->port, pkts, n);
		}
		work += lb_dp_frag_release(w, s);
		if (unlikely(w->sync_in != NULL))
			work += lb_dp_sync_install(w, s,
						   LB_SYNC_INSTALL_BUDGET);
		work += lb_dp_drain_master(w);
		lb_dp_flush(w);
		busy = work > 0;
		w->stats[LB_STAT_FLOW_EXPIRED] +=
			lb_flow_sweep(w->flows, w->now,
				      lb_flow_sweep_budget(w->flows, w->now,
							   LB_SWEEP_BUDGET));
		lb_dp_flows_flush_step(w, LB_FLUSH_BUDGET);
		w->stats[LB_STAT_FLOW_TABLE_ERROR] = w->flows->errors;
		lb_flow_reclaim(w->flows);
		if (w->flows6 != NULL) {
			w->stats[LB_STAT_FLOW_EXPIRED] +=
				lb_flow_sweep(w->flows6, w->now,
					lb_flow_sweep_budget(w->flows6, w->now,
							     LB_SWEEP_BUDGET));
			w->stats[LB_STAT_FLOW_TABLE_ERROR] +=
				w->flows6->errors;
			lb_flow_reclaim(w->flows6);
		}
		if (w->qsbr != NULL)
			rte_rcu_qsbr_quiescent(w->qsbr, w->qsbr_id);

		if (!lb_dp_idle_due(w, work))
			continue;
		/* about to idle: time to spare, age more (a table a flood
		 * filled empties in idle milliseconds, not at the pace of
		 * the waits) */
		w->stats[LB_STAT_FLOW_EXPIRED] +=
			lb_flow_sweep(w->flows, w->now, LB_SWEEP_IDLE_BUDGET);
		if (w->flows6 != NULL)
			w->stats[LB_STAT_FLOW_EXPIRED] +=
				lb_flow_sweep(w->flows6, w->now,
					      LB_SWEEP_IDLE_BUDGET);
		/* asleep we hold no snapshot: do not delay grace periods */
		if (w->qsbr != NULL)
			rte_rcu_qsbr_thread_offline(w->qsbr, w->qsbr_id);
		w->stats[LB_STAT_IDLE_WAIT]++;
		if (intr)
			idle_intr_wait(w);
		else
			rte_delay_us_sleep(w->idle_sleep_us);
		lb_dp_idle_waited(w);
		if (w->qsbr != NULL)
			rte_rcu_qsbr_thread_online(w->qsbr, w->qsbr_id);
	}
	/* the master has stopped: send what it left for us */
	while (lb_dp_drain_master(w) > 0)
		lb_dp_flush(w);
	if (w->wake_fd >= 0) {
		rte_epoll_ctl(RTE_EPOLL_PER_THREAD, EPOLL_CTL_DEL, w->wake_fd,
			      &w->wake_ev);
		close(w->wake_fd);
		w->wake_fd = -1;
	}
	lb_dp_worker_fini(w);
	if (w->qsbr != NULL) {
		rte_rcu_qsbr_thread_offline(w->qsbr, w->qsbr_id);
		rte_rcu_qsbr_thread_unregister(w->qsbr, w->qsbr_id);
	}
	return 0;
}
