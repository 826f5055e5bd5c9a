"""Confine the process that scores one submission: limits, no network, no files, no privileges.

Linux namespaces do the isolating (the mechanism bubblewrap uses), set up in the process itself
so that it keeps the scoring library its parent imported: a new mount namespace whose root holds
only the Python installation read-only and an empty /tmp, a new network namespace with no
interface up, and, when started as root, an unprivileged user id of its own (no file or process
on the machine belongs to it, so it can signal no other process and its process limit is exact).
Without root, a user namespace stands in where the kernel allows one; where it does not, only
the limits apply.
"""

from __future__ import annotations

import ctypes
import errno
import math
import os
import resource
import signal
import site
import sys
from dataclasses import dataclass

CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWUSER = 0x00020000, 0x40000000, 0x10000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT = 0x1, 0x2, 0x4, 0x20
MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 0x1000, 0x2000, 0x4000, 0x40000
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_SECUREBITS, PR_SET_NO_NEW_PRIVS = 1, 4, 24, 28, 38
SECURE_BITS_LOCKED = 0b101111  # NOROOT, NO_SETUID_FIXUP and KEEP_CAPS_LOCKED, each with its lock
LINUX_CAPABILITY_VERSION_3 = 0x20080522
SEALED_UID_BASE = 1_900_000_000  # + the process id: a user id of its own, unused on the machine
DEVICES = ("/dev/null", "/dev/zero", "/dev/random", "/dev/urandom")
# Where the new root is built: the first of these that holds none of the paths bound into it.
SCRATCH_MB_BEFORE_JOB = 1  # the scratch /tmp takes the job's output limit as its size once the job arrives
ROOT_MOUNT_POINTS = ("/mnt", "/media", "/srv", "/run", "/var/tmp", "/tmp")

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]


@dataclass(frozen=True)
class Limits:
    """What one scoring run may use."""

    cpu_s: int = 600
    memory_mb: int = 2048
    max_processes: int = 0
    max_output_mb: int = 16

    @classmethod
    def from_dict(cls, data: dict) -> Limits:
        """Return limits from a request's `limits` object (unknown keys are ignored)."""
        return cls(**{k: int(data[k]) for k in ("cpu_s", "memory_mb", "max_processes", "max_output_mb") if k in data})


@dataclass(frozen=True)
class Confinement:
    """What the seal achieved, for the one line the scoring server logs at start."""

    network: bool
    filesystem: bool
    user: str


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = (lambda s: s.encode() if s is not None else None)
    _check(_libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)), f"mount {target}")


def bound_paths() -> list[str]:
    """Return the folders the scoring process may read: the interpreter, its packages, ours."""
    import ultrathon

    wanted = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, "/usr",
              os.path.dirname(os.path.abspath(ultrathon.__file__)), *site.getsitepackages()}
    wanted |= {p for p in ("/lib", "/lib64", "/lib32", "/bin", "/sbin") if not os.path.islink(p)}
    real = sorted({os.path.realpath(p) for p in wanted if p and os.path.isdir(p)})
    # A folder inside one already bound needs no mount of its own.
    return [p for i, p in enumerate(real) if not any(p.startswith(q.rstrip("/") + "/") for q in real[:i])]


