// SPDX-License-Identifier: GPL-2.0-only
/*
 * UEFI firmware selection from QEMU's firmware descriptors and the VM's
 * variable store (firmware.h has the rules).
 */
#include "vmm/boot/firmware.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIRMWARE_MAX_IMAGE (4 * MiB)
#define FIRMWARE_OVMF_FIX "install OVMF with 'apt-get install ovmf' (as root)"

/* ---- the descriptor folders ----------------------------------------------- */

static void firmware_dirs_add(struct firmware_dirs *d, const char *dir, size_t len)
{
	if (d->n < FIRMWARE_DIRS_MAX && len && len < sizeof(d->dir[0]))
		snprintf(d->dir[d->n++], sizeof(d->dir[0]), "%.*s", (int)len, dir);
}

void firmware_dirs_default(struct firmware_dirs *d)
{
	d->n = 0;
	const char *hook = getenv("PASSVM_FIRMWARE_DIR");
	if (hook && *hook) {
		for (const char *p = hook; *p; p += *p == ':') {
			size_t len = strcspn(p, ":");
			firmware_dirs_add(d, p, len);
			p += len;
		}
		return;
	}
	firmware_dirs_add(d, "/usr/share/qemu/firmware", strlen("/usr/share/qemu/firmware"));
	firmware_dirs_add(d, "/etc/qemu/firmware", strlen("/etc/qemu/firmware"));
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char user[PATH_MAX];
	int n = -1;
	if (xdg && *xdg == '/')
		n = snprintf(user, sizeof(user), "%s/qemu/firmware", xdg);
	else if (home && *home)
		n = snprintf(user, sizeof(user), "%s/.config/qemu/firmware", home);
	if (n > 0)
		firmware_dirs_add(d, user, (size_t)n);
}

/* ---- the descriptor files: override by name, then name order -------------- */

struct firmware_file {
	char name[NAME_MAX + 1];
	char path[PATH_MAX];
	bool empty;               /* a zero-length file hides its namesakes */
};

struct firmware_files {
	struct firmware_file *f;
	size_t n;
};

static struct firmware_file *firmware_files_slot(struct firmware_files *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->f[i].name, name))
			return &l->f[i];
	if (l->n % 16 == 0) {   /* a distro has a handful: grow 16 at a time */
		struct firmware_file *f = reallocarray(l->f, l->n + 16, sizeof(*f));
		if (!f)
			return NULL;
		l->f = f;
	}
	return &l->f[l->n++];
}

static bool firmware_is_json(const char *name)
{
	size_t n = strlen(name);
	return name[0] != '.' && n > 5 && !strcmp(name + n - 5, ".json");
}

/* Every *.json of one folder (a missing folder has none). */
static int firmware_files_scan(struct firmware_files *l, const char *dir, struct error *err)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT || errno == ENOTDIR ? 0 :
		       err_setf(err, "firmware descriptors: cannot read folder %s: %s", dir,
				strerror(errno));
	struct dirent *de;
	int ret = 0;
	while (!ret && (de = readdir(d))) {
		struct stat st;
		char path[PATH_MAX];
		if (!firmware_is_json(de->d_name) ||
		    snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path) ||
		    stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		struct firmware_file *f = firmware_files_slot(l, de->d_name);
		if (!f) {
			ret = err_setf(err, "out of memory");
			break;
		}
		snprintf(f->name, sizeof(f->name), "%s", de->d_name);
		snprintf(f->path, sizeof(f->path), "%s", path);
		f->empty = st.st_size == 0;
	}
	closedir(d);
	return ret;
}

static int firmware_file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct firmware_file *)a)->name,
		      ((const struct firmware_file *)b)->name);
}

static int firmware_files_collect(struct firmware_files *l, const struct firmware_dirs *dirs,
				  struct error *err)
{
	for (unsigned i = 0; i < dirs->n; i++)
		if (firmware_files_scan(l, dirs->dir[i], err))
			return -1;
	if (l->n)   /* qsort must not get NULL, even for no elements */
		qsort(l->f, l->n, sizeof(*l->f), firmware_file_cmp);
	return 0;
}

