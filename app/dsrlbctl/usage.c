/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * What each command takes and does: its synopsis and help, the usage
 * errors that quote them, and the options' parser every command uses.
 * The handlers are in main.c's table, by the same names.
 */

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dsrlbctl.h"

const struct ctl_usage ctl_usages[] = {
	{ "status", "",
	  "version, uptime, active or standby, ports, counts" },
	{ "list", "[--stats | --rate [-i SECONDS]]",
	  "services and their members, like ipvsadm -L -n\n"
	  "  (none)       scheduler, flags; per member weight, state, health, active flows\n"
	  "  --stats      totals: new flows, packets, bytes, active flows\n"
	  "  --rate       per second: new flows, packets, bytes; from two samples\n"
	  "  -i SECONDS   --rate: time between the samples (default 1)\n"
	  "Member lines under a service show the member's totals over all its services." },
	{ "members", "",
	  "members: address, weight, state, MAC, port, source ports, traffic" },
	{ "health", "",
	  "health checks: state, last result, runs, failures, up/down changes" },
	{ "neighbors", "",
	  "the neighbor (ARP) table" },
	{ "flows", "[--service S] [--member M] [--client IP[/LEN]] [--limit N]",
	  "flows in the workers' tables (flows.list), following the pages\n"
	  "  --service S        only flows of service S\n"
	  "  --member M         only flows to member M\n"
	  "  --client IP[/LEN]  only flows from this client address or subnet,\n"
	  "                     IPv4 or IPv6\n"
	  "  --limit N          at most N flows (default 100, at most 1000000)" },
	{ "set-weight", "NAME WEIGHT",
	  "set a member's weight (0-65535; 0 takes no new flows)" },
	{ "drain", "NAME",
	  "drain a member: keeps its flows, takes no new ones (state drain)\n"
	  "With persistence, its clients' records are no longer renewed: they\n"
	  "lapse within one persistence timeout." },
	{ "enable", "NAME",
	  "put a member in service (state up)" },
	{ "disable", "NAME",
	  "take a member out: no traffic, its flows move (state disabled)" },
	{ "add-member", "NAME ADDRESS [--weight W] [--mac MAC] [--source-ports LO-HI] [--service S]...",
	  "add a member (member.add)\n"
	  "  --weight W          0-65535 (default: the server's, 100)\n"
	  "  --mac MAC           static MAC, never replaced by ARP\n"
	  "  --source-ports P    ports the member opens connections from (LO-HI or one port)\n"
	  "  --service S         join service S (one with an explicit member list); repeatable" },
	{ "remove-member", "NAME [--force]",
	  "remove a member; by default it drains first and goes when its flows end\n"
	  "  --force      remove it now: its flows move to other members" },
	{ "add-service", "NAME VIP PROTO PORT [--scheduler S] [--persistence SEC] [--check TYPE] [--member M]...\n"
	  "       add-service --object OBJECT",
	  "add a service (service.add)\n"
	  "VIP is an address or *, PROTO tcp or udp, PORT a port, LO-HI or any\n"
	  "  --scheduler S       maglev, wrr, sh or wlc (default: the server's)\n"
	  "  --persistence SEC   client persistence in seconds (0: off)\n"
	  "  --check TYPE        health check type (tcp, http, pop3, ...; default: the server's)\n"
	  "  --member M          a member of the service; repeatable (default: every member)\n"
	  "  --object OBJECT     the service as one entry of \"services\" in the configuration file" },
	{ "remove-service", "NAME",
	  "remove a service" },
	{ "reload", "",
	  "re-read the configuration file and apply the difference (config.reload)" },
	{ "activate", "",
	  "become the active balancer: answer ARP for VIPs, forward" },
	{ "deactivate", "",
	  "become standby: no ARP for VIPs, forward nothing for them" },
	{ "top", "[-i SECONDS] [-n COUNT]",
	  "live rates per service, member and worker, refreshed every interval\n"
	  "  -i SECONDS   refresh interval (default 1)\n"
	  "  -n COUNT     stop after COUNT refreshes (default: until interrupted)\n"
	  "The screen is cleared between refreshes when stdout is a terminal;\n"
	  "with --json each refresh is one JSON line." },
	{ "metrics", "[--http]",
	  "every counter in the Prometheus text exposition format (0.0.4)\n"
	  "  --http   answer one HTTP request (GET /metrics) read from stdin on\n"
	  "           stdout: systemd socket activation (dsrlb-metrics.socket)\n"
	  "If dsrlb cannot be reached, prints dsrlb_up 0 and exits 2." },
	{ "call", "METHOD [PARAMS]",
	  "call any method; PARAMS is a JSON object; prints the result as JSON\n"
	  "(\"dsrlbctl call help\" lists the methods)" },
};

