/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The dsrlb authors
 */

/* Health checks: what answers mean for each kind (good, bad, partial,
 * oversized), the rise/fall machine, the requests sent. No EAL. */

#include <stdlib.h>

#include "lb_config.h"
#include "lb_health.h"
#include "test_util.h"

struct answer {
	uint8_t type;
	const char *text;
	enum lb_hc_verdict want;
};

static const struct answer answers[] = {
	{ LB_CHECK_SMTP, "220 mx.example ESMTP\r\n", LB_HC_PASS },
	{ LB_CHECK_SMTP, "220-mx.example\r\n220 more\r\n", LB_HC_PASS },
	{ LB_CHECK_SMTP, "220\r\n", LB_HC_PASS },
	{ LB_CHECK_SMTP, "554 5.3.2 no service\r\n", LB_HC_FAIL },
	{ LB_CHECK_SMTP, "2200 odd\r\n", LB_HC_FAIL },
	{ LB_CHECK_SMTP, "220 half a line", LB_HC_MORE },
	{ LB_CHECK_POP3, "+OK fe1 POP3 ready\r\n", LB_HC_PASS },
	{ LB_CHECK_POP3, "-ERR go away\r\n", LB_HC_FAIL },
	{ LB_CHECK_POP3, "+O", LB_HC_MORE },
	{ LB_CHECK_IMAP, "* OK IMAP4rev1 ready\r\n", LB_HC_PASS },
	{ LB_CHECK_IMAP, "* PREAUTH logged in\r\n", LB_HC_PASS },
	{ LB_CHECK_IMAP, "* BYE shutting down\r\n", LB_HC_FAIL },
	{ LB_CHECK_IMAP, "* OK", LB_HC_MORE },
	{ LB_CHECK_HTTP, "HTTP/1.1 200 OK\r\n", LB_HC_PASS },
	{ LB_CHECK_HTTP, "HTTP/1.0 302 Found\r\n", LB_HC_PASS },
	{ LB_CHECK_HTTP, "HTTP/1.1 404 Not Found\r\n", LB_HC_FAIL },
	{ LB_CHECK_HTTP, "HTTP/1.1 503 Unavailable\r\n", LB_HC_FAIL },
	{ LB_CHECK_HTTP, "HTTP/1.1 2000 x\r\n", LB_HC_FAIL },
	{ LB_CHECK_HTTP, "<html>\r\n", LB_HC_FAIL },
	{ LB_CHECK_HTTP, "HTTP/1.1 200", LB_HC_MORE },
	{ LB_CHECK_SIP, "SIP/2.0 200 OK\r\n", LB_HC_PASS },
	{ LB_CHECK_SIP, "SIP/2.0 483 Too Many Hops\r\n", LB_HC_PASS },
	{ LB_CHECK_SIP, "SIP/2.0 ABC\r\n", LB_HC_FAIL },
	{ LB_CHECK_SIP, "OPTIONS sip:x SIP/2.0\r\n", LB_HC_FAIL },
	{ LB_CHECK_SIP, "SIP/2.0 2", LB_HC_MORE },
};

/* The runner describes a failed answer with the start of the member's
 * first line. The member's bytes are not NUL-terminated: exact-size
 * copies make ASan see any read past them. */
static void
health_failed_answer_described_within_its_bytes(void **state)
{
	static const struct answer bad[] = {
		{ LB_CHECK_POP3, "-ERR go away\r\n", LB_HC_FAIL },
		{ LB_CHECK_POP3, "-ERR no line end, and longer than forty bytes of text", LB_HC_FAIL },
		{ LB_CHECK_SMTP, "554\r", LB_HC_FAIL },
		{ LB_CHECK_HTTP, "HTTP/1.1 500 \x1b[31mred\x07\r\n", LB_HC_FAIL },
	};
	char msg[LB_HC_MSG];
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = strlen(bad[i].text);
		char *buf = malloc(len);
		enum lb_hc_verdict v;

		assert_non_null(buf);
		memcpy(buf, bad[i].text, len);
		memset(msg, 'x', sizeof(msg));
		/* a first line without LF is judged once the buffer is full */
		v = lb_health_answer(bad[i].type, buf, len, msg, sizeof(msg));
		if (v == LB_HC_MORE) {
			free(buf);
			buf = calloc(LB_HC_BUF, 1);
			assert_non_null(buf);
			memcpy(buf, bad[i].text, len);
			memset(buf + len, 'z', LB_HC_BUF - len);
			len = LB_HC_BUF;
			v = lb_health_answer(bad[i].type, buf, len, msg,
					     sizeof(msg));
		}
		assert_int_equal(v, LB_HC_FAIL);
		assert_non_null(memchr(msg, '\0', sizeof(msg)));
		free(buf);
	}
	/* the description is printable and names the answer */
	assert_int_equal(lb_health_answer(LB_CHECK_POP3, "-ERR go away\r\n", 14,
					  msg, sizeof(msg)), LB_HC_FAIL);
	assert_string_equal(msg, "bad banner \"-ERR go away\"");
	assert_int_equal(lb_health_answer(LB_CHECK_HTTP,
					  "HTTP/1.1 500 \x1b[31m\x07\r\n", 24,
					  msg, sizeof(msg)), LB_HC_FAIL);
	assert_string_equal(msg, "HTTP status not 2xx/3xx \"HTTP/1.1 500 .[31m.\"");
}