/* ---- one descriptor --------------------------------------------------------- */

static const char *json_str(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static struct json_object *json_member(struct json_object *o, const char *key, json_type type)
{
	struct json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

/* Does the array o[key] list the string `s` (a pattern when glob)? */
static bool json_list_has(struct json_object *o, const char *key, const char *s, bool glob)
{
	struct json_object *a = json_member(o, key, json_type_array);
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		struct json_object *e = json_object_array_get_idx(a, i);
		if (!json_object_is_type(e, json_type_string))
			continue;
		const char *v = json_object_get_string(e);
		if (glob ? !fnmatch(v, s, 0) : !strcmp(v, s))
			return true;
	}
	return false;
}

static bool firmware_targets_q35(struct json_object *root)
{
	struct json_object *t = json_member(root, "targets", json_type_array);
	for (size_t i = 0; t && i < json_object_array_length(t); i++) {
		struct json_object *e = json_object_array_get_idx(t, i);
		const char *arch = json_str(e, "architecture");
		if (arch && !strcmp(arch, "x86_64") && json_list_has(e, "machines", FIRMWARE_MACHINE, true))
			return true;
	}
	return false;
}

/* mapping.KEY = { filename, format: raw }: its filename, or NULL. */
static const char *firmware_raw_file(struct json_object *mapping, const char *key)
{
	struct json_object *f = json_member(mapping, key, json_type_object);
	const char *name = json_str(f, "filename"), *format = json_str(f, "format");
	return name && *name && format && !strcmp(format, "raw") ? name : NULL;
}

/* A descriptor that fits (firmware.h) into d; false for any other firmware. */
static bool firmware_desc_fits(struct json_object *root, struct firmware_info *d)
{
	struct json_object *m = json_member(root, "mapping", json_type_object);
	const char *device = json_str(m, "device"), *mode = json_str(m, "mode");
	const char *code = firmware_raw_file(m, "executable");
	const char *tmpl = firmware_raw_file(m, "nvram-template");
	if (!json_list_has(root, "interface-types", "uefi", false) || !device ||
	    strcmp(device, "flash") || (mode && strcmp(mode, "split")) || !code || !tmpl ||
	    !firmware_targets_q35(root) || strlen(code) >= sizeof(d->code) ||
	    strlen(tmpl) >= sizeof(d->vars_template))
		return false;
	snprintf(d->code, sizeof(d->code), "%s", code);
	snprintf(d->vars_template, sizeof(d->vars_template), "%s", tmpl);
	d->secure_boot = json_list_has(root, "features", "secure-boot", false);
	d->enrolled_keys = json_list_has(root, "features", "enrolled-keys", false);
	d->requires_smm = json_list_has(root, "features", "requires-smm", false);
	return true;
}

/* Parse one file; *fits says whether it describes firmware passvm can use. */
static int firmware_desc_read(const struct firmware_file *f, struct firmware_info *d, bool *fits,
			      struct error *err)
{
	*fits = false;
	if (f->empty)
		return 0;
	struct json_object *root = json_object_from_file(f->path);
	if (!root || !json_object_is_type(root, json_type_object)) {
		const char *why = root ? "not a JSON object" : json_util_get_last_err();
		char msg[256];
		snprintf(msg, sizeof(msg), "%s", why ? why : "unreadable");
		msg[strcspn(msg, "\n")] = '\0';
		json_object_put(root);
		return err_setf(err, "firmware descriptor %s: %s: fix it, or hide it with an empty "
				"file of the same name in /etc/qemu/firmware or ~/.config/qemu/firmware",
				f->path, msg);
	}
	memset(d, 0, sizeof(*d));
	*fits = firmware_desc_fits(root, d);
	if (*fits)
		snprintf(d->descriptor, sizeof(d->descriptor), "%s", f->path);
	json_object_put(root);
	return 0;
}

/* ---- the code image --------------------------------------------------------- */

static bool firmware_has_jump(const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i] == 0xE9 || b[i] == 0xEB)
			return true;
	return false;
}

