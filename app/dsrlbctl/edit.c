/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/*
 * The write commands: arguments checked and turned into a method's
 * params, one call, a one-line confirmation (or the result with
 * --json). The server validates again; the checks here only spare an
 * operator a round trip and name the argument in the command's terms.
 */

#include <string.h>

#include "dsrlbctl.h"

#define PERSISTENCE_MAX 2147483647ull

/* Options: only --json; then exactly n positional arguments. */
static int
plain_arguments(struct ctl *ctl, int argc, char **argv, int n)
{
	static const struct option opts[] = { CTL_OPT_JSON, CTL_OPT_END };

	if (ctl_getopt(ctl, argc, argv, ":", opts) != -1)
		return CTL_EXIT_USAGE;
	return ctl_positional(argv[0], argc - optind, argv + optind, n, n);
}

/* Call; print the result with --json, else let the caller confirm. */
static int
write_call(struct ctl *ctl, const char *method, json_t *params,
	   json_t **result)
{
	int rc = ctl_call(ctl, method, params, result);

	if (rc == 0 && ctl->json) {
		rc = ctl_print_json(*result, false);
		json_decref(*result);
		*result = NULL;
	}
	return rc;
}

static void
confirm_member(const json_t *m)
{
	if (m != NULL)
		printf("%s: weight %lld, state %s\n", ctl_str(m, "name", "?"),
		       ctl_int(m, "weight", -1), ctl_str(m, "state", "?"));
}

static int
member_set(struct ctl *ctl, json_t *params)
{
	json_t *r = NULL;
	int rc = write_call(ctl, "member.set", params, &r);

	if (rc == 0)
		confirm_member(r);
	json_decref(r);
	return rc;
}

int
cmd_set_weight(struct ctl *ctl, int argc, char **argv)
{
	unsigned long long w;
	int rc = plain_arguments(ctl, argc, argv, 2);

	if (rc != 0)
		return rc;
	if (ctl_parse_uint(argv[0], "WEIGHT", argv[optind + 1], 65535, &w) != 0)
		return CTL_EXIT_USAGE;
	return member_set(ctl, json_pack("{s:s, s:I}", "name", argv[optind],
					 "weight", (json_int_t)w));
}

static int
set_state(struct ctl *ctl, int argc, char **argv, const char *state)
{
	int rc = plain_arguments(ctl, argc, argv, 1);

	if (rc != 0)
		return rc;
	return member_set(ctl, json_pack("{s:s, s:s}", "name", argv[optind],
					 "state", state));
}

int
cmd_drain(struct ctl *ctl, int argc, char **argv)
{
	return set_state(ctl, argc, argv, "drain");
}

int
cmd_enable(struct ctl *ctl, int argc, char **argv)
{
	return set_state(ctl, argc, argv, "up");
}

int
cmd_disable(struct ctl *ctl, int argc, char **argv)
{
	return set_state(ctl, argc, argv, "disabled");
}

/* --- add-member, remove-member --- */

static int
add_member_options(struct ctl *ctl, int argc, char **argv, json_t *p)
{
	static const struct option opts[] = {
		{ "weight", required_argument, NULL, 'w' },
		{ "mac", required_argument, NULL, 'm' },
		{ "source-ports", required_argument, NULL, 'p' },
		{ "service", required_argument, NULL, 'S' },
		CTL_OPT_JSON, CTL_OPT_END,
	};
	json_t *services = json_array(), *v;
	unsigned long long w;
	int c, rc = 0;

	while (rc == 0 && (c = ctl_getopt(ctl, argc, argv, ":w:", opts)) != -1) {
		switch (c) {
		case 'w':
			rc = ctl_parse_uint(argv[0], "--weight", optarg, 65535, &w);
			if (rc == 0)
				json_object_set_new(p, "weight", json_integer((json_int_t)w));
			break;
		case 'm':
			rc = ctl_parse_mac(argv[0], "--mac", optarg);
			if (rc == 0)
				json_object_set_new(p, "mac", json_string(optarg));
			break;
		case 'p':
			rc = ctl_parse_ports(argv[0], "--source-ports", optarg,
					     false, &v);
			if (rc == 0)
				json_object_set_new(p, "source_ports", v);
			break;
		case 'S':
			json_array_append_new(services, json_string(optarg));
			break;
		default:
			rc = CTL_EXIT_USAGE;
		}
	}
	if (rc == 0 && json_array_size(services) > 0)
		json_object_set(p, "services", services);
	json_decref(services);
	return rc;
}

