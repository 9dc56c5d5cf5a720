/*
 * phoneauth check: the configuration, the keys and the SMS templates were
 * loaded before any command ran, so reaching here means they are valid;
 * what is left is to say so, and to warn of what is valid but unwise.
 * Nothing here connects to a store.
 */
#include "phoneauth/cmd_check.h"

#include <stdio.h>
#include <time.h>

#include "phoneauth/event_deliver.h"
#include "phoneauth/lang.h"
#include "phoneauth/notice_text.h"
#include "phoneauth/step.h"
#include "phoneauth/webhook.h"

/* Warns of a template that takes more than one SMS (rendered with a code). */
static void
check_texts(const struct config *cfg, const struct sms_texts *texts)
{
	char text[SMS_TEXT_MAX];

	for (int p = 0; p < PURPOSE__MAX; p++)
		for (int l = 0; l < LANG__MAX; l++) {
			int n;

			if (!sms_text_render(texts, cfg, (enum purpose)p, (enum lang)l, "123456", text,
			    sizeof text) || (n = sms_text_segments(text)) <= 1)
				continue;
			fprintf(stderr, "phoneauth: warning: the %s SMS in %s (%s) takes %d SMS, each "
			    "paid for: shorten it (%s)\n", purpose_name((enum purpose)p), lang_names[l],
			    texts->from_file[p][l] ? "sms_template_dir" : "compiled in", n,
			    cfg->sms_origin ? "sms_origin adds a line" : "160 GSM-7 or 70 UCS-2 "
			    "characters a message");
		}
}

/* Warns of a real SMS driver that nothing bounds but the per-number and
 * per-client caps: the easiest service to pump. */
static void
check_sms_economics(const struct config *cfg)
{
	char keys_off[256];

	if (config_sms_unguarded(cfg, keys_off, sizeof keys_off))
		fprintf(stderr, "phoneauth: warning: the command SMS driver runs with every SMS-economics "
		    "control off (%s): nothing bounds what a botnet makes it send; turn some on "
		    "(docs/operations.md, \"Deployment\")\n", keys_off);
}

/* Lists the test numbers, and says when they have ended. */
static void
check_test_numbers(const struct config *cfg)
{
	bool ended = time(NULL) > cfg->test_until;

	for (size_t i = 0; i < cfg->ntest; i++)
		printf("phoneauth: test number %s (fixed code, nothing sent)%s\n", cfg->test[i].phone,
		    ended ? ": ended" : "");
	if (cfg->ntest > 0 && ended)
		fprintf(stderr, "phoneauth: warning: test_numbers ended on %s: they are ordinary "
		    "numbers now; remove them or move test_numbers_until\n", cfg->test_numbers_until);
	else if (cfg->ntest > 0)
		printf("phoneauth: test numbers hold until %s (UTC)\n", cfg->test_numbers_until);
}

/* The event outputs: each webhook_url as libcurl will take it (the secret
 * was read and checked with the configuration) and the notices' templates.
 * False, having said why, when the sender would refuse one. */
static bool
check_events(const struct config *cfg)
{
	char names[EVENT_OUTPUTS_MAX][48], err[256];
	struct notice_texts notices;
	int n = event_output_names(cfg, names, EVENT_OUTPUTS_MAX);
	bool ok = true;

	for (size_t i = 0; i < cfg->nwebhooks; i++) {
		struct webhook_receiver *r = webhook_receiver_new(cfg->webhooks[i],
		    cfg->webhook_timeout, NULL, err, sizeof err);

		if (r == NULL) {
			fprintf(stderr, "phoneauth: webhook_url: %s\n", err);
			ok = false;
		}
		webhook_receiver_free(r);
	}
	if (!notice_texts_load(&notices, cfg, err, sizeof err)) {
		fprintf(stderr, "phoneauth: %s\n", err);
		ok = false;
	} else {
		notice_texts_free(&notices);
	}
	for (int i = 0; ok && i < n; i++)
		printf("phoneauth: event output %s\n", names[i]);
	return ok;
}

/* The configuration and keys are checked before any command runs: reaching
 * here means they are fine (`ExecReload` runs this before signalling). */
int
cmd_check(const struct config *cfg, const struct sms_texts *texts)
{
	printf("phoneauth: the configuration is valid\n");
	if (cfg->sms_driver == SMS_DRIVER_LOG)
		fprintf(stderr, "phoneauth: warning: sms_driver = log: codes are only written to the "
		    "log and no SMS is sent; set sms_driver = command (docs/operations.md, \"SMS delivery\")\n");
	check_sms_economics(cfg);
	check_texts(cfg, texts);
	check_test_numbers(cfg);
	return check_events(cfg) ? 0 : 1;
}