static void
health_answers_for_every_kind(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
		const struct answer *a = &answers[i];
		size_t len = strlen(a->text);
		char *buf = malloc(len == 0 ? 1 : len);   /* no terminator */
		const char *why;
		enum lb_hc_verdict v;

		memcpy(buf, a->text, len);
		v = lb_health_parse(a->type, buf, len, &why);
		if (v != a->want)
			fail_msg("%s %.30s: verdict %d, want %d",
				 lb_check_names[a->type], a->text, v, a->want);
		if (v == LB_HC_FAIL)
			assert_non_null(why);
		free(buf);
	}
}

static void
health_oversized_first_line_fails(void **state)
{
	char *buf = malloc(LB_HC_BUF);
	const char *why;

	(void)state;
	memset(buf, 'x', LB_HC_BUF);
	memcpy(buf, "+OK", 3);
	assert_int_equal(lb_health_parse(LB_CHECK_POP3, buf, LB_HC_BUF - 1, &why),
			 LB_HC_MORE);
	assert_int_equal(lb_health_parse(LB_CHECK_POP3, buf, LB_HC_BUF, &why),
			 LB_HC_FAIL);
	assert_string_equal(why, "oversized first line");
	free(buf);
}

/* A member starts up (a restart must not empty the service while the
 * first round runs), and one lost check at start (sent before the link
 * was up, say) does not take it out: a member is down only after fall
 * failures in a row, from the first check on, as later. */
static void
health_one_lost_first_check_does_not_take_member_out(void **state)
{
	struct lb_hc_state s = LB_HC_STATE_INIT;
	struct lb_hc_state t = LB_HC_STATE_INIT;

	(void)state;
	assert_true(s.up);
	assert_false(lb_health_update(&s, false, 2, 3));  /* lost at start */
	assert_true(s.up && s.checked);
	assert_false(lb_health_update(&s, true, 2, 3));
	assert_true(s.up);
	/* dead at start: down after fall checks, not rise x interval later */
	assert_false(lb_health_update(&t, false, 2, 3));
	assert_false(lb_health_update(&t, false, 2, 3));
	assert_true(lb_health_update(&t, false, 2, 3));
	assert_false(t.up);
}

static void
health_goes_down_after_fall_and_up_after_rise(void **state)
{
	struct lb_hc_state s = LB_HC_STATE_INIT;

	(void)state;
	lb_health_update(&s, true, 2, 3);
	assert_false(lb_health_update(&s, false, 2, 3));
	assert_false(lb_health_update(&s, false, 2, 3));
	assert_false(lb_health_update(&s, true, 2, 3));    /* run broken */
	assert_false(lb_health_update(&s, false, 2, 3));
	assert_false(lb_health_update(&s, false, 2, 3));
	assert_true(lb_health_update(&s, false, 2, 3));    /* third in a row */
	assert_false(s.up);
	assert_false(lb_health_update(&s, true, 2, 3));
	assert_false(lb_health_update(&s, false, 2, 3));
	assert_false(lb_health_update(&s, true, 2, 3));
	assert_true(lb_health_update(&s, true, 2, 3));     /* rise 2 */
	assert_true(s.up);
}

static void
health_sip_options_as_the_seed_says(void **state)
{
	char buf[640];
	int n;

	(void)state;
	n = lb_health_sip_options(buf, sizeof(buf), "198.51.100.11", 5060,
				  "198.51.100.2", 40000, "UDP", 7);
	assert_true(n > 0 && (size_t)n == strlen(buf));
	assert_true(strncmp(buf, "OPTIONS sip:198.51.100.11:5060 SIP/2.0\r\n",
			    40) == 0);
	assert_non_null(strstr(buf, "\r\nRoute: <sip:198.51.100.11:5060;lr>\r\n"));
	assert_non_null(strstr(buf, "\r\nVia: SIP/2.0/UDP 198.51.100.2:40000;"));
	assert_non_null(strstr(buf, "\r\nCSeq: 7 OPTIONS\r\n"));
	assert_non_null(strstr(buf, "\r\nContent-Length: 0\r\n\r\n"));
	assert_int_equal(lb_health_sip_options(buf, 64, "198.51.100.11", 5060,
					       "198.51.100.2", 1, "TCP", 1), -1);
}

static void
health_http_get_and_goodbyes(void **state)
{
	char buf[256];

	(void)state;
	assert_true(lb_health_http_get(buf, sizeof(buf), "/status",
				       "198.51.100.11") > 0);
	assert_true(strncmp(buf, "GET /status HTTP/1.0\r\nHost: 198.51.100.11\r\n",
			    43) == 0);
	assert_non_null(strstr(buf, "Connection: close\r\n\r\n"));
	assert_string_equal(lb_health_goodbye(LB_CHECK_POP3), "QUIT\r\n");
	assert_string_equal(lb_health_goodbye(LB_CHECK_IMAP), "a LOGOUT\r\n");
	assert_null(lb_health_goodbye(LB_CHECK_TCP));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(health_answers_for_every_kind),
		cmocka_unit_test(health_failed_answer_described_within_its_bytes),
		cmocka_unit_test(health_oversized_first_line_fails),
		cmocka_unit_test(health_one_lost_first_check_does_not_take_member_out),
		cmocka_unit_test(health_goes_down_after_fall_and_up_after_rise),
		cmocka_unit_test(health_sip_options_as_the_seed_says),
		cmocka_unit_test(health_http_get_and_goodbyes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
