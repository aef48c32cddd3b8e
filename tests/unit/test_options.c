// SPDX-License-Identifier: GPL-2.0-only
/*
 * The devices' VMM_OPTIONS() declarations (vmm/options.h): the registry's
 * rules (no key or flag declared twice, every flag documented in --help,
 * blocks that fit), and profiles/README.md's key tables against the
 * declarations, both ways: a key added without its documentation, or
 * documentation left for a key that is gone, fails here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "app/cli.h"
#include "passvm-config.h"
#include "vmm/options.h"

#define README PASSVM_SOURCE_ROOT "/profiles/README.md"
#define MAX_DOC 256

struct doc_key {
	char section[64];   /* "disk" for ### [disk.NAME] */
	char key[64];
	bool declared;
};

struct doc {
	struct doc_key k[MAX_DOC];
	size_t n;
};

/* "### [disk.NAME]" -> "disk"; 0 when the line is no section heading. */
static int doc_heading(const char *line, char *section, size_t len)
{
	if (strncmp(line, "### [", 5))
		return 0;
	size_t n = strcspn(line + 5, ".]");
	if (n >= len)
		return 0;
	memcpy(section, line + 5, n);
	section[n] = '\0';
	return 1;
}

/* Every `key` in a table row's first cell: "| `width`, `height` | ...". */
static void doc_row(struct doc *d, const char *section, const char *line)
{
	const char *end = strchr(line + 1, '|');
	for (const char *s = line + 1; end && (s = strchr(s, '`')) && s < end;) {
		const char *e = strchr(s + 1, '`');
		assert_non_null(e);
		assert_true(d->n < MAX_DOC);
		struct doc_key *k = &d->k[d->n++];
		snprintf(k->section, sizeof(k->section), "%s", section);
		snprintf(k->key, sizeof(k->key), "%.*s", (int)(e - s - 1), s + 1);
		k->declared = false;
		s = e + 1;
	}
}

static void doc_read(struct doc *d)
{
	FILE *f = fopen(README, "r");
	assert_non_null(f);
	char line[1024], section[64] = "";
	d->n = 0;
	while (fgets(line, sizeof(line), f)) {
		if (doc_heading(line, section, sizeof(section)))
			continue;
		if (section[0] && !strncmp(line, "| `", 3))
			doc_row(d, section, line);
		else if (!strncmp(line, "## ", 3))
			section[0] = '\0';
	}
	fclose(f);
	assert_true(d->n > 20);   /* the tables were found at all */
}

static struct doc_key *doc_find(struct doc *d, const char *section, const char *key)
{
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->k[i].section, section) && !strcmp(d->k[i].key, key))
			return &d->k[i];
	return NULL;
}

static void test_readme_documents_every_key(void **state)
{
	static struct doc d;
	doc_read(&d);
	const struct vmm_options *all[VMM_OPTIONS_MAX];
	size_t n = vmm_options_all(all);
	unsigned missing = 0;
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < all[i]->nr_options; k++) {
			const char *key = all[i]->options[k].key;
			if (!key)
				continue;
			struct doc_key *dk = doc_find(&d, all[i]->section, key);
			if (!dk) {
				fprintf(stderr, "profiles/README.md has no row for [%s] %s\n",
					all[i]->section, key);
				missing++;
			} else {
				dk->declared = true;
			}
		}
	}
	for (size_t i = 0; i < d.n; i++) {
		if (!d.k[i].declared) {
			fprintf(stderr, "profiles/README.md documents [%s] %s, which no device "
				"declares\n", d.k[i].section, d.k[i].key);
			missing++;
		}
	}
	assert_int_equal(missing, 0);
}

/* No key twice in a section, no flag twice anywhere, a setter for each,
 * help for each flag, named sections that can open an item. */
static void test_declarations_consistent(void **state)
{
	const struct vmm_options *all[VMM_OPTIONS_MAX];
	size_t n = vmm_options_all(all);
	assert_true(n >= 8);
	for (size_t i = 0; i < n; i++) {
		const struct vmm_options *o = all[i];
		assert_non_null(o->section);
		if (o->named)
			assert_true(o->open && o->item_example);
		for (size_t k = 0; k < o->nr_options; k++) {
			const struct vmm_option *a = &o->options[k];
			assert_true(a->key || a->flag);
			assert_non_null(a->set);
			if (a->flag)
				assert_non_null(a->help);
			if (a->flags & VMM_OPT_NEW_ITEM)
				assert_non_null(o->open);
			for (size_t j = 0; j < n; j++) {
				for (size_t m = 0; m < all[j]->nr_options; m++) {
					const struct vmm_option *b = &all[j]->options[m];
					if (a == b)
						continue;
					if (a->flag && b->flag)
						assert_string_not_equal(a->flag, b->flag);
					if (a->key && b->key && !strcmp(o->section, all[j]->section))
						assert_string_not_equal(a->key, b->key);
				}
			}
		}
	}
}

/* Every declared flag is in `passvm run --help`, with its argument. */
static void test_help_lists_every_flag(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	cli_usage_run(f);
	fclose(f);
	const struct vmm_options *all[VMM_OPTIONS_MAX];
	size_t n = vmm_options_all(all);
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < all[i]->nr_options; k++) {
			const struct vmm_option *a = &all[i]->options[k];
			if (!a->flag)
				continue;
			char want[128];
			snprintf(want, sizeof(want), "  --%s%s%s\n", a->flag, a->arg ? " " : "",
				 a->arg ? a->arg : "");
			char want_col[128];
			snprintf(want_col, sizeof(want_col), "  --%s%s%s ", a->flag, a->arg ? " " : "",
				 a->arg ? a->arg : "");
			if (!strstr(text, want) && !strstr(text, want_col))
				fail_msg("--help lacks --%s", a->flag);
		}
	}
	free(text);
}

/* Each block starts from its defaults, apart from the others. */
static void test_blocks_apart(void **state)
{
	struct vm_config *cfg = malloc(sizeof(*cfg));
	assert_non_null(cfg);
	config_defaults(cfg);
	const struct vmm_options *all[VMM_OPTIONS_MAX];
	size_t n = vmm_options_all(all);
	for (size_t i = 0; i < n; i++) {
		uint8_t *a = vmm_options_part(cfg, all[i]);
		assert_true(!a == !all[i]->size);
		if (!a)
			continue;
		assert_true(a >= cfg->parts && a + all[i]->size <= cfg->parts + sizeof(cfg->parts));
		for (size_t j = 0; j < n; j++) {
			uint8_t *b = vmm_options_part(cfg, all[j]);
			if (j == i || !b)
				continue;
			assert_true(a + all[i]->size <= b || b + all[j]->size <= a);
		}
	}
	config_release(cfg);
	free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readme_documents_every_key),
		cmocka_unit_test(test_declarations_consistent),
		cmocka_unit_test(test_help_lists_every_flag),
		cmocka_unit_test(test_blocks_apart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