int
cmd_add_member(struct ctl *ctl, int argc, char **argv)
{
	json_t *p = json_object(), *r = NULL;
	int rc = add_member_options(ctl, argc, argv, p);

	if (rc == 0)
		rc = ctl_positional(argv[0], argc - optind, argv + optind, 2, 2);
	if (rc == 0)
		rc = ctl_parse_ipv4(argv[0], "ADDRESS", argv[optind + 1]);
	if (rc != 0) {
		json_decref(p);
		return rc;
	}
	json_object_set_new(p, "name", json_string(argv[optind]));
	json_object_set_new(p, "address", json_string(argv[optind + 1]));
	rc = write_call(ctl, "member.add", p, &r);
	if (rc == 0 && r != NULL)
		printf("member %s added: %s, weight %lld, state %s\n",
		       ctl_str(r, "name", "?"), ctl_str(r, "address", "?"),
		       ctl_int(r, "weight", -1), ctl_str(r, "state", "?"));
	json_decref(r);
	return rc;
}

int
cmd_remove_member(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		CTL_OPT_JSON, CTL_OPT_END,
	};
	json_t *r = NULL;
	bool force = false;
	int c, rc;

	while ((c = ctl_getopt(ctl, argc, argv, ":f", opts)) != -1) {
		if (c != 'f')
			return CTL_EXIT_USAGE;
		force = true;
	}
	rc = ctl_positional(argv[0], argc - optind, argv + optind, 1, 1);
	if (rc != 0)
		return rc;
	rc = write_call(ctl, "member.remove", json_pack("{s:s, s:b}", "name",
			argv[optind], "force", force), &r);
	if (rc == 0 && r != NULL) {
		if (json_is_true(json_object_get(r, "removed")))
			printf("member %s removed\n", ctl_str(r, "name", "?"));
		else
			printf("member %s removing: no new flows; it goes when its %lld active flows end\n",
			       ctl_str(r, "name", "?"),
			       ctl_int(r, "active_flows", -1));
	}
	json_decref(r);
	return rc;
}

/* --- add-service, remove-service --- */

struct service_args {
	json_t *object;         /* from --object OBJECT */
	json_t *p;              /* built from arguments and options */
	bool options;           /* an option other than --object was given */
};

static int
add_service_options(struct ctl *ctl, int argc, char **argv,
		    struct service_args *a)
{
	static const struct option opts[] = {
		{ "scheduler", required_argument, NULL, 's' },
		{ "persistence", required_argument, NULL, 'P' },
		{ "check", required_argument, NULL, 'c' },
		{ "member", required_argument, NULL, 'm' },
		{ "object", required_argument, NULL, 'O' },
		CTL_OPT_JSON,
		CTL_OPT_END,
	};
	json_t *members = json_array();
	json_error_t jerr;
	unsigned long long v;
	int c, rc = 0;

	while (rc == 0 && (c = ctl_getopt(ctl, argc, argv, ":", opts)) != -1) {
		a->options = a->options || c != 'O';
		switch (c) {
		case 's':
			json_object_set_new(a->p, "scheduler", json_string(optarg));
			break;
		case 'P':
			rc = ctl_parse_uint(argv[0], "--persistence", optarg,
					    PERSISTENCE_MAX, &v);
			if (rc == 0)
				json_object_set_new(a->p, "persistence",
						    json_integer((json_int_t)v));
			break;
		case 'c':
			json_object_set_new(a->p, "check",
					    json_pack("{s:s}", "type", optarg));
			break;
		case 'm':
			json_array_append_new(members, json_string(optarg));
			break;
		case 'O':
			json_decref(a->object);
			a->object = json_loads(optarg, JSON_DECODE_ANY, &jerr);
			if (a->object == NULL)
				rc = ctl_usage_error(argv[0], "--object: not JSON: %s (column %d)",
						     jerr.text, jerr.column);
			else if (!json_is_object(a->object))
				rc = ctl_usage_error(argv[0], "--object: expected a JSON object");
			break;
		default:
			rc = CTL_EXIT_USAGE;
		}
	}
	if (rc == 0 && json_array_size(members) > 0)
		json_object_set(a->p, "members", members);
	json_decref(members);
	return rc;
}

/* NAME VIP PROTO PORT into a->p. */
static int
service_positional(const char *cmd, char **args, json_t *p)
{
	json_t *port;

	if (strcmp(args[1], "*") != 0 && ctl_parse_ip(cmd, "VIP", args[1]) != 0)
		return CTL_EXIT_USAGE;
	if (strcmp(args[2], "tcp") != 0 && strcmp(args[2], "udp") != 0)
		return ctl_usage_error(cmd, "PROTO: \"%s\" is not tcp or udp",
				       args[2]);
	if (ctl_parse_ports(cmd, "PORT", args[3], true, &port) != 0)
		return CTL_EXIT_USAGE;
	json_object_set_new(p, "name", json_string(args[0]));
	json_object_set_new(p, "vip", json_string(args[1]));
	json_object_set_new(p, "protocol", json_string(args[2]));
	json_object_set_new(p, "port", port);
	return 0;
}

