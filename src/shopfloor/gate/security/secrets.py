"""Secrets in code: detect-secrets' plugins run in-process, mapped onto our severities."""

from __future__ import annotations

import ast
import re
import tempfile
from pathlib import Path

from shopfloor.config.sections import Severity
from shopfloor.gate.findings import Finding
from shopfloor.gate.security.names import FIELD_LABELS, plausible_secret

# Kinds that name a real credential format: a match is almost never an accident.
_HIGH_TYPES = {
    "AWS Access Key",
    "Azure Storage Account access key",
    "Artifactory Credentials",
    "Basic Auth Credentials",
    "Cloudant Credentials",
    "Discord Bot Token",
    "GitHub Token",
    "GitLab Token",
    "IBM Cloud IAM Key",
    "IBM COS HMAC Credentials",
    "Mailchimp Access Key",
    "NPM tokens",
    "OpenAI Token",
    "Private Key",
    "PyPI upload token",
    "SendGrid API Key",
    "Slack Token",
    "SoftLayer Credentials",
    "Square OAuth Secret",
    "Stripe Access Key",
    "Telegram Bot Token",
    "Twilio API Key",
}
_MEDIUM_TYPES = {"Secret Keyword", "JSON Web Token"}
# Public IPs and plain high-entropy strings (hashes, ids, test vectors) are too noisy to report.
_SKIPPED_TYPES = {"Public IP (ipv4)", "Hex High Entropy String"}


_EXAMPLE_PASSWORDS = {
    "postgres",
    "changethis",
    "changeme",
    "root",
    "admin",
    "example",
    "pass",
    "password",
    "passwd",
    "pw",
    "pwd",
    "tiger",
    "secret",
    "xxx",
    "xxxx",
    "***",
    "****",
}
_PLACEHOLDER_KEY = "A private key header with no key material after it (documentation, most likely)."
_MAX_LINE = 4000
_DOC_NOTE = "Credentials in a comment or docstring (an example, most likely); make sure they are not real."

_CODE_SUFFIXES = {".py", ".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs"}
# A long unbroken literal, a word that names a credential, a key block or a URL with a user part.
_CANDIDATE = re.compile(
    r"""["'`][^"'`\s]{16,}|pass|pwd|secret|key|token|auth|cred|PRIVATE|://|AKIA|ghp_|xox""", re.IGNORECASE
)

