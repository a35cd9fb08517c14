/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * dsrlbctl [-s SOCKET] [-t SECONDS] [--json] COMMAND [ARGS]
 *
 * The commands' handlers and the global options. Each command is a
 * handler that parses its own arguments, makes its calls and prints;
 * main() only picks it. What a command takes and says is in usage.c.
 */

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dsrlbctl.h"

static const struct ctl_command commands[] = {
	{ "status", cmd_status },
	{ "list", cmd_list },
	{ "members", cmd_members },
	{ "health", cmd_health },
	{ "neighbors", cmd_neighbors },
	{ "flows", cmd_flows },
	{ "set-weight", cmd_set_weight },
	{ "drain", cmd_drain },
	{ "enable", cmd_enable },
	{ "disable", cmd_disable },
	{ "add-member", cmd_add_member },
	{ "remove-member", cmd_remove_member },
	{ "add-service", cmd_add_service },
	{ "remove-service", cmd_remove_service },
	{ "reload", cmd_reload },
	{ "activate", cmd_activate },
	{ "deactivate", cmd_deactivate },
	{ "top", cmd_top },
	{ "metrics", cmd_metrics },
	{ "call", cmd_call },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct ctl_command *
command_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
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
			ctl_global_help();
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
	const struct ctl_usage *u;
	int rc;

	rc = parse_global(&ctl, argc, argv);
	if (rc >= 0)
		return rc;
	argc -= optind;
	argv += optind;
	cmd = command_find(argv[0]);
	u = ctl_usage_find(argv[0]);
	if (cmd == NULL || u == NULL)
		return ctl_usage_error(NULL, "unknown command \"%s\"", argv[0]);
	if (wants_help(argc, argv)) {
		ctl_command_help(u);
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
