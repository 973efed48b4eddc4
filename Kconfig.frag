# What a kernel needs for cgview: BPF with BTF, tracing hooks for the
# recorders, cgroup v2 with the controllers the views report on, PSI and
# schedstats. Merged on top of tinyconfig together with tests/vm/guest.config
# (and tests/vm/debug.config for the test kernel).

# BPF, JIT and BTF (pahole from Debian's dwarves package)
CONFIG_BPF=y
CONFIG_BPF_SYSCALL=y
CONFIG_BPF_JIT=y
CONFIG_DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT=y
CONFIG_DEBUG_INFO_BTF=y
CONFIG_KALLSYMS=y
CONFIG_KALLSYMS_ALL=y

# Tracing: tp_btf, fentry (ftrace direct calls), kprobes, BPF events
CONFIG_PERF_EVENTS=y
CONFIG_FTRACE=y
CONFIG_FUNCTION_TRACER=y
CONFIG_DYNAMIC_FTRACE=y
CONFIG_KPROBES=y
CONFIG_KPROBE_EVENTS=y
CONFIG_BPF_EVENTS=y

# cgroup v2 and its controllers
CONFIG_CGROUPS=y
CONFIG_CGROUP_SCHED=y
CONFIG_FAIR_GROUP_SCHED=y
CONFIG_MEMCG=y
CONFIG_BLOCK=y
CONFIG_BLK_CGROUP=y
CONFIG_CGROUP_PIDS=y
CONFIG_CGROUP_BPF=y
CONFIG_PSI=y
CONFIG_SCHEDSTATS=y

# The series: view programs shown as bpf.* files in cgroupfs (selects
# FSNOTIFY, which ties those files to their bpffs pins)
CONFIG_BPF_VIEW=y
CONFIG_INOTIFY_USER=y
