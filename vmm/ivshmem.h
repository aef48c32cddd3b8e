/* SPDX-License-Identifier: GPL-2.0-only */
/* ivshmem-plain device (ivshmem.c): the host file behind BAR2. */
#ifndef PASSVM_IVSHMEM_H
#define PASSVM_IVSHMEM_H

#include <stdint.h>

#include "util.h"

/* Open or create the file (power-of-two size, grown if smaller, refused if
 * larger), lock it exclusively, map it shared. Never unlinks. */
int ivshmem_open_file(const char *path, uint64_t size, int *fd_out, uint8_t **map_out,
		      struct error *err);

#endif
