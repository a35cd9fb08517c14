/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "app.h"

void
dsrlb_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [EAL options] -- --config FILE [--check]\n"
		"\n"
		"  -c, --config FILE   configuration file (JSON)\n"
		"  -t, --check         validate the configuration and exit:\n"
		"                      0 if valid, 2 with the reason if not\n"
		"  -h, --help          this text\n"
		"\n"
		"Without \"--\", every argument is a dsrlb option and the EAL\n"
		"runs with its defaults.\n", prog);
}

/* The application's own options come after "--" (DPDK's convention). */
int
dsrlb_args_parse(int argc, char **argv, struct dsrlb_args *args)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int start = 0, i, c;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			start = i;
			break;
		}
	/* getopt wants argv[0] first: start at "--" (or argv[0]) */
	optind = 1;
	opterr = 1;
	while ((c = getopt_long(argc - start, argv + start, "c:th", opts,
				NULL)) != -1) {
		switch (c) {
		case 'c':
			args->config = optarg;
			break;
		case 't':
			args->check = true;
			break;
		case 'h':
			dsrlb_usage(argv[0]);
			return 1;
		default:
			dsrlb_usage(argv[0]);
			return -1;
		}
	}
	if (optind != argc - start) {
		fprintf(stderr, "%s: unexpected argument \"%s\"\n", argv[0],
			argv[start + optind]);
		return -1;
	}
	if (args->config == NULL) {
		fprintf(stderr, "%s: --config FILE is required\n", argv[0]);
		return -1;
	}
	return 0;
}
