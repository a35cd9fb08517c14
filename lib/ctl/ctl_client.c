/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The clients of the control sockets: bytes read into requests,
 * answers queued and written, each within the bounds of lb_ctl.h;
 * a slot found for a new client (closing another if every one is
 * taken); and lb_ctl_poll(), a pass over all of them.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/sockios.h>

#include "ctl_internal.h"

/* Buffers larger than this are given back once empty. */
#define KEEP_BUFFER 65536
/* Longest line kept: a request, and its "\r\n". */
#define IN_MAX (LB_CTL_MAX_REQUEST + 2)

/* A client with answers in its socket it has not read for this long
 * is not reading them: first to go when a slot is needed. */
#define NOT_READING_MS 1000

/* What a client may be given in a pass, or was given. */
struct share {
	unsigned int requests;
	uint64_t work;
};

static size_t
unsent(const struct ctl_client *c)
{
	return c->out_len - c->out_off;
}

/* Memory a client holds: its buffers. */
static size_t
client_held(const struct ctl_client *c)
{
	return c->in_cap + c->out_cap;
}

/* Back-pressure: its answers wait to be read, its requests wait too. */
static bool
over_cap(const struct ctl_client *c)
{
	return !c->gone && unsent(c) > LB_CTL_MAX_OUTPUT;
}

/* Requests of the client are ready to be answered now. */
static bool
waiting(const struct ctl_client *c)
{
	return (c->backlog || (c->readable && !c->eof)) && !c->closing &&
		!over_cap(c);
}