/* Why `path` is not a code image (firmware.h), or NULL with *size set. */
static const char *firmware_image_why(const char *path, uint64_t *size, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(buf, len, "cannot open it: %s", strerror(errno));
		return buf;
	}
	struct stat st = { .st_size = 0 };
	unsigned char tail[16];
	const char *why = NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (!st.st_size || st.st_size % (off_t)(4 * KiB) || st.st_size > (off_t)FIRMWARE_MAX_IMAGE)
		why = "the size of a flash image is a multiple of 4 KiB, at most 4 MiB";
	else if (pread(fd, tail, sizeof(tail), st.st_size - (off_t)sizeof(tail)) != sizeof(tail) ||
		 !firmware_has_jump(tail, sizeof(tail)))
		why = "its last 16 bytes, where the reset vector lands, hold no jump";
	close(fd);
	if (why)
		snprintf(buf, len, "%lld bytes, not a UEFI code image: %s", (long long)st.st_size, why);
	else
		*size = (uint64_t)st.st_size;
	return why ? buf : NULL;
}

int firmware_check_image(const char *path, uint64_t *size, struct error *err)
{
	char why[160];
	if (!firmware_image_why(path, size, why, sizeof(why)))
		return 0;
	return err_setf(err, "firmware %s: %s; give an OVMF_CODE*.fd (apt-get install ovmf "
			"puts them in /usr/share/OVMF), or write uefi", path, why);
}

/* ---- choosing ------------------------------------------------------------- */

struct firmware_want {
	const char *keyword;   /* NULL: by path */
	const char *path;
	const struct stat *st; /* the path's file, for a descriptor naming it by another name */
};

static bool firmware_wanted(const struct firmware_want *w, const struct firmware_info *d,
			    bool same_file_ok)
{
	if (w->keyword && !strcmp(w->keyword, "uefi"))
		return !d->secure_boot;
	if (w->keyword)
		return d->secure_boot && d->enrolled_keys;
	if (!strcmp(d->code, w->path))
		return true;
	struct stat st;
	return same_file_ok && !stat(d->code, &st) && st.st_dev == w->st->st_dev &&
	       st.st_ino == w->st->st_ino;
}

/* The first fitting descriptor that is wanted; *found false when none. */
static int firmware_pick(const struct firmware_files *l, const struct firmware_want *w,
			 bool same_file_ok, struct firmware_info *info, bool *found,
			 struct error *err)
{
	*found = false;
	for (size_t i = 0; i < l->n && !*found; i++) {
		bool fits;
		if (firmware_desc_read(&l->f[i], info, &fits, err))
			return -1;
		*found = fits && firmware_wanted(w, info, same_file_ok);
	}
	return 0;
}

static void firmware_dirs_text(const struct firmware_dirs *dirs, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < dirs->n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", dirs->dir[i]);
}

static int firmware_none(const struct firmware_dirs *dirs, const char *keyword, size_t nfiles,
			 struct error *err)
{
	char where[3 * 128];
	firmware_dirs_text(dirs, where, sizeof(where));
	const char *what = !strcmp(keyword, "uefi") ? "without Secure Boot" :
			   "with Secure Boot and Microsoft's keys enrolled";
	return err_setf(err, "firmware = %s: no UEFI firmware %s for x86_64 q35 among the %zu "
			"descriptor(s) in %s: %s, or give firmware = the path of an OVMF code image",
			keyword, what, nfiles, where, FIRMWARE_OVMF_FIX);
}

/* The template a descriptor names must be there: it is copied on first use. */
static int firmware_template_size(struct firmware_info *info, struct error *err)
{
	struct stat st;
	if (!info->vars_template[0])
		return 0;
	bool missing = stat(info->vars_template, &st);
	if (missing || !S_ISREG(st.st_mode) || !st.st_size)
		return err_setf(err, "firmware descriptor %s: its nvram-template %s is %s: reinstall "
				"its package ('apt-get install --reinstall ovmf' for OVMF)",
				info->descriptor, info->vars_template,
				missing ? strerror(errno) : "not a regular file with data");
	info->template_size = (uint64_t)st.st_size;
	return 0;
}

