/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The listening sockets: published with their final mode and group
 * (see lb_ctl_create_params()), and the server made and freed.
 */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_internal.h"

/* A group name, or a number. */
static int
group_id(const char *group, gid_t *gid, char *err)
{
	struct group gr, *res = NULL;
	size_t size = 16384;
	char *buf = NULL, *end;
	unsigned long v;
	int rc;

	for (;;) {
		char *g = realloc(buf, size);

		if (g == NULL) {
			free(buf);
			snprintf(err, 256, "group \"%.64s\": out of memory", group);
			return -ENOMEM;
		}
		buf = g;
		rc = getgrnam_r(group, &gr, buf, size, &res);
		if (rc != ERANGE || size >= (1u << 22))
			break;
		size *= 2;
	}
	if (res != NULL)
		*gid = res->gr_gid;
	free(buf);
	if (res != NULL)
		return 0;
	errno = 0;
	v = strtoul(group, &end, 10);
	if (isdigit((unsigned char)group[0]) && *end == '\0' && errno == 0 &&
	    v < (gid_t)-1) {
		*gid = (gid_t)v;
		return 0;
	}
	if (rc != 0)
		snprintf(err, 256, "group \"%.64s\": %s", group, strerror(rc));
	else
		snprintf(err, 256, "group \"%.64s\": no such group", group);
	return -ENOENT;
}

/* Traversal rights of a directory made for a socket: whoever may use
 * the socket may reach it (0750 for 0660). */
static mode_t
dir_mode(unsigned int mode)
{
	return 0700 | (mode & 0060 ? 0050 : 0) |
		(mode & 0006 ? 0005 : 0);
}

/* The directory of path: made if missing (one level), owned by the
 * group; left as it is if it exists. */
static int
make_dir(const char *dir, unsigned int mode, bool set_gid, gid_t gid,
	 char *err)
{
	struct stat st;
	int fd, rc = 0;

	if (mkdir(dir, 0700) != 0) {
		if (errno == EEXIST)
			return 0;
		snprintf(err, 256, "%s: cannot create the directory: %s", dir,
			 strerror(errno));
		return -errno;
	}
	/* by its fd: what is set up is what was made (or an error) */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0)
		rc = -errno;
	else if (st.st_uid != geteuid())
		rc = -EPERM;
	else if ((set_gid && fchown(fd, (uid_t)-1, gid) != 0) ||
		 fchmod(fd, dir_mode(mode)) != 0)
		rc = -errno;
	if (rc != 0)
		snprintf(err, 256, "%s: cannot set up the directory made for the socket: %s",
			 dir, strerror(-rc));
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Something at path: a stale socket (nobody listening) is removed;
 * a live one, or anything else, is an error. */
static int
clear_stale(const char *path, char *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) != 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, 256, "%s exists and is not a socket", path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, 256, "socket: %s", strerror(errno));
		return -errno;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : errno;
	close(fd);
	if (rc == 0 || rc == EAGAIN || rc == EINPROGRESS) {
		snprintf(err, 256, "%s: another process is listening there",
			 path);
		return -EADDRINUSE;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		snprintf(err, 256, "%s: cannot remove the stale socket: %s",
			 path, strerror(errno));
		return -errno;
	}
	return 0;
}

/* Bind in a private directory, set group and mode there, listen, then
 * publish by a hard link that replaces nothing (see lb_ctl_create_params). */
