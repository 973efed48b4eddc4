/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names (cgroup names, file names, keys and labels: any bytes) as valid
 * UTF-8, reversibly (escape.c; README.md, "Names in the output"):
 * cgview-exporter writes them so, cgview top reads them back; and in the
 * form cgview top shows them in, reversibly too (its reading back is the
 * fuzzer's, exporter/fuzz_parse.c: cgview takes names as they are).
 */
#ifndef CGVIEW_LIB_ESCAPE_H
#define CGVIEW_LIB_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

#define NAME_ESCAPED_MAX(len) (4 * (len) + 1) /* bytes, with the NUL */

/* whether TEXT is valid UTF-8 without NUL */
bool utf8_valid(const char *text, size_t len);
/* whether escaping NAME changes nothing */
bool name_plain(const char *name, size_t len);
/* NAME escaped into OUT (NAME_ESCAPED_MAX(LEN) bytes), NUL-terminated;
 * returns its length
 */
size_t name_escape(char *out, const char *name, size_t len);
/* The name TEXT (LEN bytes) escapes, into OUT (LEN + 1 bytes),
 * NUL-terminated; returns its length (the name may hold NULs)
 */
size_t name_unescape(char *out, const char *text, size_t len);

/*
 * The shown form, for a terminal (cgview top): a byte outside printable
 * ASCII or a space as \xHH, and a backslash that would read as such as
 * \x5c, so that a name can neither drive the terminal (escape sequences),
 * nor split a line or a column, nor pass for another name.
 */
#define NAME_SHOWN_MAX(len) (4 * (len) + 1) /* bytes, with the NUL */
/* RAW (N bytes) shown, into OUT (NAME_SHOWN_MAX(N) bytes); its length */
size_t name_show(char *out, const char *raw, size_t n);

#endif