static int
service_params(struct ctl *ctl, int argc, char **argv, json_t **params)
{
	struct service_args a = { .p = json_object() };
	int rc = add_service_options(ctl, argc, argv, &a);
	int n = argc - optind;

	if (rc == 0 && a.object != NULL && (n > 0 || a.options))
		rc = ctl_usage_error(argv[0], "--object OBJECT is the whole service: no other arguments");
	else if (rc == 0 && a.object == NULL && n == 1 && argv[optind][0] == '{')
		/* --json is every command's "answer as JSON", here too */
		rc = ctl_usage_error(argv[0], "a service as JSON goes after --object: add-service --object '%s'",
				     argv[optind]);
	else if (rc == 0 && a.object == NULL)
		rc = ctl_positional(argv[0], n, argv + optind, 4, 4);
	if (rc == 0 && a.object == NULL)
		rc = service_positional(argv[0], argv + optind, a.p);
	if (rc == 0) {
		*params = a.object != NULL ? a.object : a.p;
		json_incref(*params);
	}
	json_decref(a.object);
	json_decref(a.p);
	return rc;
}

int
cmd_add_service(struct ctl *ctl, int argc, char **argv)
{
	json_t *params = NULL, *r = NULL;
	char ep[96];
	int rc = service_params(ctl, argc, argv, &params);

	if (rc != 0)
		return rc;
	rc = write_call(ctl, "service.add", params, &r);
	if (rc == 0 && r != NULL)
		printf("service %s added: %s %s %s\n", ctl_str(r, "name", "?"),
		       ctl_str(r, "protocol", "?"),
		       ctl_endpoint(json_object_get(r, "vip"),
				    json_object_get(r, "port"), ep, sizeof(ep)),
		       ctl_str(r, "scheduler", ""));
	json_decref(r);
	return rc;
}

int
cmd_remove_service(struct ctl *ctl, int argc, char **argv)
{
	json_t *r = NULL;
	int rc = plain_arguments(ctl, argc, argv, 1);

	if (rc != 0)
		return rc;
	rc = write_call(ctl, "service.remove",
			json_pack("{s:s}", "name", argv[optind]), &r);
	if (rc == 0 && r != NULL)
		printf("service %s removed\n", ctl_str(r, "name", argv[optind]));
	json_decref(r);
	return rc;
}

/* --- reload, activate, deactivate --- */

static void
print_changes(const json_t *r, const char *key, const char *what)
{
	const json_t *list = json_object_get(r, key), *e;
	size_t i;

	if (json_array_size(list) == 0)
		return;
	printf("  %-17s", what);
	json_array_foreach(list, i, e)
		printf("%s%s", i > 0 ? ", " : "",
		       json_is_string(e) ? json_string_value(e) : "?");
	printf("\n");
}

int
cmd_reload(struct ctl *ctl, int argc, char **argv)
{
	static const char *const keys[][2] = {
		{ "vips_added", "VIPs added" },
		{ "vips_removed", "VIPs removed" },
		{ "members_added", "members added" },
		{ "members_removed", "members removed" },
		{ "members_changed", "members changed" },
		{ "services_added", "services added" },
		{ "services_removed", "services removed" },
		{ "services_changed", "services changed" },
	};
	json_t *r = NULL;
	unsigned int i;
	int rc = plain_arguments(ctl, argc, argv, 0);

	if (rc == 0)
		rc = write_call(ctl, "config.reload", NULL, &r);
	if (rc != 0 || r == NULL)
		return rc;
	if (!json_is_true(json_object_get(r, "changed"))) {
		printf("configuration reloaded: nothing changed\n");
	} else {
		printf("configuration reloaded:\n");
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			print_changes(r, keys[i][0], keys[i][1]);
	}
	json_decref(r);
	return rc;
}

static int
set_active(struct ctl *ctl, int argc, char **argv, const char *method)
{
	json_t *r = NULL;
	int rc = plain_arguments(ctl, argc, argv, 0);

	if (rc == 0)
		rc = write_call(ctl, method, NULL, &r);
	if (rc == 0 && r != NULL) {
		const char *pending = ctl_str(r, "pending", NULL);

		if (pending != NULL)
			printf("standby for now: %s\n", pending);
		else
			printf("%s\n", json_is_true(json_object_get(r, "active")) ?
			       "active: forwarding for the VIPs" :
			       "standby: no ARP, route or forwarding for the VIPs");
	}
	json_decref(r);
	return rc;
}

int
cmd_activate(struct ctl *ctl, int argc, char **argv)
{
	return set_active(ctl, argc, argv, "activate");
}

int
cmd_deactivate(struct ctl *ctl, int argc, char **argv)
{
	return set_active(ctl, argc, argv, "deactivate");
}
