"""Labels from cgroup paths: real cgroup trees shaped as systemd, Docker,
containerd, CRI-O, podman and the kubelet (systemd and cgroupfs drivers)
make them, and remote write into a real Prometheus carries them: PromQL
selects each runtime's containers and pods by them."""

import os

from exlib import hier, prometheus, promql, run, subtree

C1, C2, C3, C4, C5, C6 = (f"{d}" * 64 for d in "abcdef")
POD1 = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
POD2 = "11111111-2222-3333-4444-555555555555"
POD3 = "99999999-8888-7777-6666-555555555555"
SYSTEMD_POD = "kubepods-burstable-pod" + POD1.replace("-", "_") + ".slice"

TREE = [
    # systemd services, Docker and podman under the systemd driver
    "system.slice", "system.slice/nginx.service",
    f"system.slice/docker-{C1}.scope", f"system.slice/docker-{C1}.scope/app",
    "machine.slice", f"machine.slice/libpod-{C2}.scope",
    f"machine.slice/libpod-conmon-{C2}.scope",
    # the kubelet, systemd driver: a burstable pod, containerd and CRI-O
    "kubepods.slice", "kubepods.slice/kubepods-burstable.slice",
    f"kubepods.slice/kubepods-burstable.slice/{SYSTEMD_POD}",
    f"kubepods.slice/kubepods-burstable.slice/{SYSTEMD_POD}/"
    f"cri-containerd-{C3}.scope",
    f"kubepods.slice/kubepods-burstable.slice/{SYSTEMD_POD}/crio-{C4}.scope",
    # the kubelet, cgroupfs driver: a guaranteed and a best-effort pod
    "kubepods", f"kubepods/pod{POD2}", f"kubepods/pod{POD2}/{C5}",
    "kubepods/besteffort", f"kubepods/besteffort/pod{POD3}",
    f"kubepods/besteffort/pod{POD3}/{C6}",
    # Docker, cgroupfs driver
    "docker", f"docker/{C1[:32]}{C2[:32]}",
]

# Tenants' cgroups named to claim another container or pod: inside a
# container (its own nested cgroups) and inside a delegated service
SPOOFS = [
    f"kubepods/pod{POD2}/{C5}/kubepods", f"kubepods/pod{POD2}/{C5}/kubepods/"
    f"pod{POD3}", f"kubepods/pod{POD2}/{C5}/kubepods/pod{POD3}/docker-{C6}"
    ".scope",
    "system.slice/tenant.service", "system.slice/tenant.service/kubepods",
    f"system.slice/tenant.service/kubepods/pod{POD1}",
    f"system.slice/tenant.service/kubepods/pod{POD1}/cri-containerd-{C3}"
    ".scope",
]


def labels_of(url, top, rel):
    [(labels, _)] = promql(url, "cgroup_nr_descendants"
                           f'{{cgroup="{hier(top)}/{rel}"}}')
    return {k: v for k, v in labels.items()
            if k not in ("__name__", "cgroup", "instance")}


