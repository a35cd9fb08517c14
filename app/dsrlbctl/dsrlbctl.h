/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#ifndef DSRLBCTL_H
#define DSRLBCTL_H

/*
 * dsrlbctl: the command-line client of dsrlb's control socket. Private
 * to app/dsrlbctl: the command table (main.c), the JSON-RPC client
 * (client.c), shared parsing and formatting (util.c), and the commands
 * (show.c, top.c, edit.c, metrics.c, http.c).
 */

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#define DSRLBCTL_SOCKET "/run/dsrlb/control.sock"
#define DSRLBCTL_TIMEOUT_MS 10000
#define DSRLBCTL_MAX_REPLY (64u << 20)  /* 64 MiB */

/* Exit statuses: the server refused (its message printed), the server
 * could not be reached or answered nonsense, the command line is wrong
 * (sysexits' EX_USAGE). */
#define CTL_EXIT_OK 0
#define CTL_EXIT_SERVER 1
#define CTL_EXIT_COMM 2
#define CTL_EXIT_USAGE 64

/* One invocation: global options. */
struct ctl {
	const char *socket;
	int timeout_ms;
	bool json;              /* print raw results */
	long long next_id;
};

/* One command: `dsrlbctl [global options] name args`. */
/* A command's handler (main.c) ... */
struct ctl_command {
	const char *name;
	int (*handler)(struct ctl *ctl, int argc, char **argv);
};

/* ... and what it takes and does (usage.c), by the same name. */
struct ctl_usage {
	const char *name;
	const char *args;       /* synopsis after the name */
	const char *help;       /* what it does and its options */
};

/* client.c */
int ctl_call(struct ctl *ctl, const char *method, json_t *params,
	     json_t **result);

/* main.c */
/* usage.c */
extern const struct ctl_usage ctl_usages[];
extern const unsigned int ctl_n_usages;
const struct ctl_usage *ctl_usage_find(const char *name);
void ctl_command_help(const struct ctl_usage *c);
void ctl_global_help(void);
int ctl_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int ctl_getopt(struct ctl *ctl, int argc, char **argv, const char *shortopts,
	       const struct option *longopts);

/* Every command takes --json (ctl_getopt handles it). */
#define CTL_OPT_JSON { "json", no_argument, NULL, 'J' }
#define CTL_OPT_END { NULL, 0, NULL, 0 }

/* util.c: argument checks (each names the argument it refuses and
 * returns CTL_EXIT_USAGE, or 0) */
int ctl_parse_uint(const char *cmd, const char *what, const char *s,
		   unsigned long long max, unsigned long long *v);
int ctl_parse_seconds(const char *cmd, const char *what, const char *s,
		      double *v);
int ctl_parse_ipv4(const char *cmd, const char *what, const char *s);
/** As ctl_parse_ipv4(), either family (a VIP). */
int ctl_parse_ip(const char *cmd, const char *what, const char *s);
/** An address of either family, or a subnet ("addr/len"); the server
 *  checks which lengths it takes. */
int ctl_parse_ip_subnet(const char *cmd, const char *what, const char *s);
int ctl_parse_mac(const char *cmd, const char *what, const char *s);
int ctl_parse_ports(const char *cmd, const char *what, const char *s,
		    bool allow_any, json_t **v);
int ctl_positional(const char *cmd, int n, char **args, int min, int max);

/* util.c: reading answers and printing */
long long ctl_int(const json_t *obj, const char *key, long long dflt);
const char *ctl_str(const json_t *obj, const char *key, const char *dflt);
long long ctl_traffic(const json_t *obj, const char *key);
const char *ctl_port_str(const json_t *port, char *buf, size_t size);
const char *ctl_endpoint(const json_t *vip, const json_t *port, char *buf,
			 size_t size);
const char *ctl_duration(long long seconds, char *buf, size_t size);
int ctl_print_json(const json_t *j, bool compact);
double ctl_now(void);
int ctl_sleep(double seconds);

/* The read commands (show.c) */
int cmd_status(struct ctl *ctl, int argc, char **argv);
int cmd_list(struct ctl *ctl, int argc, char **argv);
int cmd_members(struct ctl *ctl, int argc, char **argv);
int cmd_health(struct ctl *ctl, int argc, char **argv);
int cmd_neighbors(struct ctl *ctl, int argc, char **argv);
int cmd_flows(struct ctl *ctl, int argc, char **argv);
int cmd_call(struct ctl *ctl, int argc, char **argv);

/* Rates between two samples (show.c, also used by top.c). */
struct ctl_sample {
	json_t *services;       /* services.list */
	json_t *members;        /* members.list */
	json_t *stats;          /* stats, or NULL if not asked */
	double t;               /* ctl_now() when taken */
};

int ctl_sample_take(struct ctl *ctl, struct ctl_sample *s, bool stats);
void ctl_sample_free(struct ctl_sample *s);
double ctl_rate(const json_t *old_obj, const json_t *new_obj,
		const char *key, double dt);
json_t *ctl_rate_json(double r);
void ctl_rate_cell(char *buf, size_t size, double r);
json_t *ctl_rates_json(const json_t *old_list, const json_t *list, double dt);
const json_t *ctl_find_named(const json_t *list, const char *name);
void ctl_print_service_line(const json_t *svc, const char *tail);

/* top.c */
int cmd_top(struct ctl *ctl, int argc, char **argv);

/* edit.c: the write commands */
int cmd_set_weight(struct ctl *ctl, int argc, char **argv);
int cmd_drain(struct ctl *ctl, int argc, char **argv);
int cmd_enable(struct ctl *ctl, int argc, char **argv);
int cmd_disable(struct ctl *ctl, int argc, char **argv);
int cmd_add_member(struct ctl *ctl, int argc, char **argv);
int cmd_remove_member(struct ctl *ctl, int argc, char **argv);
int cmd_add_service(struct ctl *ctl, int argc, char **argv);
int cmd_remove_service(struct ctl *ctl, int argc, char **argv);
int cmd_reload(struct ctl *ctl, int argc, char **argv);
int cmd_activate(struct ctl *ctl, int argc, char **argv);
int cmd_deactivate(struct ctl *ctl, int argc, char **argv);

/* metrics.c */
int cmd_metrics(struct ctl *ctl, int argc, char **argv);
int metrics_render(struct ctl *ctl, char **text, size_t *len);

/* http.c: one HTTP request for /metrics on stdin, its answer (made by
 * render, as metrics_render()) on stdout */
int metrics_http(struct ctl *ctl,
		 int (*render)(struct ctl *ctl, char **text, size_t *len));

#endif /* DSRLBCTL_H */