const unsigned int ctl_n_usages = sizeof(ctl_usages) / sizeof(ctl_usages[0]);

static const char global_usage[] =
	"usage: dsrlbctl [-s SOCKET] [-t SECONDS] [--json] COMMAND [ARGS]\n";

const struct ctl_usage *
ctl_usage_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < ctl_n_usages; i++)
		if (strcmp(ctl_usages[i].name, name) == 0)
			return &ctl_usages[i];
	return NULL;
}

static void
command_usage(FILE *f, const struct ctl_usage *c)
{
	fprintf(f, "usage: dsrlbctl [-s SOCKET] [-t SECONDS] [--json] %s%s%s\n",
		c->name, c->args[0] != '\0' ? " " : "", c->args);
}

void
ctl_command_help(const struct ctl_usage *c)
{
	command_usage(stdout, c);
	printf("\n%s\n", c->help);
}

void
ctl_global_help(void)
{
	unsigned int i;

	printf("%s\n"
	       "Control dsrlb through its control socket (JSON-RPC 2.0).\n\n"
	       "  -s, --socket SOCKET   control socket (default $DSRLB_SOCKET, else %s)\n"
	       "  -t, --timeout SECONDS give up on an answer after this long (default %d)\n"
	       "  -j, --json            print results as JSON (every read command)\n"
	       "  -h, --help            this text; \"dsrlbctl COMMAND --help\" for a command\n"
	       "  -V, --version         dsrlbctl's version\n\n"
	       "Commands:\n", global_usage, DSRLBCTL_SOCKET,
	       DSRLBCTL_TIMEOUT_MS / 1000);
	for (i = 0; i < ctl_n_usages; i++)
		printf("  %-15s %.*s\n", ctl_usages[i].name,
		       (int)strcspn(ctl_usages[i].help, "\n"), ctl_usages[i].help);
	printf("\nExit status: 0 done; 1 the server refused (its message on stderr);\n"
	       "2 the server could not be reached or did not answer; 64 usage error.\n");
}

/* "dsrlbctl: CMD: message" and the command's synopsis on stderr. */
int
ctl_usage_error(const char *cmd, const char *fmt, ...)
{
	const struct ctl_usage *c = cmd != NULL ? ctl_usage_find(cmd) : NULL;
	va_list ap;

	if (fmt != NULL) {
		fprintf(stderr, "dsrlbctl: %s%s", cmd != NULL ? cmd : "",
			cmd != NULL ? ": " : "");
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	if (c != NULL) {
		command_usage(stderr, c);
		fprintf(stderr, "(dsrlbctl %s --help for more)\n", c->name);
	} else {
		fputs(global_usage, stderr);
		fputs("(dsrlbctl --help for more)\n", stderr);
	}
	return CTL_EXIT_USAGE;
}

/* getopt_long for a command (argv[0] is its name): handles --json, and
 * turns an unknown option or a missing value into a usage error ('?'). */
int
ctl_getopt(struct ctl *ctl, int argc, char **argv, const char *shortopts,
	   const struct option *longopts)
{
	int c;

	opterr = 0;
	for (;;) {
		c = getopt_long(argc, argv, shortopts, longopts, NULL);
		if (c == 'J') {
			ctl->json = true;
			continue;
		}
		if (c == ':') {
			ctl_usage_error(argv[0], "option \"%s\" needs a value",
					argv[optind - 1]);
			return '?';
		}
		if (c == '?') {
			if (optopt != 0)
				ctl_usage_error(argv[0], "unknown option \"-%c\"",
						optopt);
			else
				ctl_usage_error(argv[0], "unknown option \"%s\"",
						argv[optind - 1]);
			return '?';
		}
		return c;
	}
}

