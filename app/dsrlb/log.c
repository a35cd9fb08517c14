/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * Logs under systemd: one copy of each line in the journal, at its level.
 *
 * The EAL's default log stream writes every message to stdout and to
 * syslog(3). Under systemd both reach the journal (stdout through the
 * unit's stream, syslog through /dev/log), so each line was there twice,
 * and the stream copy at the unit's default priority (info), whatever
 * the message's level. When stderr is the journal's stream (systemd sets
 * JOURNAL_STREAM to its device and inode, see systemd.exec(5)), dsrlb
 * replaces that stream, before the EAL starts, by one that writes to
 * stderr only and puts the message's syslog priority before each line
 * ("<3>" for ERR, sd-daemon(3)'s prefix, which journald reads by
 * default). Elsewhere (a terminal, a file, a supervisor without journald)
 * the EAL's default is kept; --syslog and --log-level act as usual.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_log.h>

#include "app.h"

/* Whether stderr is the journal's stream: JOURNAL_STREAM is
 * "DEVICE:INODE" of the stream systemd connected. */
static bool
stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char tail;

	if (env == NULL ||
	    sscanf(env, "%llu:%llu%c", &dev, &ino, &tail) != 2 ||
	    fstat(STDERR_FILENO, &st) != 0)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

/* The stream's state: whether the next byte starts a line. Messages of
 * several threads do not interleave within a line: the FILE is locked
 * for each message and flushed at its end (rte_vlog). */
static bool at_line_start = true;

static ssize_t
journal_write(void *cookie, const char *buf, size_t size)
{
	int level = rte_log_cur_msg_loglevel();
	/* RTE_LOG_EMERG (1) .. RTE_LOG_DEBUG (8): syslog's 0 .. 7 */
	int prio = level >= 1 && level <= 8 ? level - 1 : 6;
	size_t done = 0;

	(void)cookie;
	while (done < size) {
		const char *nl = memchr(buf + done, '\n', size - done);
		size_t n = nl != NULL ? (size_t)(nl - (buf + done)) + 1 :
			   size - done;

		if (at_line_start)
			fprintf(stderr, "<%d>", prio);
		if (fwrite(buf + done, 1, n, stderr) != n)
			break;
		at_line_start = nl != NULL;
		done += n;
	}
	fflush(stderr);
	return (ssize_t)size;
}

void
dsrlb_log_init(void)
{
	static const cookie_io_functions_t io = { .write = journal_write };
	FILE *f;

	if (!stderr_is_journal())
		return;
	f = fopencookie(NULL, "w", io);
	if (f == NULL)
		return;     /* the EAL's default stays */
	setvbuf(f, NULL, _IOLBF, 0);
	rte_openlog_stream(f);
}
