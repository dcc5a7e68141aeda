"""Findings as a SARIF 2.1.0 log, the format code-scanning tools read: one run, one rule per rule id
with its CWE tag and a `security-severity`, one result per finding with its file and lines."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shopfloor.config.sections import Severity
from shopfloor.gate.findings import Finding
from shopfloor.gate.security.rules import RULES

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_LEVEL: dict[Severity, str] = {"high": "error", "medium": "warning", "low": "note"}
# GitHub code scanning sorts security results by this number (critical >= 9, high >= 7, medium >= 4).
_SECURITY_SEVERITY: dict[Severity, str] = {"high": "8.0", "medium": "5.0", "low": "2.0"}


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class Text(_Model):
    text: str


class RuleProperties(_Model):
    tags: list[str]
    security_severity: str = Field(alias="security-severity")


class Configuration(_Model):
    level: str


class ReportingDescriptor(_Model):
    id: str
    name: str
    short_description: Text = Field(alias="shortDescription")
    help: Text
    default_configuration: Configuration = Field(alias="defaultConfiguration")
    properties: RuleProperties


class Driver(_Model):
    name: str = "shopfloor"
    version: str
    rules: list[ReportingDescriptor]


class Tool(_Model):
    driver: Driver


class ArtifactLocation(_Model):
    uri: str
    uri_base_id: str = Field("SRCROOT", alias="uriBaseId")


class Region(_Model):
    start_line: int = Field(alias="startLine")
    end_line: int | None = Field(None, alias="endLine")


class PhysicalLocation(_Model):
    artifact_location: ArtifactLocation = Field(alias="artifactLocation")
    region: Region


class Location(_Model):
    physical_location: PhysicalLocation = Field(alias="physicalLocation")


class Result(_Model):
    rule_id: str = Field(alias="ruleId")
    rule_index: int = Field(alias="ruleIndex")
    level: str
    message: Text
    locations: list[Location]


class Run(_Model):
    tool: Tool
    results: list[Result]
    original_uri_base_ids: dict[str, dict[str, str]] | None = Field(None, alias="originalUriBaseIds")


class SarifLog(_Model):
    schema_uri: str = Field(SCHEMA, alias="$schema")
    version: str = "2.1.0"
    runs: list[Run]

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, exclude_none=True, indent=2)


def sarif_log(findings: list[Finding], *, tool_version: str, root_uri: str | None = None) -> SarifLog:
    """One run holding every finding; paths stay relative to the scanned tree (`SRCROOT`)."""
    rules: list[ReportingDescriptor] = []
    index: dict[str, int] = {}
    results: list[Result] = []
    for f in findings:
        if f.rule_id not in index:
            index[f.rule_id] = len(rules)
            rules.append(_descriptor(f))
        end = f.end_line if f.end_line and f.end_line > f.line else None
        region = Region(start_line=max(f.line, 1), end_line=end)
        location = PhysicalLocation(artifact_location=ArtifactLocation(uri=f.file), region=region)
        results.append(
            Result(
                rule_id=f.rule_id,
                rule_index=index[f.rule_id],
                level=_LEVEL[f.severity],
                message=Text(text=f"{f.message} Fix: {f.fix_hint}"),
                locations=[Location(physical_location=location)],
            )
        )
    bases = {"SRCROOT": {"uri": root_uri}} if root_uri else None
    driver = Driver(version=tool_version, rules=rules)
    run = Run(tool=Tool(driver=driver), results=results, original_uri_base_ids=bases)
    return SarifLog(runs=[run])


def _descriptor(f: Finding) -> ReportingDescriptor:
    rule = RULES.get(f.rule_id)
    tags = ["security"] if f.source != "testproof" else ["tests"]
    cwe = f.cwe or (rule.cwe if rule else None)
    if cwe:
        tags.append(f"external/cwe/{cwe.lower()}")
    title = rule.title if rule else f.rule_id
    return ReportingDescriptor(
        id=f.rule_id,
        name=f.rule_id,
        short_description=Text(text=title),
        help=Text(text=rule.fix if rule else f.fix_hint),
        default_configuration=Configuration(level=_LEVEL[f.severity]),
        properties=RuleProperties(tags=tags, security_severity=_SECURITY_SEVERITY[f.severity]),
    )
