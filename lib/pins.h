/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where cgview pins what it loads and exposes in bpffs (cgview/bpffs.c
 * draws the whole layout), and cgview-exporter reads them: one place for
 * both, so that the two cannot part.
 */
#ifndef CGVIEW_LIB_PINS_H
#define CGVIEW_LIB_PINS_H

#define BPFFS_ROOT "/sys/fs/bpf"
#define CGVIEW_PIN_ROOT BPFFS_ROOT "/cgview"
/* stock mode's exposures: CGVIEW_MIRROR/<cgroup>/bpf.<view> */
#define CGVIEW_MIRROR CGVIEW_PIN_ROOT "/cgroups"
/* each view loaded: CGVIEW_VIEWS/<view>/, with its bulk program and the
 * array of its records (CGVIEW_BULK_PROG, CGVIEW_BULK_RECORDS) if it has
 * records
 */
#define CGVIEW_VIEWS CGVIEW_PIN_ROOT "/views"
#define CGVIEW_BULK_PROG "bulk"
#define CGVIEW_BULK_RECORDS "bulk_records"

#endif
