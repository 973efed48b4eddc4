/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CGVIEW_BENCH_EMPTY_H
#define CGVIEW_BENCH_EMPTY_H

struct bpf_object;

struct bpf_object *empty_attach(const char *obj_path, char **hooks, int n);

/* Print "RUNS-PER-OP NS-PER-RUN" of OBJ's programs after OPS operations,
 * as kernel.bpf_stats_enabled counted them.
 */
void empty_stats(struct bpf_object *obj, long ops);

#endif