def test_runtimes_trees_give_their_labels_in_promql(tmp_path):
    with subtree(*TREE) as top, prometheus(tmp_path) as url:
        r = run("--once", "--root", top, "--output",
                f"remote-write+{url}/api/v1/write")
        assert r.returncode == 0 and r.stderr == b""
        assert labels_of(url, top, "system.slice/nginx.service") == {
            "systemd_slice": "system.slice", "systemd_unit": "nginx.service"}
        assert labels_of(url, top, f"system.slice/docker-{C1}.scope/app") == {
            "systemd_slice": "system.slice",
            "systemd_unit": f"docker-{C1}.scope",
            "container_id": C1, "container_runtime": "docker"}
        assert labels_of(url, top, f"machine.slice/libpod-{C2}.scope") == {
            "systemd_slice": "machine.slice",
            "systemd_unit": f"libpod-{C2}.scope",
            "container_id": C2, "container_runtime": "podman"}
        # conmon's scope is not the container
        assert "container_id" not in labels_of(
            url, top, f"machine.slice/libpod-conmon-{C2}.scope")
        pod = f"kubepods.slice/kubepods-burstable.slice/{SYSTEMD_POD}"
        assert labels_of(url, top, f"{pod}/cri-containerd-{C3}.scope") == {
            "systemd_slice": SYSTEMD_POD,
            "systemd_unit": f"cri-containerd-{C3}.scope",
            "container_id": C3, "container_runtime": "containerd",
            "pod_uid": POD1, "qos_class": "burstable"}
        assert labels_of(url, top, f"{pod}/crio-{C4}.scope")[
            "container_runtime"] == "cri-o"
        assert labels_of(url, top, f"kubepods/pod{POD2}/{C5}") == {
            "container_id": C5, "pod_uid": POD2, "qos_class": "guaranteed"}
        assert labels_of(url, top, f"kubepods/besteffort/pod{POD3}") == {
            "pod_uid": POD3, "qos_class": "besteffort"}
        assert labels_of(url, top, f"docker/{C1[:32]}{C2[:32]}") == {
            "container_id": C1[:32] + C2[:32], "container_runtime": "docker"}
        # what an SRE asks: the containers of each pod, by QoS class
        got = promql(url, "count by (pod_uid, qos_class) "
                     '(cgroup_nr_descendants{container_id!=""})')
        assert sorted((l["pod_uid"], l["qos_class"], v) for l, v in got
                      if "pod_uid" in l) == sorted([
                          (POD1, "burstable", 2), (POD2, "guaranteed", 1),
                          (POD3, "besteffort", 1)])


def test_a_tenant_cannot_claim_another_container_or_pod(tmp_path):
    """What is below a container or a service is its tenant's to name:
    those cgroups carry the container's or service's labels, whatever
    their names claim."""
    with subtree(*TREE, *SPOOFS) as top, prometheus(tmp_path) as url:
        r = run("--once", "--root", top, "--output",
                f"remote-write+{url}/api/v1/write")
        assert r.returncode == 0 and r.stderr == b""
        assert labels_of(url, top, SPOOFS[2]) == {
            "container_id": C5, "pod_uid": POD2, "qos_class": "guaranteed"}
        assert labels_of(url, top, SPOOFS[6]) == {
            "systemd_slice": "system.slice",
            "systemd_unit": "tenant.service"}
        # the pods' containers are counted where they are, nothing more
        got = promql(url, 'count by (pod_uid) (cgroup_nr_descendants'
                     '{pod_uid!="", container_id!=""})')
        assert sorted((l["pod_uid"], v) for l, v in got) == sorted([
            (POD1, 2), (POD2, 4), (POD3, 1)])


def test_path_labels_can_be_chosen_or_turned_off(tmp_path):
    with subtree(*TREE[:4]) as top:
        def labels(*flags):
            r = run("--once", "--root", top, "--output", "text:-", *flags,
                    text=True)
            assert r.returncode == 0, r.stderr
            [line] = [l for l in r.stdout.splitlines() if l.startswith(
                "cgroup_nr_descendants{") and f"docker-{C1}.scope/app" in l]
            return {kv.split("=")[0] for kv in
                    line.split("{", 1)[1].split("}")[0].split(",")}
        assert labels() == {"cgroup", "systemd_slice", "systemd_unit",
                            "container_id", "container_runtime"}
        assert labels("--path-labels", "container") == {
            "cgroup", "container_id", "container_runtime"}
        assert labels("--path-labels", "none") == {"cgroup"}
        assert labels("--path-labels", "none", "--label",
                      "container_id=x") == {"cgroup", "container_id"}


def test_the_snapshot_stream_has_each_cgroups_path_labels():
    from exlib import snapshots
    with subtree(*TREE[:4]) as top:
        r = run("--once", "--root", top, "--output", "-")
    assert r.returncode == 0 and r.stderr == b""
    got = {cg.path: {(l.name, l.value) for l in cg.labels}
           for cg in snapshots(r.stdout)[0].cgroups}
    assert got[hier(top)] == set()
    assert got[f"{hier(top)}/system.slice/nginx.service"] == {
        ("systemd_slice", "system.slice"), ("systemd_unit", "nginx.service")}
    assert ("container_id", C1) in \
        got[f"{hier(top)}/system.slice/docker-{C1}.scope/app"]
