/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * dsrlbctl [-s SOCKET] [-t SECONDS] [--json] COMMAND [ARGS]
 *
 * The command table and the global options. Each command is a handler
 * that parses its own arguments, makes its calls and prints; main()
 * only picks it.
 */

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dsrlbctl.h"

static const struct ctl_command commands[] = {
	{ "status", "",
	  "version, uptime, active or standby, ports, counts",
	  cmd_status },
	{ "list", "[--stats | --rate [-i SECONDS]]",
	  "services and their members, like ipvsadm -L -n\n"
	  "  (none)       scheduler, flags; per member weight, state, health, active flows\n"
	  "  --stats      totals: new flows, packets, bytes, active flows\n"
	  "  --rate       per second: new flows, packets, bytes; from two samples\n"
	  "  -i SECONDS   --rate: time between the samples (default 1)\n"
	  "Member lines under a service show the member's totals over all its services.",
	  cmd_list },
	{ "members", "",
	  "members: address, weight, state, MAC, port, source ports, traffic",
	  cmd_members },
	{ "health", "",
	  "health checks: state, last result, runs, failures, up/down changes",
	  cmd_health },
	{ "neighbors", "",
	  "the neighbor (ARP) table",
	  cmd_neighbors },
	{ "flows", "[--service S] [--member M] [--client IP] [--limit N]",
	  "flows in the workers' tables (flows.list), following the pages\n"
	  "  --service S  only flows of service S\n"
	  "  --member M   only flows to member M\n"
	  "  --client IP  only flows from this client address\n"
	  "  --limit N    at most N flows (default 100, at most 1000000)",
	  cmd_flows },
	{ "set-weight", "NAME WEIGHT",
	  "set a member's weight (0-65535; 0 takes no new flows)",
	  cmd_set_weight },
	{ "drain", "NAME",
	  "drain a member: keeps its flows, takes no new ones (state drain)\n"
	  "With persistence, its clients' records are no longer renewed: they\n"
	  "lapse within one persistence timeout.",
	  cmd_drain },
	{ "enable", "NAME",
	  "put a member in service (state up)",
	  cmd_enable },
	{ "disable", "NAME",
	  "take a member out: no traffic, its flows move (state disabled)",
	  cmd_disable },
	{ "add-member", "NAME ADDRESS [--weight W] [--mac MAC] [--source-ports LO-HI] [--service S]...",
	  "add a member (member.add)\n"
	  "  --weight W          0-65535 (default: the server's, 100)\n"
	  "  --mac MAC           static MAC, never replaced by ARP\n"
	  "  --source-ports P    ports the member opens connections from (LO-HI or one port)\n"
	  "  --service S         join service S (one with an explicit member list); repeatable",
	  cmd_add_member },
	{ "remove-member", "NAME [--force]",
	  "remove a member; by default it drains first and goes when its flows end\n"
	  "  --force      remove it now: its flows move to other members",
	  cmd_remove_member },
	{ "add-service", "NAME VIP PROTO PORT [--scheduler S] [--persistence SEC] [--check TYPE] [--member M]...\n"
	  "       add-service --object OBJECT",
	  "add a service (service.add)\n"
	  "VIP is an address or *, PROTO tcp or udp, PORT a port, LO-HI or any\n"
	  "  --scheduler S       maglev, wrr, sh or wlc (default: the server's)\n"
	  "  --persistence SEC   client persistence in seconds (0: off)\n"
	  "  --check TYPE        health check type (tcp, http, pop3, ...; default: the server's)\n"
	  "  --member M          a member of the service; repeatable (default: every member)\n"
	  "  --object OBJECT     the service as one entry of \"services\" in the configuration file",
	  cmd_add_service },
	{ "remove-service", "NAME",
	  "remove a service",
	  cmd_remove_service },
	{ "reload", "",
	  "re-read the configuration file and apply the difference (config.reload)",
	  cmd_reload },
	{ "activate", "",
	  "become the active balancer: answer ARP for VIPs, forward",
	  cmd_activate },
	{ "deactivate", "",
	  "become standby: no ARP for VIPs, forward nothing for them",
	  cmd_deactivate },
	{ "top", "[-i SECONDS] [-n COUNT]",
	  "live rates per service, member and worker, refreshed every interval\n"
	  "  -i SECONDS   refresh interval (default 1)\n"
	  "  -n COUNT     stop after COUNT refreshes (default: until interrupted)\n"
	  "The screen is cleared between refreshes when stdout is a terminal;\n"
	  "with --json each refresh is one JSON line.",
	  cmd_top },
	{ "metrics", "[--http]",
	  "every counter in the Prometheus text exposition format (0.0.4)\n"
	  "  --http   answer one HTTP request (GET /metrics) read from stdin on\n"
	  "           stdout: systemd socket activation (dsrlb-metrics.socket)\n"
	  "If dsrlb cannot be reached, prints dsrlb_up 0 and exits 2.",
	  cmd_metrics },
	{ "call", "METHOD [PARAMS]",
	  "call any method; PARAMS is a JSON object; prints the result as JSON\n"
	  "(\"dsrlbctl call help\" lists the methods)",
	  cmd_call },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char global_usage[] =
	"usage: dsrlbctl [-s SOCKET] [-t SECONDS] [--json] COMMAND [ARGS]\n";

const struct ctl_command *
ctl_command_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void
command_usage(FILE *f, const struct ctl_command *c)
{
	fprintf(f, "usage: dsrlbctl [-s SOCKET] [-t SECONDS] [--json] %s%s%s\n",
		c->name, c->args[0] != '\0' ? " " : "", c->args);
}

static void
command_help(const struct ctl_command *c)
{
	command_usage(stdout, c);
	printf("\n%s\n", c->help);
}

static void
global_help(void)
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
	for (i = 0; i < N_COMMANDS; i++)
		printf("  %-15s %.*s\n", commands[i].name,
		       (int)strcspn(commands[i].help, "\n"), commands[i].help);
	printf("\nExit status: 0 done; 1 the server refused (its message on stderr);\n"
	       "2 the server could not be reached or did not answer; 64 usage error.\n");
}