static int firmware_resolve_in(const char *value, const struct firmware_dirs *dirs,
			       const struct firmware_files *l, struct firmware_info *info,
			       struct error *err)
{
	bool keyword = !strcmp(value, "uefi") || !strcmp(value, "uefi-secure");
	struct stat st;
	struct firmware_want w = { .keyword = keyword ? value : NULL, .path = value, .st = &st };
	if (!keyword && stat(value, &st))
		return err_setf(err, "firmware %s: %s: give the path of a UEFI code image (like "
				"/usr/share/OVMF/OVMF_CODE_4M.fd), or write uefi or uefi-secure",
				value, strerror(errno));
	bool found;
	if (firmware_pick(l, &w, false, info, &found, err))
		return -1;
	if (!found && !keyword && firmware_pick(l, &w, true, info, &found, err))
		return -1;
	if (!found && keyword)
		return firmware_none(dirs, value, l->n, err);
	if (!found)
		memset(info, 0, sizeof(*info));
	if (!keyword)   /* the image as the user named it, even by another name */
		snprintf(info->code, sizeof(info->code), "%s", value);
	info->keyword = !keyword ? NULL : !strcmp(value, "uefi") ? "uefi" : "uefi-secure";
	char why[160];
	if (!found)
		return firmware_check_image(info->code, &info->code_size, err);
	if (firmware_image_why(info->code, &info->code_size, why, sizeof(why)))
		return err_setf(err, "firmware descriptor %s names code image %s: %s; reinstall its "
				"package ('apt-get install --reinstall ovmf' for OVMF)",
				info->descriptor, info->code, why);
	return firmware_template_size(info, err);
}

int firmware_resolve(const char *value, const struct firmware_dirs *dirs,
		     struct firmware_info *info, struct error *err)
{
	struct firmware_files l = { 0 };
	memset(info, 0, sizeof(*info));
	int ret = firmware_files_collect(&l, dirs, err);
	if (!ret)
		ret = firmware_resolve_in(value, dirs, &l, info, err);
	free(l.f);
	return ret;
}

/* ---- the variable store --------------------------------------------------- */

int firmware_vars_default(const char *profile_path, const char *name, const char *code,
			  char *buf, size_t len, struct error *err)
{
	int n;
	if (profile_path) {
		char *dir = realpath(profile_path, NULL);
		if (!dir)
			return err_setf(err, "%s: %s", profile_path, strerror(errno));
		*strrchr(dir, '/') = '\0';
		n = snprintf(buf, len, "%s/%s.vars.fd", dir, name);
		free(dir);
	} else {
		const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
		const char *base = strrchr(code, '/') ? strrchr(code, '/') + 1 : code;
		size_t stem = strlen(base);
		if (stem > 3 && !strcmp(base + stem - 3, ".fd"))
			stem -= 3;
		if (state && *state == '/')
			n = snprintf(buf, len, "%s/passvm/flags-%.*s.vars.fd", state, (int)stem, base);
		else if (home && *home == '/')
			n = snprintf(buf, len, "%s/.local/state/passvm/flags-%.*s.vars.fd", home,
				     (int)stem, base);
		else
			return err_setf(err, "firmware %s: neither XDG_STATE_HOME nor HOME is set, so "
					"its variable store has no home: run from a profile with "
					"[boot] vars = PATH", code);
	}
	if (n < 0 || (size_t)n >= len)
		return err_setf(err, "the default variable store path for %s is too long: give "
				"[boot] vars = PATH", code);
	return 0;
}

static bool firmware_vars_size_ok(const struct firmware_info *info, uint64_t size)
{
	if (info->vars_template[0])
		return size == info->template_size;
	return info->code_size + size == 2 * MiB || info->code_size + size == 4 * MiB;
}

