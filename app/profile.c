// SPDX-License-Identifier: GPL-2.0-only
/*
 * Profile files: finding them, reading them line by line into libinih, and
 * the messages. The sections and keys are the devices' VMM_OPTIONS()
 * declarations (vmm/options.h): each device declares its own, in its folder.
 *
 * libinih (Debian's build) tells its handler no line numbers and says little
 * about a bad line, so our reader feeds it one line at a time: it counts the
 * lines, refuses what libinih would truncate or misread (long lines,
 * continuation lines, headers without ']', lines without '='), and handles
 * section headers itself (libinih does not report a header without keys).
 * libinih then splits each key line: name, value, inline comment.
 */
#include "app/profile.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "passvm-config.h"
#include "vmm/options.h"

#define PROFILE_SOURCE_DIR PASSVM_SOURCE_ROOT "/profiles"
#define PROFILE_MAX_SECTION 64

/* A header or a key, where it was: duplicates and cross-key messages. */
struct profile_mark {
	char section[PROFILE_MAX_SECTION];  /* "machine", "disk.system" */
	const char *base;                   /* "disk": the declarations' name */
	int item;                           /* named sections: the item; else -1 */
	const char *key;                    /* NULL: the section header */
	unsigned line;
};

struct profile_parser {
	struct vm_config *cfg;
	const char *path;            /* as named in messages */
	char *dir;                   /* the profile's folder, absolute */
	FILE *f;
	char *buf;                   /* getline() buffer: the line being parsed */
	size_t cap;
	unsigned lineno;
	struct error *err;
	bool failed;
	/* libinih's own state, mirrored: after a key line (until the next
	 * header) an indented line continues that key's value. */
	bool after_key;

	/* The sections: every VMM_OPTIONS() declaration, in order. */
	const struct vmm_options *decl[VMM_OPTIONS_MAX];
	size_t nr_decl;
	const char *section;         /* the header's base name; NULL before the first */
	char section_name[PROFILE_MAX_SECTION];
	int item;                    /* named sections: the item the header opened */

	struct profile_mark *marks;
	size_t nr_marks, cap_marks;
};

/* ---- messages ---------------------------------------------------------------- */

