"""The one way shopfloor runs git: never prompts, pages or signs, English messages to parse, and no
program the repository configured (hooks, fsmonitor, editors, diff and signing programs) runs under
shopfloor's own name: the command line overrides every setting that starts one, which beats every
configuration file, and the system-wide file is not read at all.

`git()` blocks (for worker threads and the CLI); `agit()` is the same call for the event loop. `process`
starts git; `queries` asks it about commits, branches and checkouts.
"""

from shopfloor.vcs.process import (
    DEFAULT_TIMEOUT_S,
    FALLBACK_EMAIL,
    FALLBACK_NAME,
    GitError,
    GitResult,
    agit,
    git,
    git_env,
    identity_args,
    identity_env,
)
from shopfloor.vcs.queries import (
    branch_holder,
    check_worktree,
    checkouts,
    conflicted_files,
    current_branch,
    git_dir,
    git_path,
    git_version,
    head_tree,
    ref_exists,
    resolve_commit,
    rev_parse,
    tidy,
)

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "FALLBACK_EMAIL",
    "FALLBACK_NAME",
    "GitError",
    "GitResult",
    "agit",
    "branch_holder",
    "check_worktree",
    "checkouts",
    "conflicted_files",
    "current_branch",
    "git",
    "git_dir",
    "git_env",
    "git_path",
    "git_version",
    "head_tree",
    "identity_args",
    "identity_env",
    "ref_exists",
    "resolve_commit",
    "rev_parse",
    "tidy",
]