int firmware_vars_check(const struct firmware_info *info, const char *vars, bool *exists,
			struct error *err)
{
	struct stat st, t;
	*exists = !stat(vars, &st);
	if (!*exists && errno != ENOENT)
		return err_setf(err, "vars %s: %s", vars, strerror(errno));
	if (!*exists && !info->vars_template[0])
		return err_setf(err, "vars %s does not exist, and no descriptor names firmware %s, so "
				"there is no template to make it from: give [boot] vars = the store "
				"made for this image (its OVMF_VARS*.fd copy), or use firmware = uefi",
				vars, info->code);
	if (!*exists)
		return 0;
	if (!S_ISREG(st.st_mode))
		return err_setf(err, "vars %s is not a regular file: give a file path", vars);
	if (info->vars_template[0] && !stat(info->vars_template, &t) && t.st_dev == st.st_dev &&
	    t.st_ino == st.st_ino)
		return err_setf(err, "vars %s is the template %s itself, which every VM starts from "
				"and passvm never writes: give this VM its own file (or leave vars "
				"out for the default)", vars, info->vars_template);
	if (firmware_vars_size_ok(info, (uint64_t)st.st_size))
		return 0;
	if (info->vars_template[0])
		return err_setf(err, "vars %s is %lld bytes, but this firmware's template %s is "
				"%llu: it was made for another firmware build; delete it to start "
				"from a fresh copy of the template (the VM's UEFI settings and boot "
				"entries are lost), or give vars = a store made for %s", vars,
				(long long)st.st_size, info->vars_template,
				(unsigned long long)info->template_size, info->code);
	return err_setf(err, "vars %s is %lld bytes, which with the %llu-byte code image %s makes "
			"no 2 MiB or 4 MiB flash: give vars = the OVMF_VARS*.fd copy that goes with "
			"this image", vars, (long long)st.st_size,
			(unsigned long long)info->code_size, info->code);
}

/* mkdir -p of the folder above `path`. */
static int firmware_mkdirs(const char *path, struct error *err)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1;; p++) {
		bool last = !*p;
		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) && errno != EEXIST)
			return err_setf(err, "vars %s: cannot create folder %s: %s", path, dir,
					strerror(errno));
		if (last)
			return 0;
		*p = '/';
	}
}

static int firmware_copy_fd(int in, int out)
{
	char buf[64 * 1024];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n <= 0)
			return (int)n;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0)
				return -1;
			off += w;
		}
	}
}

/* template -> tmp (created here, O_EXCL), synced. */
static int firmware_copy_template(const char *tmpl, const char *tmp, struct error *err)
{
	int in = open(tmpl, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return err_setf(err, "firmware template %s: %s", tmpl, strerror(errno));
	int out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		int e = errno;
		close(in);
		return err_setf(err, "cannot create %s: %s", tmp, strerror(e));
	}
	int ret = firmware_copy_fd(in, out);
	if (!ret)
		ret = fsync(out);
	int e = errno;
	close(in);
	if (close(out) && !ret)
		ret = -1, e = errno;
	if (ret)
		return err_setf(err, "copying firmware template %s to %s: %s", tmpl, tmp, strerror(e));
	return 0;
}

int firmware_vars_prepare(const struct firmware_info *info, const char *vars,
			  struct error *err)
{
	bool exists;
	if (firmware_vars_check(info, vars, &exists, err))
		return -1;
	if (exists)
		return 0;
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", vars, (long)getpid()) >= (int)sizeof(tmp))
		return err_setf(err, "vars %s: the path is too long", vars);
	if (firmware_mkdirs(vars, err))
		return -1;
	if (firmware_copy_template(info->vars_template, tmp, err)) {
		unlink(tmp);
		return err_prefix(err, "making vars %s", vars);
	}
	if (rename(tmp, vars)) {
		int e = errno;
		unlink(tmp);
		return err_setf(err, "vars %s: cannot create it: %s", vars, strerror(e));
	}
	return 0;
}
