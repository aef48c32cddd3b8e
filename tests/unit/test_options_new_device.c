// SPDX-License-Identifier: GPL-2.0-only
/*
 * The promise of vmm/options.h: a device that declares a new profile
 * section with VMM_OPTIONS() in its own file is read by the profile parser,
 * the `run` flags, --help and `passvm check` with nothing else changed.
 * This file is such a device ([widget], --widget-color), linked beside the
 * real ones; nothing in app/ or vmm/ knows it.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/check.h"
#include "app/cli.h"
#include "app/profile.h"
#include "vmm/options.h"

/* ---- the device's own declaration -------------------------------------------- */

struct widget_config {
	const char *color;
	unsigned count;
};

extern const struct vmm_options widget_options;

static struct widget_config *widget_config(const struct vm_config *cfg)
{
	return vmm_options_part(cfg, &widget_options);
}

static void widget_defaults(void *part)
{
	((struct widget_config *)part)->count = 3;
}

static int widget_set_color(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	if (strcmp(v, "red") && strcmp(v, "blue"))
		return err_setf(err, "use red or blue");
	return vmm_option_str(ctx, v, &((struct widget_config *)ctx->part)->color, err);
}

static int widget_set_count(struct vmm_option_ctx *ctx, const char *v, struct error *err)
{
	if (vmm_option_uint(v, 1, 9, &((struct widget_config *)ctx->part)->count))
		return err_setf(err, "give 1 to 9");
	return 0;
}

static const struct vmm_option widget_option_list[] = {
	{ .key = "color", .flag = "widget-color", .arg = "red|blue", .set = widget_set_color,
	  .help = "the widget's colour" },
	{ .key = "count", .set = widget_set_count },
};

/* A colour without a count is fine; a count without a colour is not. */
static int widget_finish(struct vmm_option_ctx *ctx, unsigned *line, struct error *err)
{
	const struct widget_config *w = ctx->part;
	unsigned count = vmm_option_line_of(ctx, -1, "count");
	if (count && !w->color) {
		*line = count;
		return err_setf(err, "a count needs a color");
	}
	return 0;
}

static void widget_check(struct report *r, const struct check_env *env,
			 const struct vm_config *cfg)
{
	const struct widget_config *w = widget_config(cfg);
	if (w->color)
		report_add(r, REPORT_OK, "widget", "%u %s widgets", w->count, w->color);
}

VMM_OPTIONS(widget_options) = {
	.section = "widget", .order = 1000, .size = sizeof(struct widget_config),
	.defaults = widget_defaults,
	.options = widget_option_list, .nr_options = ARRAY_SIZE(widget_option_list),
	.finish = widget_finish, .check = widget_check,
};

/* ---- the tests ---------------------------------------------------------------------- */

struct fixture {
	char path[PATH_MAX];
	struct vm_config cfg;
	struct error err;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");
	if (!f)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/passvm-widget-XXXXXX.ini",
		 tmp && *tmp ? tmp : "/tmp");
	int fd = mkstemps(f->path, 4);
	if (fd < 0)
		return -1;
	close(fd);
	config_defaults(&f->cfg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	config_release(&f->cfg);
	unlink(f->path);
	free(f);
	return 0;
}

static int load(struct fixture *f, const char *text)
{
	FILE *fp = fopen(f->path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	config_release(&f->cfg);
	config_defaults(&f->cfg);
	f->err.msg[0] = '\0';
	return profile_load(f->path, &f->cfg, &f->err);
}

static void test_profile_reads_the_new_section(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(widget_config(&f->cfg)->count, 3);   /* its defaults */
	assert_int_equal(load(f, "[machine]\nmemory = 1G\n[widget]\ncolor = red\ncount = 7\n"), 0);
	assert_string_equal(widget_config(&f->cfg)->color, "red");
	assert_int_equal(widget_config(&f->cfg)->count, 7);
	assert_int_equal(f->cfg.memory, 1ull << 30);

	assert_int_equal(load(f, "[widget]\ncolor = green\n"), -1);
	assert_non_null(strstr(f->err.msg, ":2: color = green: use red or blue"));
	assert_int_equal(load(f, "[widget]\nweight = 2\n"), -1);
	assert_non_null(strstr(f->err.msg, ":2: unknown key 'weight' in [widget]: its keys are "
			       "color, count"));
	assert_int_equal(load(f, "[widget]\ncount = 2\n"), -1);   /* its finish, its line */
	assert_non_null(strstr(f->err.msg, ":2: a count needs a color"));
	assert_int_equal(load(f, "[network]\n"), -1);
	assert_non_null(strstr(f->err.msg, "[input], [audio], [widget]"));
}

static void test_flags_and_help_read_it(void **state)
{
	struct fixture *f = *state;
	char *argv[] = { "run", "--widget-color", "blue", "--cpus", "2", NULL };
	assert_int_equal(cli_parse_run(5, argv, &f->cfg, &f->err), 0);
	assert_string_equal(widget_config(&f->cfg)->color, "blue");
	assert_int_equal(f->cfg.cpus, 2);
	char *bad[] = { "run", "--widget-color", "green", NULL };
	assert_int_equal(cli_parse_run(3, bad, &f->cfg, &f->err), -1);
	assert_string_equal(f->err.msg, "--widget-color green: use red or blue");

	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	cli_usage_run(out);
	fclose(out);
	assert_non_null(strstr(text, "\n[widget]\n  --widget-color red|blue\n"
			       "                       the widget's colour\n"));
	free(text);
}

static void test_check_asks_it(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load(f, "[widget]\ncolor = blue\n"), 0);
	struct check_env env;
	check_env_init(&env, &f->cfg);
	struct report r;
	report_init(&r);
	check_profile(&r, &env, &f->cfg);
	bool found = false;
	for (unsigned i = 0; i < r.n; i++)
		if (!strcmp(r.lines[i].what, "widget")) {
			assert_string_equal(r.lines[i].detail, "3 blue widgets");
			found = true;
		}
	assert_true(found);
	report_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_profile_reads_the_new_section, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flags_and_help_read_it, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_asks_it, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