static int
listen_on(const char *path, unsigned int mode, const char *group, char *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char tmp[108], dir[108], base[108], priv[160];
	int fd = -1, pfd = -1, rc;
	bool set_gid = group != NULL && group[0] != '\0';
	gid_t gid = 0;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, 256, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	if (set_gid && (rc = group_id(group, &gid, err)) != 0)
		return rc;
	snprintf(tmp, sizeof(tmp), "%s", path);
	snprintf(dir, sizeof(dir), "%s", dirname(tmp));
	snprintf(tmp, sizeof(tmp), "%s", path);
	snprintf(base, sizeof(base), "%s", basename(tmp));
	rc = make_dir(dir, mode, set_gid, gid, err);
	if (rc != 0)
		return rc;
	rc = clear_stale(path, err);
	if (rc != 0)
		return rc;
	errno = ENAMETOOLONG;
	if ((size_t)snprintf(priv, sizeof(priv), "%s/.%.32s.XXXXXX", dir,
			     base) >= sizeof(priv) || mkdtemp(priv) == NULL) {
		snprintf(err, 256, "%s: cannot make a private directory beside it: %s",
			 path, strerror(errno));
		return -errno;
	}
	pfd = open(priv, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (pfd < 0 || fd < 0) {
		snprintf(err, 256, "%s: %s", path, strerror(errno));
		rc = -errno;
		goto fail;
	}
	/* a private path too long for sun_path is reached through /proc */
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/s",
			     priv) >= sizeof(sa.sun_path))
		snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/s",
			 pfd);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		snprintf(err, 256, "%s: bind: %s", path, strerror(errno));
		rc = -errno;
		goto fail;
	}
	if ((set_gid && fchownat(pfd, "s", (uid_t)-1, gid,
				 AT_SYMLINK_NOFOLLOW) != 0)) {
		snprintf(err, 256, "%s: cannot give it the group \"%s\": %s",
			 path, group, strerror(errno));
		rc = -errno;
		goto fail;
	}
	if (fchmodat(pfd, "s", mode, 0) != 0 ||
	    listen(fd, LB_CTL_BACKLOG) != 0) {
		snprintf(err, 256, "%s: %s", path, strerror(errno));
		rc = -errno;
		goto fail;
	}
	if (linkat(pfd, "s", AT_FDCWD, path, 0) != 0) {
		snprintf(err, 256, errno == EEXIST ?
			 "%s: something appeared there meanwhile" : "%s: %s",
			 path, strerror(errno));
		rc = -errno;
		goto fail;
	}
	unlinkat(pfd, "s", 0);
	close(pfd);
	rmdir(priv);
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	if (pfd >= 0) {
		unlinkat(pfd, "s", 0);
		close(pfd);
	}
	rmdir(priv);
	return rc;
}

struct lb_ctl *
lb_ctl_create_params(const struct lb_ctl_params *p, char *err)
{
	struct lb_ctl *ctl = calloc(1, sizeof(*ctl));
	unsigned int i, mode = p->mode != 0 ? p->mode : 0660;

	if (ctl == NULL) {
		snprintf(err, 256, "out of memory");
		return NULL;
	}
	ctl->methods = p->methods;
	ctl->n_methods = p->n_methods;
	ctl->ctx = p->ctx;
	ctl->ep = -1;
	for (i = 0; i < 2; i++) {
		ctl->listeners[i].fd = -1;
		ctl->listeners[i].readonly = i == 1;
	}
	for (i = 0; i < LB_CTL_MAX_CLIENTS; i++)
		ctl->clients[i].fd = -1;
	if (p->path == NULL)
		return ctl;   /* dispatcher only (tests) */
	ctl->ep = epoll_create1(EPOLL_CLOEXEC);
	if (ctl->ep < 0) {
		snprintf(err, 256, "epoll: %s", strerror(errno));
		goto fail;
	}
	for (i = 0; i < 2; i++) {
		struct ctl_listener *l = &ctl->listeners[i];
		const char *path = i == 0 ? p->path : p->ro_path;
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = l };

		if (path == NULL || path[0] == '\0')
			continue;
		l->fd = i == 0 ? listen_on(path, mode, p->group, err) :
			listen_on(path, p->ro_mode != 0 ? p->ro_mode : mode,
				  p->ro_group != NULL && p->ro_group[0] != '\0' ?
				  p->ro_group : p->group, err);
		if (l->fd < 0)
			goto fail;
		snprintf(l->path, sizeof(l->path), "%s", path);
		if (epoll_ctl(ctl->ep, EPOLL_CTL_ADD, l->fd, &ev) != 0) {
			snprintf(err, 256, "epoll: %s", strerror(errno));
			goto fail;
		}
	}
	return ctl;
fail:
	lb_ctl_free(ctl);
	return NULL;
}

void
lb_ctl_free(struct lb_ctl *ctl)
{
	unsigned int i;

	if (ctl == NULL)
		return;
	for (i = 0; i < LB_CTL_MAX_CLIENTS; i++)
		if (ctl->clients[i].fd >= 0)
			ctl_client_close(ctl, &ctl->clients[i]);
	for (i = 0; i < 2; i++)
		if (ctl->listeners[i].fd >= 0) {
			close(ctl->listeners[i].fd);
			unlink(ctl->listeners[i].path);
		}
	if (ctl->ep >= 0)
		close(ctl->ep);
	free(ctl);
}