SECRET_FILE_SUFFIXES = {".py", ".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".yml", ".yaml", ".toml", ".ini"}
SECRET_FILE_NAMES = {".env", ".env.local", ".env.production", ".env.development", "docker-compose.yml"}


def wants_secret_scan(rel_path: str) -> bool:
    """Source and config files are scanned; lock files, docs and data are not."""
    name = Path(rel_path).name
    return name in SECRET_FILE_NAMES or Path(rel_path).suffix in SECRET_FILE_SUFFIXES


def scan_secrets(root: Path, rel_paths: list[str]) -> list[Finding]:
    """Run detect-secrets over `rel_paths` (relative to `root`) and map what it finds."""
    from detect_secrets.core.scan import scan_file
    from detect_secrets.settings import default_settings

    found: list[Finding] = []
    with default_settings(), tempfile.TemporaryDirectory(prefix="shopfloor-secrets-") as tmp:
        for n, rel in enumerate(rel_paths):
            docs: set[int] | None = None
            target, line_map = _candidate_lines(root / rel, Path(tmp) / str(n))
            for secret in scan_file(str(target)):
                value = str(secret.secret_value or "")
                if secret.type == "Secret Keyword" and _label(value, target, secret.line_number):
                    continue
                line = line_map[secret.line_number - 1] if line_map else int(secret.line_number)
                finding = _to_finding(rel, str(secret.type), line)
                if finding is None or finding.severity != "high":
                    found += [finding] if finding else []
                    continue
                docs = _doc_lines(root / rel) if docs is None else docs
                if finding.line in docs:
                    # Example URLs and keys in docstrings and comments document a format; they run nowhere.
                    finding = finding.model_copy(update={"severity": "low", "message": _DOC_NOTE})
                elif secret.type == "Basic Auth Credentials" and _throwaway(
                    rel, root / rel, finding.line, value
                ):
                    finding = finding.model_copy(
                        update={"severity": "low" if _scaffolding(rel) else "medium"}
                    )
                elif secret.type == "Private Key" and not _has_key_body(root / rel, finding.line):
                    finding = finding.model_copy(update={"severity": "low", "message": _PLACEHOLDER_KEY})
                found.append(finding)
    return found


def _candidate_lines(path: Path, workdir: Path) -> tuple[Path, list[int]]:
    """For source files, a copy holding only the lines that could carry a secret, and their numbers.

    detect-secrets spends most of its time per line, secret or not; source files are mostly lines that
    cannot hold one. Config files (.env, YAML) are scanned whole.
    """
    if path.suffix not in _CODE_SUFFIXES:
        return path, []
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return path, []
    # Lines of thousands of characters are generated data (wasm, bundles), not hand-written secrets.
    keep = [n for n, row in enumerate(lines, 1) if len(row) <= _MAX_LINE and _CANDIDATE.search(row)]
    workdir.mkdir()
    copy = workdir / path.name  # same name: detect-secrets' filters look at it
    copy.write_text("\n".join(lines[n - 1] for n in keep) + "\n", encoding="utf-8")
    return copy, keep


def _scaffolding(rel: str) -> bool:
    """CI, compose, example and test files: their credentials set up a throwaway database."""
    p = Path(rel)
    name = p.name.lower()
    return (
        bool({".github", ".gitlab", ".circleci", ".buildkite", "tests", "test"} & set(p.parts[:-1]))
        or name.startswith(("docker-compose", "compose.", ".gitlab-ci", ".travis", "jenkinsfile"))
        or any(w in name for w in ("example", "sample", "template", ".dist"))
    )


_LOCAL_HOST = re.compile(
    r"://[^:/@\s]*:[^@\s]*@(localhost|127\.0\.0\.1|0\.0\.0\.0|host\.docker\.internal|[a-z][\w-]*)[:/\s'\"]",
    re.I,
)


def _throwaway(rel: str, path: Path, line: int, value: str) -> bool:
    """A well-known example password, a URL to a local or compose-service host, or a scaffolding file."""
    if value.lower() in _EXAMPLE_PASSWORDS or _scaffolding(rel):
        return True
    try:
        row = path.read_text(encoding="utf-8", errors="replace").splitlines()[line - 1]
    except (OSError, IndexError):
        return False
    return bool(_LOCAL_HOST.search(row + " "))


def _has_key_body(path: Path, line: int) -> bool:
    """A private key header followed by real key material, not `XXXX` or `...` as in documentation."""
    try:
        rows = path.read_text(encoding="utf-8", errors="replace").splitlines()[line - 1 : line + 3]
    except OSError:
        return True
    return bool(re.search(r"[A-Za-z0-9+/]{40,}", "\n".join(rows)))


def _doc_lines(path: Path) -> set[int]:
    """Lines inside comments, docstrings and other bare string statements."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    lines = {
        n for n, row in enumerate(text.splitlines(), 1) if row.lstrip().startswith(("#", "//", "*", "/*"))
    }
    if path.suffix == ".py":
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            return lines
        for node in ast.walk(tree):
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return lines


_KEY_ON_LINE = re.compile(r"""([A-Za-z_][\w.-]*)['"]?\s*[:=]\s*['"]?""")


def _label(value: str, path: Path, line: int) -> bool:
    """A keyword match whose value is a label (`RESET_PASSWORD: 'resetPassword'`, `PASSWORD =
    "password"`) or too short to be a secret, judged with the key on its line as our own rules are."""
    v = value.strip().lower().replace("-", "_")
    if len(v) < 6 or v in FIELD_LABELS:
        return True
    try:
        row = path.read_text(encoding="utf-8", errors="replace").splitlines()[line - 1]
    except (OSError, IndexError):
        return False
    before = row.split(value, 1)[0]
    keys = _KEY_ON_LINE.findall(before)
    return bool(keys) and not plausible_secret(value, keys[-1])


def _to_finding(rel: str, kind: str, line: int) -> Finding | None:
    if kind in _SKIPPED_TYPES:
        return None
    severity: Severity = "high" if kind in _HIGH_TYPES else "medium" if kind in _MEDIUM_TYPES else "low"
    slug = "-".join(kind.lower().replace("(", "").replace(")", "").split())
    return Finding(
        file=rel,
        line=line,
        rule_id=f"secret-{slug}",
        severity=severity,
        message=f"Possible hard-coded secret ({kind}).",
        fix_hint="Read it from the environment or a secret store; rotate it if it was ever committed.",
        source="detect-secrets",
        cwe="CWE-798",
    )