def _build_root(paths: list[str], scratch_mb: int) -> None:
    """Replace this mount namespace's root by a tmpfs holding `paths` read-only and a scratch /tmp."""
    top = next(p for p in ROOT_MOUNT_POINTS
               if os.path.isdir(p) and not any(q == p or q.startswith(p + "/") for q in paths))
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("tmpfs", top, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    for link in ("/lib", "/lib64", "/lib32", "/bin", "/sbin"):
        if os.path.islink(link):
            os.symlink(os.readlink(link), top + link)
    # The scratch /tmp first: paths bound below it (a checkout under /tmp) then sit inside it.
    os.makedirs(top + "/tmp")
    _mount("tmpfs", top + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={scratch_mb}m,mode=1777")
    for path in paths:
        target = top + path
        os.makedirs(target, mode=0o755, exist_ok=True)
        _mount(path, target, None, MS_BIND | MS_REC)
        try:
            _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
        except OSError as error:  # in a user namespace a locked mount keeps its own flags
            if error.errno != errno.EPERM:
                raise
    os.makedirs(top + "/dev", mode=0o755)
    for device in DEVICES:
        if os.path.exists(device):
            open(top + device, "w").close()
            _mount(device, top + device, None, MS_BIND)
    # Move the new root over "/" and enter it: the old root is then covered and out of reach.
    os.chdir(top)
    _mount(".", "/", None, MS_MOVE)
    os.chroot(".")
    os.chdir("/")


def _enter_user_namespace() -> None:
    """Become root of a new user namespace that maps only our own user and group."""
    uid, gid = os.getuid(), os.getgid()
    _check(_libc.unshare(CLONE_NEWUSER), "unshare user namespace")
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"0 {uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"0 {gid} 1")


def isolate(paths: list[str]) -> Confinement:
    """Enter new mount and network namespaces and a root of `paths` alone; report what held.

    Done before a job arrives; `restrict` then applies the job's limits.
    """
    user = "own user id" if os.geteuid() == 0 else "unchanged"  # `restrict` drops root to a user id of its own
    try:
        if user == "unchanged":
            _enter_user_namespace()
        _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWNET), "unshare mount and network namespaces")
    except OSError:
        _not_dumpable()
        return Confinement(network=False, filesystem=False, user=user)
    _build_root(paths, SCRATCH_MB_BEFORE_JOB)
    _not_dumpable()
    return Confinement(network=True, filesystem=True, user=user)


def _not_dumpable() -> None:
    # From here on no other process of the same user (without root, the worker's and an earlier
    # job's) may trace this one or read its memory, not even while it waits for its job. (After
    # the user namespace's maps are written: a non-dumpable process may not write them.)
    _check(_libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "prctl dumpable")


def _set_limits(limits: Limits, cpu_used_s: float) -> None:
    mb = 2**20
    # RLIMIT_CPU counts the process's whole life: add what it used before the job arrived.
    cpu = math.ceil(cpu_used_s + limits.cpu_s)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb * mb, limits.memory_mb * mb))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.max_output_mb * mb, limits.max_output_mb * mb))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # Counts every process of the user, this one included; the kernel ignores it for root, hence
    # the user id of its own below.
    resource.setrlimit(resource.RLIMIT_NPROC, (limits.max_processes + 1, limits.max_processes + 1))


def restrict(limits: Limits, confinement: Confinement) -> None:
    """Apply one job's limits to this isolated process and give up every privilege, for good."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    if confinement.filesystem:
        _mount(None, "/tmp", None, MS_REMOUNT | MS_NOSUID | MS_NODEV, f"size={limits.max_output_mb}m,mode=1777")
    _set_limits(limits, usage.ru_utime + usage.ru_stime)
    if confinement.user == "own user id":
        uid = SEALED_UID_BASE + os.getpid()
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    elif confinement.filesystem:
        _drop_capabilities()  # root of its user namespace: it could otherwise remount its root writable
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl no_new_privs")
    _not_dumpable()  # again: changing user ids resets it
    # Changing user ids also clears the death signal: the job still dies with the scoring server.
    _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl pdeathsig")


def _drop_capabilities() -> None:
    """Give up every capability for good, so that not even an exec as user 0 of the namespace regains one."""
    # Locked securebits: user 0 gains no capability on exec, and none is kept across a change of user.
    _check(_libc.prctl(PR_SET_SECUREBITS, SECURE_BITS_LOCKED, 0, 0, 0), "prctl securebits")
    for capability in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0 and ctypes.get_errno() != errno.EINVAL:
            _check(-1, f"prctl capbset_drop {capability}")
    header = (ctypes.c_uint32 * 2)(LINUX_CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()  # effective, permitted and inheritable sets, all empty
    _check(_libc.capset(header, data), "capset")


def confine(limits: Limits, paths: list[str]) -> Confinement:
    """Seal this (freshly forked) process at once: isolate it, then restrict it to `limits`."""
    confinement = isolate(paths)
    restrict(limits, confinement)
    return confinement
