// SPDX-License-Identifier: GPL-2.0
/* Names as valid UTF-8, reversibly (README.md, "Names in the output").
 * Cgroup names, file names, keys and labels read from files are bytes;
 * every output format wants UTF-8. NUL and each byte that does not begin
 * a complete, valid UTF-8 sequence (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF) is written \xHH, lowercase: \x00 or
 * \x80 to \xff. A backslash is doubled only when what follows it could be
 * read as such an escape or as a doubled backslash (another backslash, an
 * escaped byte, or "x" then 00 or 80..ff as text); every other byte is
 * copied. So a name that is valid UTF-8 comes out as it is, systemd's
 * "system-systemd\x2dfsck.slice" included.
 *
 * Decoding reverses it: "\\" is a backslash, "\xHH" with HH 00 or 80..ff
 * is that byte, anything else is itself. Two names never share an output.
 */
#include <string.h>

#include "escape.h"

/* The length (1 to 4) of the valid UTF-8 sequence at S, 0 for none */
static size_t seq_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] < 0xc2) /* continuation bytes; C0, C1: overlong */
		return 0;
	if (s[0] < 0xe0) {
		len = 2;
	} else if (s[0] < 0xf0) {
		len = 3;
		lo = s[0] == 0xe0 ? 0xa0 : lo; /* overlong */
		hi = s[0] == 0xed ? 0x9f : hi; /* surrogates */
	} else if (s[0] < 0xf5) {
		len = 4;
		lo = s[0] == 0xf0 ? 0x90 : lo; /* overlong */
		hi = s[0] == 0xf4 ? 0x8f : hi; /* above U+10FFFF */
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* 0 when the byte at S is escaped, else its sequence's length */
static size_t kept(const unsigned char *s, size_t n)
{
	return s[0] ? seq_len(s, n) : 0;
}

static bool is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* "xHH" that a decoder would take for an escaped byte */
static bool like_escape(const unsigned char *s, size_t n)
{
	if (n < 3 || s[0] != 'x')
		return false;
	if (s[1] == '0')
		return s[2] == '0';
	return is_hex(s[1]) && s[1] >= '8' && is_hex(s[2]);
}

/* Does the backslash at S[-1] need doubling? */
static bool double_it(const unsigned char *s, size_t n)
{
	return n && (s[0] == '\\' || !kept(s, n) || like_escape(s, n));
}

bool utf8_valid(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t k;

	for (size_t i = 0; i < len; i += k)
		if (!(k = kept(s + i, len - i)))
			return false;
	return true;
}

bool name_plain(const char *name, size_t len)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t k;

	for (size_t i = 0; i < len; i += k) {
		k = kept(s + i, len - i);
		if (!k || (s[i] == '\\' && double_it(s + i + 1, len - i - 1)))
			return false;
	}
	return true;
}

size_t name_escape(char *out, const char *name, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)name;
	char *o = out;
	size_t k;

	for (size_t i = 0; i < len; i += k) {
		k = kept(s + i, len - i);
		if (!k) {
			*o++ = '\\';
			*o++ = 'x';
			*o++ = hex[s[i] >> 4];
			*o++ = hex[s[i] & 15];
			k = 1;
			continue;
		}
		if (s[i] == '\\' && double_it(s + i + 1, len - i - 1))
			*o++ = '\\';
		memcpy(o, s + i, k);
		o += k;
	}
	*o = '\0';
	return o - out;
}

/* The value of the hex digit C (lowercase), or -1 */
static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

size_t name_unescape(char *out, const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len && s[i + 1] == '\\') {
			i++;
		} else if (s[i] == '\\' &&
			   like_escape(s + i + 1, len - i - 1)) {
			out[n++] = (char)(hex_value(s[i + 2]) << 4 |
					  hex_value(s[i + 3]));
			i += 3;
			continue;
		}
		out[n++] = (char)s[i];
	}
	out[n] = '\0';
	return n;
}

/* The value of the two hex digits at P, either case, or -1 */
static int hex2(const char *p)
{
	unsigned char c[2] = { p[0], p[1] };
	int hi, lo;

	for (int i = 0; i < 2; i++)
		if (c[i] >= 'A' && c[i] <= 'F')
			c[i] += 'a' - 'A';
	hi = hex_value(c[0]);
	lo = hex_value(c[1]);
	return hi < 0 || lo < 0 ? -1 : hi << 4 | lo;
}

/* Whether the shown form writes byte C as \xHH: outside printable
 * ASCII, or space
 */
static bool shown_escaped(int c)
{
	return c <= ' ' || c >= 0x7f;
}

/* A backslash at P (N bytes there) that would read as one of the shown
 * form's escapes, its own (\x5c) included
 */
static bool ambiguous(const char *p, size_t n)
{
	int v = n >= 4 && (p[1] == 'x' || p[1] == 'X') ? hex2(p + 2) : -1;

	return v >= 0 && (shown_escaped(v) || v == '\\');
}

size_t name_show(char *out, const char *raw, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char *o = out;

	for (size_t k = 0; k < n; k++) {
		unsigned char c = raw[k];

		if (shown_escaped(c) ||
		    (c == '\\' && ambiguous(raw + k, n - k))) {
			*o++ = '\\';
			*o++ = 'x';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		} else {
			*o++ = (char)c;
		}
	}
	*o = '\0';
	return o - out;
}