/* "dsrlbctl: CMD: message" and the command's synopsis on stderr. */
int
ctl_usage_error(const char *cmd, const char *fmt, ...)
{
	const struct ctl_command *c = cmd != NULL ? ctl_command_find(cmd) : NULL;
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

/* --help (or -h) among a command's arguments, before any "--". */
static bool
wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

/* Global options; returns -1 to go on with the command at optind. */
static int
parse_global(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		CTL_OPT_END,
	};
	double timeout;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:s:t:jhV", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			ctl->socket = optarg;
			break;
		case 't':
			if (ctl_parse_seconds(NULL, "-t SECONDS", optarg,
					      &timeout) != 0)
				return CTL_EXIT_USAGE;
			ctl->timeout_ms = (int)(timeout * 1000);
			break;
		case 'j':
			ctl->json = true;
			break;
		case 'h':
			global_help();
			return 0;
		case 'V':
			printf("dsrlbctl %s\n", DSRLB_VERSION);
			return 0;
		case ':':
			return ctl_usage_error(NULL, "option \"%s\" needs a value",
					       argv[optind - 1]);
		default:
			return ctl_usage_error(NULL, "unknown option \"%s\"",
					       argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return ctl_usage_error(NULL, "no command given");
	return -1;
}

int
main(int argc, char **argv)
{
	const char *env = getenv("DSRLB_SOCKET");
	struct ctl ctl = {
		.socket = env != NULL && env[0] != '\0' ? env : DSRLBCTL_SOCKET,
		.timeout_ms = DSRLBCTL_TIMEOUT_MS,
	};
	const struct ctl_command *cmd;
	int rc;

	rc = parse_global(&ctl, argc, argv);
	if (rc >= 0)
		return rc;
	argc -= optind;
	argv += optind;
	cmd = ctl_command_find(argv[0]);
	if (cmd == NULL)
		return ctl_usage_error(NULL, "unknown command \"%s\"", argv[0]);
	if (wants_help(argc, argv)) {
		command_help(cmd);
		return 0;
	}
	optind = 0;     /* getopt starts afresh on the command's arguments */
	rc = cmd->handler(&ctl, argc, argv);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("dsrlbctl: writing the output");
		return rc != 0 ? rc : CTL_EXIT_SERVER;
	}
	return rc;
}
