"""A task worktree's project environment: its stacks, their setup (cached), its services, and the PATH and
variables the agent's shell and the gate's checks run with.

Above `tools/` (it runs its commands through the one subprocess runner and the sandbox), below `gate/`
and `orchestrator/`, which take a `ProjectEnv` as data.
"""

from shopfloor.env.project_env import EnvSource, ProjectEnv, inspect_env
from shopfloor.env.setup import EnvBroken, Environments
from shopfloor.env.spec import EnvSpec, SetupStep, env_spec
from shopfloor.env.stacks import Stack, detect_stacks

__all__ = [
    "EnvBroken",
    "EnvSource",
    "EnvSpec",
    "Environments",
    "ProjectEnv",
    "SetupStep",
    "Stack",
    "detect_stacks",
    "env_spec",
    "inspect_env",
]
