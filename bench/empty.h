/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CGVIEW_BENCH_EMPTY_H
#define CGVIEW_BENCH_EMPTY_H

struct bpf_object;

struct bpf_object *empty_attach(const char *obj_path, char **hooks, int n);

#endif
