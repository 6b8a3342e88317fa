// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reading a small file that anyone may have put in our way: main.conf (-c
 * names any path) and policy files. Opened non-blocking and checked with
 * fstat on the open fd, so a FIFO or a device never blocks the main loop in
 * open() or read(); symlinks are followed, their target must be a regular
 * file too. Bounded in size, checked again while reading (the file may grow
 * after fstat). Errors say what went wrong, never the path (callers name the
 * file their own way) nor any of the content.
 */
#pragma once

#include <glib.h>

gboolean nfc_file_read_regular(const char *path, gsize max, char **text, gsize *len,
			       GError **error);
