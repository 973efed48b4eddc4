"""The io_latency view as bpf.io_latency files in cgroupfs: 4 KiB O_DIRECT
reads of null_blk's /dev/nullb0 from one cgroup count there, each read
one request of 4 KiB with its latency; an idle sibling counts nothing."""

import os
import subprocess

from cgtest import cgview, exposed_on, keyed, read, rel
from workloads import run_in

READS = 256
DEVICE = "/dev/nullb0"


def test_reads_count_in_their_cgroup_and_not_in_a_sibling():
    assert os.path.exists(DEVICE), "the guest kernel has null_blk"
    # the device's first open may read it for partitions: not from there
    subprocess.run(["dd", f"if={DEVICE}", "of=/dev/null", "count=1"],
                   check=True, capture_output=True)
    with exposed_on("io_latency", "reader", "idle") as (reader, idle):
        run_in([reader], "dd", f"if={DEVICE}", "of=/dev/null", "bs=4k",
               f"count={READS}", "iflag=direct")
        text = read(os.path.join(reader, "bpf.io_latency"))
        got = keyed(text)
        hist = got.pop("latency_hist_ns")
        assert got["rios"] == READS and got["rbytes"] == READS * 4096
        assert got["wios"] == 0 and got["wbytes"] == 0
        assert sum(hist.values()) == READS
        assert got["latency_hist_ns_sum"] > 0
        assert cgview("cat", rel(reader), "io_latency").stdout == text
        idle_got = keyed(read(os.path.join(idle, "bpf.io_latency")))
        assert set(idle_got.pop("latency_hist_ns").values()) == {0}
        assert set(idle_got.values()) == {0}
