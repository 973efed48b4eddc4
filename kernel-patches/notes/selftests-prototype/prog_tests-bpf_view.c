// SPDX-License-Identifier: GPL-2.0
#include <test_progs.h>
#include <sys/mount.h>
#include "cgroup_helpers.h"
#include "bpf_view.skel.h"

static void test_bad_return(void)
{
	struct bpf_view *skel;
	int err;

	skel = bpf_view__open();
	if (!ASSERT_OK_PTR(skel, "open"))
		return;
	bpf_program__set_autoload(skel->progs.show_hello, false);
	bpf_program__set_autoload(skel->progs.bad_return, true);
	err = bpf_view__load(skel);
	ASSERT_ERR(err, "load bad_return");
	bpf_view__destroy(skel);
}

static void test_hello(void)
{
	char bpffs[] = "/tmp/bpf_view.XXXXXX", pin[64], file[PATH_MAX];
	struct bpf_link *link = NULL;
	struct bpf_view *skel;
	char buf[64] = {};
	int cg_fd = -1, fd, n;

	if (!ASSERT_OK_PTR(mkdtemp(bpffs), "mkdtemp"))
		return;
	if (!ASSERT_OK(mount("bpf", bpffs, "bpf", 0, NULL), "mount bpffs"))
		goto out_rmdir;
	skel = bpf_view__open_and_load();
	if (!ASSERT_OK_PTR(skel, "open_and_load"))
		goto out_umount;
	link = bpf_program__attach(skel->progs.show_hello);
	if (!ASSERT_OK_PTR(link, "attach"))
		goto out;
	snprintf(pin, sizeof(pin), "%s/hello", bpffs);
	if (!ASSERT_OK(bpf_link__pin(link, pin), "pin in bpffs"))
		goto out;
	cg_fd = create_and_get_cgroup("/bpf_view");
	if (!ASSERT_GE(cg_fd, 0, "cgroup"))
		goto out;
	/* cgroup_helpers.c: CGROUP_MOUNT_PATH CGROUP_WORK_DIR<pid> */
	snprintf(file, sizeof(file), "/mnt/cgroup-test-work-dir%d/bpf_view/bpf.hello",
		 getpid());
	if (!ASSERT_OK(bpf_obj_pin(bpf_link__fd(link), file), "expose"))
		goto out;
	fd = open(file, O_RDONLY);
	if (!ASSERT_GE(fd, 0, "open view file"))
		goto out;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ASSERT_EQ(n, 6, "read len");
	ASSERT_STREQ(buf, "hello\n", "content");
	ASSERT_OK(unlink(pin), "unlink pin");
	ASSERT_ERR(access(file, F_OK), "file gone");
	ASSERT_EQ(errno, ENOENT, "errno ENOENT");
out:
	if (cg_fd >= 0)
		close(cg_fd);
	bpf_link__destroy(link);
	bpf_view__destroy(skel);
	remove_cgroup("/bpf_view");
out_umount:
	umount(bpffs);
out_rmdir:
	rmdir(bpffs);
}

void test_bpf_view(void)
{
	if (!ASSERT_OK(setup_cgroup_environment(), "setup_cgroup_environment"))
		return;
	if (test__start_subtest("bad_return"))
		test_bad_return();
	if (test__start_subtest("hello"))
		test_hello();
	cleanup_cgroup_environment();
}
