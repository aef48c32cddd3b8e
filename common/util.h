/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Small shared helpers: error reporting and logging.
 *
 * Error rule: functions that can fail take a `struct error *` and return a
 * negative value (or NULL) after filling it with one sentence that names the
 * file/device/value at fault and, where there is one, the fix.  Only the
 * top level (main) prints errors; code deep inside never prints them.
 */
#ifndef PASSVM_UTIL_H
#define PASSVM_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct error {
	char msg[512];
};

/* Fill `e` (may be NULL) and return -1, so callers can `return err_setf(...)`. */
int err_setf(struct error *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prefix an existing message: "context: old message". Returns -1. */
int err_prefix(struct error *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/*
 * The log threshold is process configuration set once by main() before any
 * thread starts (the one piece of static state outside the VM object).
 */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define KiB (1024ULL)
#define MiB (1024ULL * KiB)
#define GiB (1024ULL * MiB)

/* Parse "512M", "4G", "1024" (bytes), "2T"; returns -1 on junk or overflow. */
int parse_size(const char *s, uint64_t *out);

/* Read a whole small file (sysfs, procfs) into buf, NUL-terminated, newline
 * stripped. Returns length or -errno. */
int read_small_file(const char *path, char *buf, size_t len);

#endif