__attribute__((format(printf, 3, 4)))
static int profile_fail(struct profile_parser *p, unsigned line, const char *fmt, ...)
{
	char msg[sizeof(p->err->msg)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->failed = true;
	return err_setf(p->err, "%s:%u: %s", p->path, line, msg);
}

static unsigned profile_line_of(const struct profile_parser *p, const char *section,
				const char *key)
{
	for (size_t i = 0; i < p->nr_marks; i++) {
		const struct profile_mark *m = &p->marks[i];
		if (strcmp(m->section, section))
			continue;
		if (key ? m->key && !strcmp(m->key, key) : !m->key)
			return m->line;
	}
	return 0;
}

static int profile_mark(struct profile_parser *p, const char *key)
{
	if (p->nr_marks == p->cap_marks) {
		size_t cap = p->cap_marks ? p->cap_marks * 2 : 32;
		struct profile_mark *m = realloc(p->marks, cap * sizeof(*m));
		if (!m)
			return profile_fail(p, p->lineno, "out of memory");
		p->marks = m;
		p->cap_marks = cap;
	}
	struct profile_mark *m = &p->marks[p->nr_marks++];
	memcpy(m->section, p->section_name, sizeof(m->section));
	m->base = p->section;
	m->item = p->item;
	m->key = key;
	m->line = p->lineno;
	return 0;
}

unsigned profile_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 32 || lb > 32)      /* no typo of a 20-letter key is that long */
		return UINT_MAX;
	unsigned d[33][33];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			unsigned cost = a[i - 1] != b[j - 1];
			unsigned v = MIN(d[i - 1][j] + 1, d[i][j - 1] + 1);
			v = MIN(v, d[i - 1][j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
				v = MIN(v, d[i - 2][j - 2] + 1);
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

/* ---- paths --------------------------------------------------------------------- */

static const char *profile_path_value(struct profile_parser *p, const char *value,
				      struct error *err)
{
	if (value[0] == '~') {
		err_setf(err, "'~' is not expanded here: write the full path, like /home/USER/...");
		return NULL;
	}
	if (value[0] == '/') {
		const char *s = config_strdup(p->cfg, value);
		if (!s)
			err_setf(err, "out of memory");
		return s;
	}
	/* p->dir is canonical (realpath), so leading "./" and "../" can be
	 * resolved by hand: it has no symlink whose ".." would go elsewhere. */
	size_t dlen = strlen(p->dir);
	const char *v = value;
	for (;;) {
		if (!strncmp(v, "./", 2)) {
			v += 2;
		} else if (!strcmp(v, ".")) {
			v += 1;
		} else if (!strncmp(v, "../", 3) || !strcmp(v, "..")) {
			while (dlen > 1 && p->dir[dlen - 1] != '/')
				dlen--;
			if (dlen > 1)
				dlen--;      /* the '/' before the dropped name */
			v += v[2] ? 3 : 2;
		} else {
			break;
		}
	}
	size_t n = dlen + 1 + strlen(v) + 1;
	char *s = malloc(n);
	if (!s || !config_own(p->cfg, s)) {
		err_setf(err, "out of memory");
		return NULL;
	}
	bool root = dlen == 1 && p->dir[0] == '/';
	snprintf(s, n, "%.*s%s%s", (int)(root ? 0 : dlen), p->dir, *v || root ? "/" : "", v);
	return s;
}

/* ---- lines ----------------------------------------------------------------------- */

/* libinih's find_chars_or_comment(): the first of `chars`, or the ';' of an
 * inline comment (one after whitespace), or the end. */
static const char *profile_find(const char *s, const char *chars)
{
	bool was_space = false;
	while (*s && (!chars || !strchr(chars, *s)) && !(was_space && *s == ';')) {
		was_space = isspace((unsigned char)*s);
		s++;
	}
	return s;
}

static const char *profile_skip_space(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

/* ---- the devices' declarations as a source of values ----------------------------- */

static const char *profile_src_path(void *opaque, const char *value, struct error *err)
{
	return profile_path_value(opaque, value, err);
}

static unsigned profile_src_line_of(void *opaque, const struct vmm_options *o, int item,
				    const char *key)
{
	const struct profile_parser *p = opaque;
	for (size_t i = 0; i < p->nr_marks; i++) {
		const struct profile_mark *m = &p->marks[i];
		if (!m->base || strcmp(m->base, o->section) || (o->named && m->item != item))
			continue;
		if (key ? m->key && !strcmp(m->key, key) : !m->key)
			return m->line;
	}
	return 0;
}

static const struct vmm_option_src profile_src = {
	.path = profile_src_path,
	.line_of = profile_src_line_of,
};

static struct vmm_option_ctx profile_ctx(struct profile_parser *p, const struct vmm_options *o)
{
	return (struct vmm_option_ctx){
		.options = o, .cfg = p->cfg, .part = vmm_options_part(p->cfg, o),
		.item = o->named ? p->item : -1, .line = p->lineno,
		.src = &profile_src, .src_opaque = p,
	};
}

/* ---- sections --------------------------------------------------------------------- */

/* The first declaration of each section, in order (several may share one). */
static bool profile_decl_first(const struct profile_parser *p, size_t i)
{
	return !i || strcmp(p->decl[i - 1]->section, p->decl[i]->section);
}

/* The sections as a list for messages: "[machine], [cpu], [disk.NAME]...". */
static void profile_section_list(const struct profile_parser *p, char *buf, size_t len)
{
	size_t at = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < p->nr_decl && at < len; i++) {
		if (!profile_decl_first(p, i))
			continue;
		at += (size_t)snprintf(buf + at, len - at, "%s[%s%s]", at ? ", " : "",
				       p->decl[i]->section, p->decl[i]->named ? ".NAME" : "");
	}
}

static const struct vmm_options *profile_section_find(const struct profile_parser *p,
						      const char *name)
{
	for (size_t i = 0; i < p->nr_decl; i++)
		if (!strcmp(p->decl[i]->section, name))
			return p->decl[i];
	return NULL;
}

static int profile_unknown_section(struct profile_parser *p, const char *base, const char *item)
{
	const struct vmm_options *best = NULL;
	unsigned best_d = UINT_MAX;
	for (size_t i = 0; i < p->nr_decl; i++) {
		unsigned d = profile_edit_distance(base, p->decl[i]->section);
		if (d < best_d) {
			best_d = d;
			best = p->decl[i];
		}
	}
	const char *dot = item ? "." : "";
	if (best && best_d <= 2)
		return profile_fail(p, p->lineno, "unknown section [%s%s%s] — did you mean [%s%s%s]?",
				    base, dot, item ? item : "", best->section,
				    best->named ? "." : "", best->named ? (item ? item : "NAME") : "");
	char list[256];
	profile_section_list(p, list, sizeof(list));
	return profile_fail(p, p->lineno, "unknown section [%s%s%s]: the sections are %s", base, dot,
			    item ? item : "", list);
}

static bool profile_item_ok(const char *item)
{
	for (const char *c = item; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_')
			return false;
	return *item != '\0';
}

/* Every declaration of the section hears of its header. */
static int profile_open_section(struct profile_parser *p, const char *item)
{
	p->item = -1;
	for (size_t i = 0; i < p->nr_decl; i++) {
		const struct vmm_options *o = p->decl[i];
		if (strcmp(o->section, p->section) || !o->open)
			continue;
		struct vmm_option_ctx ctx = profile_ctx(p, o);
		struct error e;
		if (o->open(&ctx, item, &e))
			return profile_fail(p, p->lineno, "%s", e.msg);
		if (o->named)
			p->item = ctx.item;
	}
	return 0;
}

/* "[name]" or "[name.ITEM]", name already cut out of the brackets. */
static int profile_header(struct profile_parser *p, char name[PROFILE_MAX_SECTION])
{
	char full[PROFILE_MAX_SECTION];
	memcpy(full, name, sizeof(full));
	char *item = strchr(name, '.');
	if (item)
		*item++ = '\0';
	const struct vmm_options *s = profile_section_find(p, name);
	if (!s)
		return profile_unknown_section(p, name, item);
	if (s->named && !item)
		return profile_fail(p, p->lineno, "[%s] needs a name: one section per %s, like "
				    "[%s.%s]", name, name, name, s->item_example);
	if (!s->named && item)
		return profile_fail(p, p->lineno, "[%s] takes no name: write [%s]", name, name);
	if (item && !profile_item_ok(item))
		return profile_fail(p, p->lineno, "bad name '%s' in [%s.%s]: use letters, digits, "
				    "'-' and '_'", item, name, item);
	memcpy(p->section_name, full, sizeof(full));
	unsigned first = profile_line_of(p, p->section_name, NULL);
	if (first)
		return profile_fail(p, p->lineno, "[%s] again (first on line %u): %s",
				    p->section_name, first, item ? "give each its own name" :
				    "put all its keys under one header");
	p->section = s->section;
	p->after_key = false;
	if (profile_open_section(p, item))
		return -1;
	return profile_mark(p, NULL);
}

static int profile_header_line(struct profile_parser *p, const char *start)
{
	const char *end = profile_find(start + 1, "]");
	if (*end != ']')
		return profile_fail(p, p->lineno, "section header without ']': write it like "
				    "[machine]");
	const char *rest = profile_skip_space(end + 1);
	if (*rest && *rest != ';' && *rest != '#')
		return profile_fail(p, p->lineno, "text after the section header: put comments on "
				    "their own line, or after ';'");
	const char *a = profile_skip_space(start + 1), *b = end;
	while (b > a && isspace((unsigned char)b[-1]))
		b--;
	if (b == a)
		return profile_fail(p, p->lineno, "empty section header []: write a section "
				    "name, like [machine]");
	char name[PROFILE_MAX_SECTION];
	if ((size_t)(b - a) >= sizeof(name))
		return profile_fail(p, p->lineno, "section name longer than %zu characters",
				    sizeof(name) - 1);
	memcpy(name, a, (size_t)(b - a));
	name[b - a] = '\0';
	return profile_header(p, name);
}

/* Check one line before libinih sees it; headers are handled here. */
static int profile_line(struct profile_parser *p)
{
	const char *line = p->buf;
	if (p->lineno == 1 && !strncmp(line, "\xEF\xBB\xBF", 3))
		line += 3;   /* libinih skips a UTF-8 BOM, so must we */
	const char *start = profile_skip_space(line);
	if (!*start || *start == ';' || *start == '#')
		return 0;
	if (start > line && p->after_key)
		return profile_fail(p, p->lineno, "indented line: INI reads it as more of the value "
				    "on the line above; remove the indentation");
	if (*start == '[')
		return profile_header_line(p, start);
	const char *sep = profile_find(start, "=:");
	if (*sep != '=' && *sep != ':')
		return profile_fail(p, p->lineno, "expected 'key = value' or a [section] header");
	p->after_key = true;
	return 0;
}

static char *profile_reader(char *str, int num, void *stream)
{
	struct profile_parser *p = stream;
	if (p->failed)
		return NULL;
	errno = 0;
	ssize_t n = getline(&p->buf, &p->cap, p->f);
	if (n < 0) {
		if (ferror(p->f))
			profile_fail(p, p->lineno + 1, "cannot read the file: %s", strerror(errno ? errno : EIO));
		return NULL;
	}
	p->lineno++;
	size_t len = (size_t)n;
	if (strlen(p->buf) != len) {
		profile_fail(p, p->lineno, "NUL byte in the line: a profile is a text file");
		return NULL;
	}
	while (len && (p->buf[len - 1] == '\n' || p->buf[len - 1] == '\r'))
		p->buf[--len] = '\0';
	/* libinih's line buffer is num bytes: a longer line would be cut and
	 * the rest read as a line of its own. */
	if (num < 1 || len > (size_t)num - 1) {
		profile_fail(p, p->lineno, "line is %zu characters long, the most is %d: shorten it "
			     "(a long cmdline can go over several 'cmdline =' lines)", len, num - 1);
		return NULL;
	}
	if (profile_line(p))
		return NULL;
	memcpy(str, p->buf, len + 1);
	return str;
}

/* ---- keys ---------------------------------------------------------------------- */

/* The option `name` in section `section`, and its declaration. */
static const struct vmm_option *profile_key_find(const struct profile_parser *p,
						 const char *section, const char *name,
						 const struct vmm_options **decl)
{
	for (size_t i = 0; i < p->nr_decl; i++) {
		const struct vmm_options *o = p->decl[i];
		if (strcmp(o->section, section))
			continue;
		for (size_t k = 0; k < o->nr_options; k++) {
			if (o->options[k].key && !strcmp(o->options[k].key, name)) {
				*decl = o;
				return &o->options[k];
			}
		}
	}
	return NULL;
}

static const struct vmm_options *profile_section_of_key(const struct profile_parser *p,
							const char *name)
{
	const struct vmm_options *decl;
	for (size_t i = 0; i < p->nr_decl; i++)
		if (profile_key_find(p, p->decl[i]->section, name, &decl))
			return decl;
	return NULL;
}

#define PROFILE_MAX_KEYS 64

/* The keys of the current section, in order; returns how many. */
static size_t profile_section_keys(const struct profile_parser *p,
				   const char *out[PROFILE_MAX_KEYS])
{
	size_t n = 0;
	for (size_t i = 0; i < p->nr_decl; i++) {
		const struct vmm_options *o = p->decl[i];
		if (strcmp(o->section, p->section))
			continue;
		for (size_t k = 0; k < o->nr_options && n < PROFILE_MAX_KEYS; k++)
			if (o->options[k].key)
				out[n++] = o->options[k].key;
	}
	return n;
}

static int profile_unknown_key(struct profile_parser *p, const char *name)
{
	const char *keys[PROFILE_MAX_KEYS], *best = NULL;
	size_t nk = profile_section_keys(p, keys);
	unsigned best_d = UINT_MAX;
	for (size_t i = 0; i < nk; i++) {
		unsigned d = profile_edit_distance(name, keys[i]);
		if (d < best_d) {
			best_d = d;
			best = keys[i];
		}
	}
	if (best && best_d <= 2)
		return profile_fail(p, p->lineno, "unknown key '%s' in [%s] — did you mean '%s'?",
				    name, p->section_name, best);
	const struct vmm_options *other = profile_section_of_key(p, name);
	if (other)
		return profile_fail(p, p->lineno, "'%s' belongs in [%s%s], not in [%s]", name,
				    other->section, other->named ? ".NAME" : "", p->section_name);
	char list[256];
	size_t at = 0;
	list[0] = '\0';
	for (size_t i = 0; i < nk && at < sizeof(list); i++)
		at += (size_t)snprintf(list + at, sizeof(list) - at, "%s%s", i ? ", " : "", keys[i]);
	return profile_fail(p, p->lineno, "unknown key '%s' in [%s]: its keys are %s", name,
			    p->section_name, list);
}

static int profile_outside(struct profile_parser *p, const char *name)
{
	const struct vmm_options *s = profile_section_of_key(p, name);
	if (s)
		return profile_fail(p, p->lineno, "key '%s' before any section: put it under "
				    "[%s%s]", name, s->section, s->named ? ".NAME" : "");
	return profile_fail(p, p->lineno, "key '%s' before any section: start with a section "
			    "header, like [machine]", name);
}

static int profile_key_line(struct profile_parser *p, const char *name, const char *value)
{
	if (!*name)
		return profile_fail(p, p->lineno, "no key name before '='");
	if (!p->section)
		return profile_outside(p, name);
	const struct vmm_options *decl;
	const struct vmm_option *k = profile_key_find(p, p->section, name, &decl);
	if (!k)
		return profile_unknown_key(p, name);
	unsigned first = profile_line_of(p, p->section_name, k->key);
	if (first && !(k->flags & VMM_OPT_REPEATABLE))
		return profile_fail(p, p->lineno, "'%s' is set twice in [%s] (first on line %u): "
				    "keep one", name, p->section_name, first);
	size_t vlen = strlen(value);
	if (!vlen && !(k->flags & VMM_OPT_EMPTY_OK))
		return profile_fail(p, p->lineno, "'%s' has no value: write '%s = VALUE' or remove "
				    "the line", name, name);
	if (vlen >= 2 && (value[0] == '"' || value[0] == '\'') && value[vlen - 1] == value[0])
		return profile_fail(p, p->lineno, "%s = %s: remove the quotes (values are taken as "
				    "written)", name, value);
	struct vmm_option_ctx ctx = profile_ctx(p, decl);
	struct error e = { "" };
	if (k->set(&ctx, value, &e))
		return p->failed ? -1 : profile_fail(p, p->lineno, "%s = %s: %s", name, value, e.msg);
	return first ? 0 : profile_mark(p, k->key);
}

static int profile_handler(void *user, const char *section, const char *name, const char *value)
{
	struct profile_parser *p = user;
	(void)section;   /* ours is p->section: headers are handled by the reader */
	if (p->failed)
		return 0;
	return profile_key_line(p, name, value) ? 0 : 1;
}

/* After the last line: each declaration's defaults and checks across keys. */
static int profile_finish(struct profile_parser *p)
{
	for (size_t i = 0; i < p->nr_decl; i++) {
		const struct vmm_options *o = p->decl[i];
		if (!o->finish)
			continue;
		struct vmm_option_ctx ctx = profile_ctx(p, o);
		ctx.item = -1;
		unsigned line = p->lineno;
		struct error e;
		if (o->finish(&ctx, &line, &e))
			return profile_fail(p, line, "%s", e.msg);
	}
	return 0;
}

/* ---- files --------------------------------------------------------------------- */

static bool profile_is_path(const char *s)
{
	size_t n = strlen(s), e = strlen(PROFILE_EXT);
	return strchr(s, '/') || (n >= e && !strcmp(s + n - e, PROFILE_EXT));
}

unsigned profile_dirs(const char *dirs[PROFILE_MAX_DIRS])
{
	unsigned n = 0;
	const char *env = getenv("PASSVM_PROFILE_DIR");
	if (env && *env)
		dirs[n++] = env;
	dirs[n++] = PROFILE_SOURCE_DIR;
	return n;
}

/* NAME -> DIR/NAME.ini in the first folder that has it; malloc'ed. */
static char *profile_lookup(const char *name, struct error *err)
{
	const char *dirs[PROFILE_MAX_DIRS];
	unsigned n = profile_dirs(dirs);
	for (unsigned i = 0; i < n; i++) {
		char *path;
		if (asprintf(&path, "%s/%s%s", dirs[i], name, PROFILE_EXT) < 0) {
			err_setf(err, "out of memory");
			return NULL;
		}
		struct stat st;
		if (!stat(path, &st))
			return path;
		free(path);
	}
	char where[2 * PATH_MAX];
	snprintf(where, sizeof(where), "%s%s%s", dirs[0], n > 1 ? " and " : "",
		 n > 1 ? dirs[1] : "");
	err_setf(err, "no profile named '%s' (looked for %s%s in %s): 'passvm list' shows the "
		 "profiles there, or give the path of an .ini file", name, name, PROFILE_EXT, where);
	return NULL;
}

static int profile_open(struct profile_parser *p, struct error *err)
{
	p->f = fopen(p->path, "r");
	if (!p->f) {
		int e = errno;
		if (e == ENOENT && !strchr(p->path, '/'))
			return err_setf(err, "%s: no such profile file here: check the name, or give "
					"a profile by name, without %s ('passvm list' shows them)",
					p->path, PROFILE_EXT);
		if (e == ENOENT)
			return err_setf(err, "%s: no such profile file: check the path, or give a "
					"profile name ('passvm list' shows them)", p->path);
		if (e == EACCES)
			return err_setf(err, "%s: cannot read it (permission denied): make it readable "
					"(chmod u+r), or run as its owner", p->path);
		return err_setf(err, "%s: cannot open it: %s", p->path, strerror(e));
	}
	struct stat st;
	if (fstat(fileno(p->f), &st))
		return err_setf(err, "%s: %s", p->path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return err_setf(err, "%s is a directory: give a profile file in it (NAME%s)",
				p->path, PROFILE_EXT);
	if (!S_ISREG(st.st_mode))
		return err_setf(err, "%s is not a regular file: give a profile file (NAME%s)",
				p->path, PROFILE_EXT);
	char *real = realpath(p->path, NULL);
	if (!real)
		return err_setf(err, "%s: %s", p->path, strerror(errno));
	char *slash = strrchr(real, '/');
	slash[slash == real] = '\0';   /* keep "/" for a file in the root */
	p->dir = real;
	return 0;
}

/* The file's name without folder and .ini: the VM's name unless [machine] gives one. */
static const char *profile_stem(struct vm_config *cfg, const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(base), e = strlen(PROFILE_EXT);
	if (n > e && !strcmp(base + n - e, PROFILE_EXT))
		n -= e;
	char *s = strndup(base, n);
	return config_own(cfg, s);
}

static int profile_parse(struct profile_parser *p)
{
	if (profile_open(p, p->err))
		return -1;
	p->cfg->profile_path = config_strdup(p->cfg, p->path);
	p->cfg->name = profile_stem(p->cfg, p->path);
	if (!p->cfg->profile_path || !p->cfg->name)
		return err_setf(p->err, "out of memory");
	int ret = ini_parse_stream(profile_reader, p, profile_handler, p);
	if (p->failed)
		return -1;
	if (ret)    /* every case is caught above; keep libinih's word as a fallback */
		return profile_fail(p, ret > 0 ? (unsigned)ret : p->lineno, "cannot parse this line");
	return profile_finish(p);
}

int profile_load(const char *path_or_name, struct vm_config *cfg, struct error *err)
{
	char *found = NULL;
	if (!profile_is_path(path_or_name)) {
		found = profile_lookup(path_or_name, err);
		if (!found)
			return -1;
	}
	struct profile_parser p = {
		.cfg = cfg,
		.path = found ? found : path_or_name,
		.err = err,
		.item = -1,
	};
	p.nr_decl = vmm_options_all(p.decl);
	int ret = profile_parse(&p);
	if (p.f)
		fclose(p.f);
	free(p.buf);
	free(p.marks);
	free(p.dir);
	free(found);
	return ret;
}

/* ---- listing ------------------------------------------------------------------- */

static int profile_entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct profile_entry *)a)->name,
		      ((const struct profile_entry *)b)->name);
}