void
ctl_client_close(struct lb_ctl *ctl, struct ctl_client *c)
{
	epoll_ctl(ctl->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	ctl->st.clients--;
}

/* Watch for what the client's state needs: no EPOLLIN while its input
 * is not read (back-pressure, EOF, closing), which would wake the
 * master for nothing. */
static void
client_watch(struct lb_ctl *ctl, struct ctl_client *c)
{
	struct epoll_event ev = { .data.ptr = c };

	ev.events = (c->eof || c->closing || over_cap(c) ? 0 : EPOLLIN) |
		(unsent(c) > 0 && !c->gone ? EPOLLOUT : 0);
	if (ev.events != c->watched &&
	    epoll_ctl(ctl->ep, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->watched = ev.events;
}

/* The clocks that follow the output: over the cap since when; leaving
 * it restarts the partial-request clock (the client was waiting for
 * us, not stalling). */
static void
client_clocks(struct ctl_client *c, uint64_t now)
{
	if (over_cap(c)) {
		if (c->full_ms == 0)
			c->full_ms = now;
	} else if (c->full_ms != 0) {
		c->full_ms = 0;
		if (c->partial_ms != 0)
			c->partial_ms = now;
	}
}

static bool
queue_reply(struct ctl_client *c, const char *text)
{
	size_t n = strlen(text);

	if (c->gone)
		return true;   /* nobody reads: discarded */
	/* what was sent is dropped only when room is needed: a client
	 * reading slowly does not cost a copy of its backlog per answer */
	if (c->out_len + n + 1 > c->out_cap && c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, unsent(c));
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_len + n + 1 > c->out_cap) {
		size_t cap = c->out_cap == 0 ? 4096 : c->out_cap;
		char *g;

		while (cap < c->out_len + n + 1)
			cap *= 2;
		/* past the cap, few answers are added: no slack */
		if (cap > LB_CTL_MAX_OUTPUT)
			cap = c->out_len + n + 1;
		g = realloc(c->out, cap);
		if (g == NULL)
			return false;
		c->out = g;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, text, n);
	c->out[c->out_len + n] = '\n';
	c->out_len += n + 1;
	return true;
}

/* Send what the socket takes. */
static void
client_write(struct ctl_client *c, uint64_t now)
{
	while (unsent(c) > 0 && !c->gone) {
		ssize_t n = send(c->fd, c->out + c->out_off, unsent(c),
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			c->gone = true;   /* it hung up */
			break;
		}
		c->out_off += (size_t)n;
		c->last_ms = now;
	}
	if (unsent(c) == 0 || c->gone) {
		c->out_off = c->out_len = 0;
		if (c->out_cap > KEEP_BUFFER) {
			free(c->out);
			c->out = NULL;
			c->out_cap = 0;
		}
	}
	client_clocks(c, now);
}

static void
reply_error(struct ctl_client *c, int code, const char *message)
{
	json_t *e = ctl_error_response(NULL, code, message);
	char *r = json_dumps(e, JSON_COMPACT);

	json_decref(e);
	if (r != NULL)
		queue_reply(c, r);
	free(r);
}

/* A line longer than any request may be: say so, read no more, close
 * once that is sent. */
static void
client_oversized(struct lb_ctl *ctl, struct ctl_client *c)
{
	ctl->st.dropped_oversized++;
	reply_error(c, LB_CTL_INVALID_REQUEST, "request larger than 1 MiB");
	c->closing = true;
	c->in_off = c->in_len = c->scanned = 0;
}

/* Answer complete lines of the input buffer while its share (took
 * within limit) and the output cap allow; note whether more are
 * complete (backlog). */
static void
client_requests(struct lb_ctl *ctl, struct ctl_client *c, uint64_t now,
		const struct share *limit, struct share *took)
{
	unsigned int answered = 0, count;
	uint64_t worked = 0, work;
	char *nl;

	c->backlog = false;
	while (!c->closing && took->requests + answered < limit->requests &&
	       took->work + worked < limit->work && !over_cap(c) &&
	       c->in_off < c->in_len) {
		size_t len;
		char *resp;

		if (c->scanned < c->in_off)
			c->scanned = c->in_off;
		nl = memchr(c->in + c->scanned, '\n', c->in_len - c->scanned);
		if (nl == NULL) {
			c->scanned = c->in_len;
			break;
		}
		len = (size_t)(nl - (c->in + c->in_off));
		if (len > 0 && c->in[c->in_off + len - 1] == '\r')
			len--;
		if (len > LB_CTL_MAX_REQUEST) {
			client_oversized(ctl, c);
			break;
		}
		if (len > 0) {
			resp = ctl_handle(ctl, c->in + c->in_off, len, c->readonly,
					  &count, &work, &c->waiting);
			worked += work;
			if (c->waiting) {
				/* not done: the same line again next pass,
				 * nothing after it before */
				c->scanned = c->in_off;
				break;
			}
			answered += count;
			if (resp != NULL && !queue_reply(c, resp))
				c->closing = true;   /* out of memory */
			free(resp);
			c->last_ms = now;
			c->asked = true;
		}
		c->in_off = (size_t)(nl - c->in) + 1;
		c->scanned = c->in_off;
	}
	if (c->in_off == c->in_len) {
		c->in_off = c->in_len = c->scanned = 0;
		if (c->in_cap > KEEP_BUFFER) {
			free(c->in);
			c->in = NULL;
			c->in_cap = 0;
		}
	}
	c->backlog = !c->closing && c->in_len > c->in_off &&
		memchr(c->in + c->scanned, '\n', c->in_len - c->scanned) != NULL;
	/* the stall clock runs from the first byte of the request now
	 * pending: a client making progress, or waiting for us, is never
	 * dropped */
	if (c->in_len == c->in_off || c->backlog)
		c->partial_ms = 0;
	else if (answered > 0 || c->partial_ms == 0)
		c->partial_ms = now;
	client_clocks(c, now);
	ctl->st.requests += answered;
	ctl->st.work += worked;
	took->requests += answered;
	took->work += worked;
}

/* Room to read into: the pending partial line moved to the start, the
 * buffer grown up to IN_MAX. False if it is full: a line longer than
 * any request may be. */
static bool
client_room(struct ctl_client *c)
{
	size_t cap;
	char *g;

	if (c->in_off > 0) {
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->scanned -= c->in_off;
		c->in_off = 0;
	}
	if (c->in_len < c->in_cap)
		return true;
	if (c->in_cap >= IN_MAX)
		return false;
	cap = c->in_cap == 0 ? 4096 : c->in_cap * 2;
	if (cap > IN_MAX)
		cap = IN_MAX;
	g = realloc(c->in, cap);
	if (g == NULL)
		return false;
	c->in = g;
	c->in_cap = cap;
	return true;
}

/*
 * Whether a client reads its answers. What a Unix socket holds for its
 * reader is charged to the writer (SIOCOUTQ, in buffer units, not
 * bytes), so: an empty queue, or a queue smaller than at the last look
 * (our answers only add to it), means the client read; a queue that
 * never empties or shrinks for NOT_READING_MS means it does not. A
 * client that asks and never reads keeps its queue growing until the
 * socket takes no more, so the answers we hold (unsent) are no sign of
 * it before then.
 */
static void
client_reading(struct ctl_client *c, uint64_t now)
{
	int queued = 0;

	if (ioctl(c->fd, SIOCOUTQ, &queued) != 0 || queued < 0)
		queued = 0;
	if (c->read_ms == 0 || queued == 0 ||
	    (uint64_t)queued < c->read_total)
		c->read_ms = now;
	c->read_total = (uint64_t)queued;
}

/* Read and answer, within limit (requests and work; a request is
 * answered while the client is below both, and may take it past them):
 * what is left stays in the socket or the buffer for the next pass. */
static void
client_serve(struct lb_ctl *ctl, struct ctl_client *c, uint64_t now,
	     const struct share *limit, struct share *took)
{
	/* before this pass adds answers: did it read the last ones? */
	client_reading(c, now);
	client_requests(ctl, c, now, limit, took);

	while (took->requests < limit->requests && took->work < limit->work &&
	       !c->backlog && !c->closing && !over_cap(c) && c->readable &&
	       !c->eof) {
		ssize_t n;

		if (!client_room(c)) {
			client_oversized(ctl, c);
			break;
		}
		n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len,
			 MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->readable = false;
			break;
		}
		if (n <= 0) {
			/* the complete requests left are answered, in
			 * turn, then the client is closed */
			c->eof = true;
			c->gone = n < 0;
			c->readable = false;
			break;
		}
		c->in_len += (size_t)n;
		client_requests(ctl, c, now, limit, took);
	}
	client_write(c, now);
}

/* Answers wait in its socket (or with us) now. */
static bool
unread(const struct ctl_client *c)
{
	return unsent(c) > 0 || c->read_total > 0;
}

/* Close a client that is done, or stalled, or idle too long. */
static void
client_expire(struct lb_ctl *ctl, struct ctl_client *c, uint64_t now)
{
	/* a client that hung up had this pass's share of what it sent
	 * before; one that only shut its side down gets every answer */
	if (c->gone || (c->eof && !c->backlog && unsent(c) == 0) ||
	    (c->closing && unsent(c) == 0)) {
		ctl_client_close(ctl, c);
	} else if (c->full_ms != 0 && now > c->full_ms + LB_CTL_STALL_MS) {
		ctl->st.dropped_unread++;
		ctl_client_close(ctl, c);
	} else if (c->partial_ms != 0 && c->full_ms == 0 && !c->eof &&
		   now > c->partial_ms + LB_CTL_STALL_MS) {
		ctl->st.dropped_stalled++;
		ctl_client_close(ctl, c);
	} else if (now > c->last_ms + LB_CTL_IDLE_MS) {
		ctl->st.dropped_idle++;
		ctl_client_close(ctl, c);
	}
}

/* Which clients go first when a slot is needed, and in each class who
 * first (the smaller key):
 *  0 those leaving anyway (hung up, half closed, closing) or holding
 *    the server up (answers over the cap);
 *  1 those with answers they have not read for NOT_READING_MS, and
 *    those stalled on half a request (whatever else they send): by the
 *    time they last read, or began the half request;
 *  2 idle ones that never asked anything, by their last activity;
 *  3 those with answers in flight, read a moment ago: by that moment;
 *  4 idle ones that asked and read, by their last activity;
 *  5 those with a request ready, by their last activity.
 * A client that asks and reads goes only when every other does too. */
static unsigned int
evict_rank(const struct ctl_client *c, uint64_t now, uint64_t *key)
{
	*key = c->last_ms;
	if (c->gone || c->eof || c->closing || over_cap(c))
		return 0;
	if (c->partial_ms != 0) {
		*key = c->partial_ms;
		return 1;
	}
	if (unread(c)) {
		*key = c->read_ms;
		return now > c->read_ms + NOT_READING_MS ? 1 : 3;
	}
	if (waiting(c))
		return 5;
	return c->asked ? 4 : 2;
}

/*
 * Every slot is taken: close the client of the lowest rank that made
 * progress longest ago. It is told why if nothing else is queued for
 * it. A client that asks and reads its answers is closed only when
 * every other one does too.
 */
static struct ctl_client *
evict(struct lb_ctl *ctl, uint64_t now)
{
	static const char why[] = "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32603,\"message\":\"closed to admit a new client: every slot was taken and this one had been inactive longest\"},\"id\":null}\n";
	struct ctl_client *victim = NULL;
	unsigned int i, rank = 0;
	uint64_t vkey = 0;

	for (i = 0; i < LB_CTL_MAX_CLIENTS; i++) {
		struct ctl_client *c = &ctl->clients[i];
		unsigned int r;
		uint64_t key;

		if (c->fd < 0)
			continue;
		client_reading(c, now);
		r = evict_rank(c, now, &key);
		if (victim == NULL || r < rank || (r == rank && key < vkey)) {
			victim = c;
			rank = r;
			vkey = key;
		}
	}
	if (unsent(victim) == 0 && !victim->gone &&
	    send(victim->fd, why, sizeof(why) - 1,
		 MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		(void)0;   /* closing anyway */
	ctl->st.evicted++;
	ctl_client_close(ctl, victim);
	return victim;
}

static void
accept_clients(struct lb_ctl *ctl, const struct ctl_listener *l, uint64_t now,
	       unsigned int *left)
{
	while (*left > 0) {
		int fd = accept4(l->fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct epoll_event ev = { .events = EPOLLIN };
		struct ctl_client *c = NULL;
		unsigned int i;

		if (fd < 0)
			return;
		(*left)--;
		for (i = 0; i < LB_CTL_MAX_CLIENTS && c == NULL; i++)
			if (ctl->clients[i].fd < 0)
				c = &ctl->clients[i];
		if (c == NULL)
			c = evict(ctl, now);
		c->fd = fd;
		c->readonly = l->readonly;
		c->readable = true;   /* its request may be there already */
		c->last_ms = now;
		c->watched = EPOLLIN;
		ctl->st.accepted++;
		ctl->st.clients++;
		ev.data.ptr = c;
		if (epoll_ctl(ctl->ep, EPOLL_CTL_ADD, fd, &ev) != 0)
			ctl_client_close(ctl, c);
	}
}

unsigned int
lb_ctl_poll(struct lb_ctl *ctl, uint64_t now)
{
	struct epoll_event ev[LB_CTL_MAX_CLIENTS + 2];
	unsigned int accepts = LB_CTL_PASS_ACCEPTS, i, k;
	bool connecting[2] = { false, false };
	struct share done = { 0, 0 };
	size_t held = 0;
	int n, e;

	ctl->pass++;
	n = epoll_wait(ctl->ep, ev, (int)(sizeof(ev) / sizeof(ev[0])), 0);
	for (e = 0; e < n; e++) {
		void *p = ev[e].data.ptr;
		struct ctl_client *c = p;

		if (p == &ctl->listeners[0] || p == &ctl->listeners[1]) {
			connecting[p == &ctl->listeners[1]] = true;
			continue;
		}
		if (c->fd < 0)
			continue;
		if (ev[e].events & (EPOLLHUP | EPOLLERR))
			c->gone = true;
		if (ev[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			c->readable = true;
		if (ev[e].events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
			client_write(c, now);
	}
	/* new connections once the batch is applied: a slot given to one
	 * (a client closed for it) gets no event meant for the client it
	 * held, and that client's hang-up, seen, makes it the first to go */
	for (i = 0; i < 2; i++)
		if (connecting[i])
			accept_clients(ctl, &ctl->listeners[i], now, &accepts);
	/* what every client holds: past LB_CTL_MAX_HELD, a client that has
	 * answers still to send gets no more until they are gone (one that
	 * has read everything is served: an administrator gets in) */
	for (i = 0; i < LB_CTL_MAX_CLIENTS; i++)
		if (ctl->clients[i].fd >= 0)
			held += client_held(&ctl->clients[i]);
	/* the clients in turn, from where the last pass stopped, each at
	 * most LB_CTL_CLIENT_REQUESTS and LB_CTL_CLIENT_WORK */
	for (i = 0, k = ctl->next; i < LB_CTL_MAX_CLIENTS;
	     i++, k = (k + 1) % LB_CTL_MAX_CLIENTS) {
		struct ctl_client *c = &ctl->clients[k];
		struct share limit, took = { 0, 0 };
		size_t before;

		if (c->fd < 0 || !waiting(c))
			continue;
		ctl->tight = held > LB_CTL_MAX_HELD;
		if (ctl->tight && unsent(c) > 0) {
			ctl->st.held_back++;
			continue;
		}
		if (done.requests >= LB_CTL_PASS_REQUESTS ||
		    done.work >= LB_CTL_PASS_WORK)
			break;
		if (c->pass != ctl->pass) {
			c->pass = ctl->pass;
			c->served = 0;
			c->worked = 0;
		}
		if (c->served >= LB_CTL_CLIENT_REQUESTS ||
		    c->worked >= LB_CTL_CLIENT_WORK)
			continue;
		limit.requests = LB_CTL_CLIENT_REQUESTS - c->served;
		if (limit.requests > LB_CTL_PASS_REQUESTS - done.requests)
			limit.requests = LB_CTL_PASS_REQUESTS - done.requests;
		limit.work = LB_CTL_CLIENT_WORK - c->worked;
		if (limit.work > LB_CTL_PASS_WORK - done.work)
			limit.work = LB_CTL_PASS_WORK - done.work;
		before = client_held(c);
		client_serve(ctl, c, now, &limit, &took);
		held = held - before + (c->fd >= 0 ? client_held(c) : 0);
		ctl->tight = false;
		c->served += took.requests;
		c->worked += took.work;
		done.requests += took.requests;
		done.work += took.work;
	}
	ctl->next = k;
	/* done, stalled, unread and idle clients go; the others are
	 * watched for what they need */
	for (i = 0; i < LB_CTL_MAX_CLIENTS; i++) {
		struct ctl_client *c = &ctl->clients[i];

		if (c->fd < 0)
			continue;
		client_expire(ctl, c, now);
		if (c->fd >= 0) {
			client_reading(c, now);
			client_watch(ctl, c);
		}
	}
	return done.requests;
}

bool
lb_ctl_pending(const struct lb_ctl *ctl)
{
	unsigned int i;

	for (i = 0; i < LB_CTL_MAX_CLIENTS; i++) {
		const struct ctl_client *c = &ctl->clients[i];

		if (c->fd >= 0 && c->backlog && !c->closing && !over_cap(c))
			return true;
	}
	return false;
}

void
lb_ctl_stats_get(const struct lb_ctl *ctl, struct lb_ctl_stats *st)
{
	unsigned int i;

	*st = ctl->st;
	st->buffered = 0;
	for (i = 0; i < LB_CTL_MAX_CLIENTS; i++)
		if (ctl->clients[i].fd >= 0)
			st->buffered += ctl->clients[i].in_cap +
				ctl->clients[i].out_cap;
}

int
lb_ctl_fd(const struct lb_ctl *ctl)
{
	return ctl->ep;
}
