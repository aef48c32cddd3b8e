// SPDX-License-Identifier: GPL-2.0-only
/*
 * `passvm run [PROFILE] [FLAGS]`: the flags and their --help are the
 * devices' VMM_OPTIONS() declarations (vmm/options.h), the same setters a
 * profile's keys go through; this file adds only --verbose and --help.
 */
#include "app/cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "app/profile.h"
#include "display-shm/options.h"
#include "vmm/options.h"

#define CLI_MAX_FLAGS 96
#define CLI_HELP_COLUMN 23

enum { CLI_FLAG_BASE = 256, CLI_OPT_VERBOSE = 1024, CLI_OPT_HELP };

/* Every declared flag, in the declarations' order, as getopt wants them. */
struct cli_table {
	struct option getopt[CLI_MAX_FLAGS + 3];
	const struct vmm_options *decl[CLI_MAX_FLAGS];
	const struct vmm_option *opt[CLI_MAX_FLAGS];
	size_t n;
};

static void cli_table_build(struct cli_table *t)
{
	const struct vmm_options *all[VMM_OPTIONS_MAX];
	size_t nd = vmm_options_all(all);
	t->n = 0;
	for (size_t i = 0; i < nd; i++) {
		for (size_t k = 0; k < all[i]->nr_options && t->n < CLI_MAX_FLAGS; k++) {
			const struct vmm_option *o = &all[i]->options[k];
			if (!o->flag)
				continue;
			t->decl[t->n] = all[i];
			t->opt[t->n] = o;
			t->getopt[t->n] = (struct option){
				o->flag, o->arg ? required_argument : no_argument, NULL,
				CLI_FLAG_BASE + (int)t->n,
			};
			t->n++;
		}
	}
	t->getopt[t->n] = (struct option){ "verbose", no_argument, NULL, CLI_OPT_VERBOSE };
	t->getopt[t->n + 1] = (struct option){ "help", no_argument, NULL, CLI_OPT_HELP };
	t->getopt[t->n + 2] = (struct option){ NULL, 0, NULL, 0 };
}

/* "  --flag ARG          help", continuation lines under the help column
 * (and the whole help there when the flag is too long to leave room). */
static void cli_usage_flag(FILE *out, const char *flag, const char *arg, const char *help)
{
	int n = fprintf(out, "  --%s%s%s", flag, arg ? " " : "", arg ? arg : "");
	if (n <= CLI_HELP_COLUMN - 2)
		fprintf(out, "%*s", CLI_HELP_COLUMN - n, "");
	else
		fprintf(out, "\n%*s", CLI_HELP_COLUMN, "");
	for (const char *s = help ? help : ""; *s; s++) {
		fputc(*s, out);
		if (*s == '\n')
			fprintf(out, "%*s", CLI_HELP_COLUMN, "");
	}
	fputc('\n', out);
}

void cli_usage_run(FILE *out)
{
	struct cli_table t;
	cli_table_build(&t);
	fputs("usage: passvm run [PROFILE] [OPTIONS]\n"
	      "\n"
	      "Boot a guest on KVM. PROFILE is a name from `passvm list` or a path to an\n"
	      "INI file (profiles/README.md); the options below override its values,\n"
	      "grouped by the profile section they stand for.\n",
	      out);
	const char *section = NULL;
	for (size_t i = 0; i < t.n; i++) {
		if (!section || strcmp(section, t.decl[i]->section)) {
			section = t.decl[i]->section;
			fprintf(out, "\n[%s%s]\n", section, t.decl[i]->named ? ".NAME" : "");
		}
		cli_usage_flag(out, t.opt[i]->flag, t.opt[i]->arg, t.opt[i]->help);
	}
	fputc('\n', out);
	cli_usage_flag(out, "verbose", NULL, "debug logging");
	fputs("\n"
	      "Exit status: 0 when the guest powers off, 1 on a guest fault (triple fault,\n"
	      "kernel panic, KVM error) or a setup error, 2 on a usage error, 128+N when\n"
	      "stopped by signal N.\n",
	      out);
}

/* The PROFILE argument, wherever it stands among the flags ("-": getopt
 * returns non-options as 1 instead of stopping or reordering argv). */
static int cli_find_profile(int argc, char **argv, const struct cli_table *t,
			    const char **profile, struct error *err)
{
	optind = 0; /* reset getopt so the parser can run more than once (tests) */
	opterr = 0;
	*profile = NULL;
	int opt;
	while ((opt = getopt_long(argc, argv, "-", t->getopt, NULL)) != -1) {
		if (opt != 1)
			continue;
		if (*profile)
			return err_setf(err, "unexpected argument '%s' after the profile '%s' (one "
					"PROFILE at most; see passvm run --help)", optarg, *profile);
		*profile = optarg;
	}
	return 0;
}

/* One declared flag through its setter; errors name the flag and value. */
static int cli_apply_declared(const struct cli_table *t, size_t i, const char *arg,
			      struct vm_config *cfg, struct error *err)
{
	const struct vmm_option *o = t->opt[i];
	char flag[64];
	snprintf(flag, sizeof(flag), "--%s", o->flag);
	struct vmm_option_ctx ctx = {
		.options = t->decl[i], .cfg = cfg, .part = vmm_options_part(cfg, t->decl[i]),
		.item = -1, .flag = flag,
	};
	const char *value = o->arg ? arg : o->value;
	struct error e = { "" };
	if (((o->flags & VMM_OPT_NEW_ITEM) && t->decl[i]->open(&ctx, NULL, &e)) ||
	    o->set(&ctx, value, &e))
		return o->arg ? err_setf(err, "%s %s: %s", flag, arg, e.msg)
			      : err_setf(err, "%s: %s", flag, e.msg);
	return 0;
}

static int cli_apply_flag(const struct cli_table *t, int opt, char **argv, struct vm_config *cfg,
			  struct error *err)
{
	if (opt >= CLI_FLAG_BASE && (size_t)(opt - CLI_FLAG_BASE) < t->n)
		return cli_apply_declared(t, (size_t)(opt - CLI_FLAG_BASE), optarg, cfg, err);
	switch (opt) {
	case CLI_OPT_VERBOSE:
		log_set_level(LOG_DEBUG);
		return 0;
	case CLI_OPT_HELP:
		cli_usage_run(stdout);
		return 1;
	case ':':
		return err_setf(err, "%s needs a value", argv[optind - 1]);
	default:
		return err_setf(err, "unknown option '%s' (see passvm run --help)",
				argv[optind - 1]);
	}
}

int cli_parse_run(int argc, char **argv, struct vm_config *cfg, struct error *err)
{
	struct cli_table t;
	cli_table_build(&t);
	const char *profile;
	if (cli_find_profile(argc, argv, &t, &profile, err))
		return -1;
	/* The profile first, so that every flag overrides it. */
	if (profile && profile_load(profile, cfg, err))
		return -1;
	optind = 0;
	opterr = 0;
	int opt;
	while ((opt = getopt_long(argc, argv, "-", t.getopt, NULL)) != -1) {
		if (opt == 1)
			continue;
		int r = cli_apply_flag(&t, opt, argv, cfg, err);
		if (r)
			return r;
	}
	/* A profile's [display] turns the viewer on by default; --view alone
	 * has nothing to show. */
	const struct display_config *d = display_config(cfg);
	if (d->viewer && !d->enabled)
		return err_setf(err, "--view: there is no display to view; add --shm PATH (or "
				"use a profile with a [display] section)");
	return 0;
}