struct profile_listing {
	struct profile_entry *v;
	size_t n, cap;
};

static bool profile_listed(const struct profile_listing *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].name, name))
			return true;
	return false;
}

static int profile_list_add(struct profile_listing *l, const char *dir, const char *file,
			    struct error *err)
{
	size_t n = strlen(file), e = strlen(PROFILE_EXT);
	if (n <= e || strcmp(file + n - e, PROFILE_EXT) || file[0] == '.')
		return 0;
	char *name = strndup(file, n - e), *path = NULL;
	struct stat st;
	if (!name || asprintf(&path, "%s/%s", dir, file) < 0) {
		free(name);
		return err_setf(err, "out of memory");
	}
	if (stat(path, &st) || !S_ISREG(st.st_mode) || profile_listed(l, name)) {
		free(name);    /* hidden by an earlier folder, or not a file */
		free(path);
		return 0;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct profile_entry *v = realloc(l->v, cap * sizeof(*v));
		if (!v) {
			free(name);
			free(path);
			return err_setf(err, "out of memory");
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct profile_entry){ .name = name, .path = path };
	return 0;
}

static int profile_list_dir(struct profile_listing *l, const char *dir, struct error *err)
{
	DIR *d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return 0;    /* an unset-up folder has no profiles, that is all */
		return err_setf(err, "cannot list profiles in %s: %s", dir, strerror(errno));
	}
	int ret = 0;
	struct dirent *de;
	while (!ret && (de = readdir(d)))
		ret = profile_list_add(l, dir, de->d_name, err);
	closedir(d);
	return ret;
}

int profile_list(struct profile_entry **out, size_t *n, struct error *err)
{
	const char *dirs[PROFILE_MAX_DIRS];
	unsigned nd = profile_dirs(dirs);
	struct profile_listing l = { NULL, 0, 0 };
	for (unsigned i = 0; i < nd; i++) {
		if (profile_list_dir(&l, dirs[i], err)) {
			profile_list_free(l.v, l.n);
			return -1;
		}
	}
	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), profile_entry_cmp);
	*out = l.v;
	*n = l.n;
	return 0;
}

void profile_list_free(struct profile_entry *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(list[i].name);
		free(list[i].path);
	}
	free(list);
}
