"""Who the runner is and who the code is (PROTOCOL.md, "Security").

The service starts the runner as root holding three capabilities only (CAP_SETUID, CAP_SETGID,
CAP_KILL, nothing that bypasses file permissions); the code runs as the image's sandbox user. So the
runner's /proc/1/fd, its pipes and the protocol stream belong to another uid than the code's, which
both kernels refuse to the code: Linux by its ptrace access check on /proc/<pid>/fd, gVisor (which
ignores the non-dumpable flag there) by the permission check of the file reopened through it.

The runner touches the code's files (workspace, /tmp) with the code's uid as its effective uid
(`CodeUser`), so what it writes is the code's to change and what the code writes is readable to it;
its real and saved uid stay root, so it can come back. The code's process drops every identity of
root for good (`become_code_user`): its capabilities go with them, and no_new_privs (the engine's
`no-new-privileges`) keeps it from gaining any by exec.

A runner started as the sandbox user itself (an older service) does none of this: everything here
then does nothing.
"""

import os

CODE_UID = 10001                     # the image's `sandbox` user (Dockerfile)
CODE_GID = 10001


def privileged():
    """True when this process may take other identities (the runner started as root)."""
    return os.getresuid()[2] == 0


def become_code_user():
    """For good: uid and gid of the code, no supplementary groups, no capabilities. Checked."""
    if not privileged():
        return
    os.setgroups([])
    os.setresgid(CODE_GID, CODE_GID, CODE_GID)
    os.setresuid(CODE_UID, CODE_UID, CODE_UID)
    if os.getresuid() != (CODE_UID,) * 3 or os.getresgid() != (CODE_GID,) * 3:
        raise OSError('the code process kept an identity of the runner')


class CodeUser:
    """`with CodeUser():` file work done as the code's uid and gid (effective ids only).

    Pipes, sockets and files made meanwhile belong to the code: only what the code may reach anyway
    (its workspace, its /tmp, its own stdio) is made inside.
    """

    def __enter__(self):
        self.active = privileged() and os.geteuid() == 0
        if self.active:
            os.setresgid(-1, CODE_GID, -1)
            os.setresuid(-1, CODE_UID, -1)
        return self

    def __exit__(self, *_exc):
        if self.active:
            os.setresuid(-1, 0, -1)
            os.setresgid(-1, 0, -1)
        return False
