// SPDX-License-Identifier: GPL-2.0-only
/*
 * The registry of VMM_OPTIONS() declarations (options.h) and the helpers
 * their setters share. The declarations' blocks live in vm_config->parts,
 * one after another in the order the linker put the declarations, so a
 * block's place is fixed for the life of the program.
 */
#include "vmm/options.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The linker collects every VMM_OPTIONS() pointer into this section. */
extern const struct vmm_options *const __start_passvm_options[];
extern const struct vmm_options *const __stop_passvm_options[];

static int vmm_options_cmp(const void *a, const void *b)
{
	const struct vmm_options *x = *(const struct vmm_options *const *)a;
	const struct vmm_options *y = *(const struct vmm_options *const *)b;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return strcmp(x->section, y->section);
}

size_t vmm_options_all(const struct vmm_options *out[VMM_OPTIONS_MAX])
{
	size_t n = 0;
	for (const struct vmm_options *const *o = __start_passvm_options;
	     o < __stop_passvm_options && n < VMM_OPTIONS_MAX; o++)
		out[n++] = *o;
	qsort(out, n, sizeof(out[0]), vmm_options_cmp);
	return n;
}

#define VMM_OPTIONS_ALIGN 16

void *vmm_options_part(const struct vm_config *cfg, const struct vmm_options *o)
{
	size_t at = 0;
	for (const struct vmm_options *const *p = __start_passvm_options;
	     p < __stop_passvm_options; p++) {
		if (*p == o)
			return o->size ? (void *)&cfg->parts[at] : NULL;
		at += ALIGN_UP((*p)->size, VMM_OPTIONS_ALIGN);
	}
	return NULL;
}

void vmm_options_defaults(struct vm_config *cfg)
{
	size_t at = 0;
	memset(cfg->parts, 0, sizeof(cfg->parts));
	for (const struct vmm_options *const *p = __start_passvm_options;
	     p < __stop_passvm_options; p++) {
		at += ALIGN_UP((*p)->size, VMM_OPTIONS_ALIGN);
		/* A programming error (a block grew), not a user's: say so at once. */
		if (at > sizeof(cfg->parts)) {
			log_error("internal: the options' blocks need more than %zu bytes: "
				  "raise CONFIG_PARTS_BYTES in vmm/config.h", sizeof(cfg->parts));
			abort();
		}
		if ((*p)->defaults)
			(*p)->defaults(vmm_options_part(cfg, *p));
	}
}

int vmm_option_path(struct vmm_option_ctx *ctx, const char *value, const char **out,
		    struct error *err)
{
	const char *s = ctx->src ? ctx->src->path(ctx->src_opaque, value, err) : value;
	if (!s)
		return -1;
	*out = s;
	return 0;
}

int vmm_option_str(struct vmm_option_ctx *ctx, const char *value, const char **out,
		   struct error *err)
{
	char *s = config_strdup(ctx->cfg, value);
	if (!s)
		return err_setf(err, "out of memory");
	*out = s;
	return 0;
}

int vmm_option_bool(const char *value, bool *out, struct error *err)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcmp(value, yes[i]) || !strcmp(value, no[i])) {
			*out = !strcmp(value, yes[i]);
			return 0;
		}
	}
	return err_setf(err, "use yes or no");
}

int vmm_option_uint(const char *value, unsigned min, unsigned max, unsigned *out)
{
	if (!isdigit((unsigned char)value[0]))
		return -1;
	errno = 0;
	char *end;
	unsigned long v = strtoul(value, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

unsigned vmm_option_line_of(const struct vmm_option_ctx *ctx, int item, const char *key)
{
	if (!ctx->src)
		return 0;
	return ctx->src->line_of(ctx->src_opaque, ctx->options, item, key);
}

int vmm_option_new_item(struct vmm_option_ctx *ctx, unsigned *n, unsigned max,
			const char *what, const char *one, const char *item, struct error *err)
{
	if (*n < max) {
		ctx->item = (int)(*n)++;
		return 0;
	}
	if (ctx->flag)
		return err_setf(err, "at most %u %s", max, what);
	return err_setf(err, "too many %s: a VM has at most %u ([%s.%s] would be %s %u)", what, max,
			ctx->options->section, item, one, *n + 1);
}

int vmm_option_hint(struct error *err, const char *hint)
{
	char old[sizeof(err->msg)];
	memcpy(old, err->msg, sizeof(old));
	return err_setf(err, "%.*s; %s", (int)(sizeof(old) - 64), old, hint);
}

const struct vmm_options *vmm_options_ivshmem_twin(const struct vm_config *cfg,
						   const struct vmm_options *o)
{
	uint64_t size = o->ivshmem_size ? o->ivshmem_size(cfg) : 0;
	if (!size)
		return NULL;
	for (const struct vmm_options *const *p = __start_passvm_options;
	     p < __stop_passvm_options; p++)
		if (*p != o && (*p)->ivshmem_size && (*p)->ivshmem_size(cfg) == size)
			return *p;
	return NULL;
}
