"""Finding skills in every layout, precedence, rendering, and the system prompt section."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopfloor.specs.skills import SkillCatalog, discover_skills
from tests.specs.conftest import write

BUILTIN_SKILLS = {"api_development", "database_designer", "backend_security"}


def skill_md(name: str, description: str, body: str) -> str:
    return f"---\nname: {name}\ndescription: {description}\n---\n\n{body}\n"


@pytest.fixture
def catalog(project: Path, home: Path) -> SkillCatalog:
    folder = project / ".claude/skills/release-notes"
    write(folder / "SKILL.md", skill_md("release-notes", "Write release notes.", "Group by $ARGUMENTS."))
    write(folder / "reference.md", "# Style\n")
    write(folder / "scripts/collect.sh", "git log --oneline\n")
    write(folder / "scripts/__pycache__/junk.pyc", b"\x00")
    write(folder / ".DS_Store", b"\x00")
    write(project / ".shopfloor/skills/changelog/SKILL.md", skill_md("changelog", "Keep a changelog.", "Add"))
    write(home / ".claude/skills/pairing/SKILL.md", skill_md("pairing", "Pair programming tips.", "Talk."))
    write(project / ".claude/skills/backend/caching.md", "# Caching\n\nCache reads, not writes.\n\nMore.\n")
    write(
        project / ".claude/skills/backend/queues.md",
        skill_md("message_queues", "Work with queues.", "Use idempotent consumers."),
    )
    write(project / ".claude/skills/backend/README.md", "# About this folder\n")
    return discover_skills(project, home=home)


def test_every_layout_and_location_is_found(catalog: SkillCatalog, project: Path, home: Path) -> None:
    found = {s.name: s for s in catalog.all()}
    assert {"release-notes", "changelog", "pairing", "caching", "message_queues"} | BUILTIN_SKILLS == set(
        found
    )
    assert found["release-notes"].origin == "project"
    assert found["changelog"].origin == "project"
    assert found["pairing"].origin == "user"
    assert found["api_development"].origin == "builtin"
    assert found["message_queues"].source == project / ".claude/skills/backend/queues.md"
    assert found["message_queues"].description == "Work with queues."
    assert catalog.names() == sorted(found)


def test_bundled_files_are_listed_as_absolute_paths(catalog: SkillCatalog, project: Path) -> None:
    spec = catalog.get("release-notes")
    assert spec is not None
    folder = (project / ".claude/skills/release-notes").resolve()
    assert spec.files == [folder / "reference.md", folder / "scripts/collect.sh"]
    assert spec.directory == project / ".claude/skills/release-notes"
    flat = catalog.get("caching")
    assert flat is not None and flat.files == [] and flat.directory is None
    assert folder in catalog.bundle_dirs()


def test_flat_file_without_frontmatter_uses_stem_and_first_paragraph(catalog: SkillCatalog) -> None:
    spec = catalog.get("caching")
    assert spec is not None
    assert spec.description == "Caching"
    assert "Cache reads, not writes." in spec.body
    warnings = [p for p in catalog.problems if p.path.name == "caching.md"]
    assert [(p.severity, p.line) for p in warnings] == [("warning", 1)]


def test_project_skill_beats_user_and_builtin(project: Path, home: Path) -> None:
    write(project / ".claude/skills/api_development/SKILL.md", skill_md("api_development", "Ours.", "local"))
    write(home / ".claude/skills/api_development/SKILL.md", skill_md("api_development", "Mine.", "user"))
    write(home / ".claude/skills/backend_security.md", skill_md("backend_security", "Mine.", "user sec"))
    catalog = discover_skills(project, home=home)
    api = catalog.get("api_development")
    sec = catalog.get("backend_security")
    assert api is not None and api.body == "local" and api.origin == "project"
    assert sec is not None and sec.body == "user sec" and sec.origin == "user"
    hidden = sorted((s.spec.name, s.spec.origin, s.by.origin) for s in catalog.shadowed)
    assert hidden == [
        ("api_development", "builtin", "project"),
        ("api_development", "user", "project"),
        ("backend_security", "builtin", "user"),
    ]


def test_broken_skill_files_are_problems_with_lines(project: Path, home: Path) -> None:
    skills = project / ".claude/skills"
    write(skills / "nodesc/SKILL.md", "---\nname: nodesc\n---\nThe first paragraph.\n\nMore.\n")
    write(skills / "noyaml/SKILL.md", "# No frontmatter\n\nJust instructions.\n")
    write(skills / "badyaml/SKILL.md", "---\nname: badyaml\ndescription: a\n  b: c\n---\nDo it.\n")
    write(skills / "latin1/SKILL.md", b"---\ndescription: caf\xe9\n---\nbody\n")
    write(skills / "listdesc/SKILL.md", "---\ndescription: [a, b]\n---\nbody\n")
    write(skills / "fine/SKILL.md", skill_md("fine", "Fine.", "ok"))
    catalog = discover_skills(project, home=home)
    assert catalog.get("fine") is not None
    errors = sorted((p.path.parent.name, p.line) for p in catalog.errors)
    assert errors == [("latin1", 2), ("listdesc", 2)]
    assert catalog.get("latin1") is None and catalog.get("listdesc") is None
    # Every field is optional in Claude Code: the description falls back to the first paragraph, and
    # a skill whose YAML cannot be read loads without its fields.
    nodesc, noyaml, badyaml = catalog.get("nodesc"), catalog.get("noyaml"), catalog.get("badyaml")
    assert nodesc is not None and nodesc.description == "The first paragraph."
    assert noyaml is not None and noyaml.description == "No frontmatter"
    assert badyaml is not None and badyaml.description == "Do it." and badyaml.body == "Do it."
    warned = sorted((p.path.parent.name, p.line) for p in catalog.problems if p.severity == "warning")
    assert warned == [("badyaml", 1), ("badyaml", 4), ("nodesc", 1), ("noyaml", 1)]


def test_render_gives_instructions_and_bundled_paths(catalog: SkillCatalog, project: Path) -> None:
    text = catalog.render("release-notes", "by component")
    assert text is not None
    assert "Group by by component." in text
    assert str((project / ".claude/skills/release-notes/scripts/collect.sh").resolve()) in text
    assert "Read" in text
    plain = catalog.render("changelog", "v2")
    assert plain is not None and "ARGUMENTS: v2" in plain
    assert catalog.render("/changelog") is not None
    assert catalog.render("no-such-skill") is None


def test_system_prompt_injects_own_skills_and_lists_the_rest(catalog: SkillCatalog) -> None:
    text, warnings = catalog.system_prompt_section(["changelog", "api_development", "changelog"])
    assert warnings == []
    api = catalog.get("api_development")
    assert api is not None and api.body in text
    assert text.count("Keep a changelog.") == 0  # injected in full, not listed
    assert text.count('<skill name="changelog"') == 1
    assert "- pairing: Pair programming tips." in text
    assert "- message_queues: Work with queues." in text
    assert "- api_development:" not in text
    assert "Skill tool" in text


def test_missing_injected_skill_is_a_warning_and_the_rest_goes_on(catalog: SkillCatalog) -> None:
    text, warnings = catalog.system_prompt_section(["changelg", "pairing"])
    assert len(warnings) == 1
    assert "changelg" in warnings[0] and "Did you mean: changelog" in warnings[0]
    assert '<skill name="pairing"' in text


def test_listing_can_be_left_out_when_the_agent_has_no_skill_tool(catalog: SkillCatalog) -> None:
    text, _ = catalog.system_prompt_section(["pairing"], list_others=False)
    assert '<skill name="pairing"' in text
    assert "Skill tool" not in text and "- changelog:" not in text
    empty, warnings = catalog.system_prompt_section([], list_others=False)
    assert empty == "" and warnings == []


def test_skill_description_with_an_unquoted_colon_loads_with_a_warning(project: Path, home: Path) -> None:
    write(project / ".claude/skills/pdf/SKILL.md", "---\nname: pdf\ndescription: Use for: PDFs\n---\nbody\n")
    catalog = discover_skills(project, home=home)
    spec = catalog.get("pdf")
    assert spec is not None and spec.description == "Use for: PDFs"
    assert [(p.severity, p.line) for p in catalog.problems] == [("warning", 3)]


def test_listing_shortens_descriptions_before_it_leaves_skills_out(project: Path, home: Path) -> None:
    for i in range(40):
        write(project / f".claude/skills/s{i:02d}/SKILL.md", skill_md(f"s{i:02d}", "word " * 100, "Body."))
    catalog = discover_skills(project, home=home)
    text, warnings = catalog.system_prompt_section([], budget_chars=8_000)
    assert warnings == []
    ours = [ln for ln in text.splitlines() if ln.startswith("- s") and ": word" in ln]
    assert len(ours) == 40
    assert all(ln.endswith("...") and len(ln) <= 110 for ln in ours)  # each description cut to fit


def test_listing_keeps_to_its_budget_and_says_how_many_it_left_out(project: Path, home: Path) -> None:
    for i in range(800):
        write(
            project / f".claude/skills/skill-{i:03d}/SKILL.md", skill_md(f"skill-{i:03d}", "x " * 200, "B.")
        )
    catalog = discover_skills(project, home=home)
    text, warnings = catalog.system_prompt_section([], budget_chars=2_000)
    listing = text.split(":\n", 1)[1]
    listed = [ln for ln in listing.splitlines() if ln.startswith("- skill-")]
    left_out = 803 - len(listed)  # the three built-ins are listed last, so they are the first left out
    assert len(listing) < 2_000 + 150
    assert listed[0] == "- skill-000"  # names only
    assert f"({left_out} more installed skills are not listed here" in listing
    assert len(warnings) == 1 and f"{left_out} of 803 installed skills were left out" in warnings[0]


def test_injected_project_skill_reads_the_same_in_every_worktree(tmp_path: Path, home: Path) -> None:
    texts = []
    for name in ("tree-one", "tree-two-longer"):
        root = tmp_path / name
        folder = root / ".claude/skills/release-notes"
        write(folder / "SKILL.md", skill_md("release-notes", "Write release notes.", "See style.md first."))
        write(folder / "style.md", "# Style\n")
        write(folder / "scripts/collect.sh", "git log\n")
        text, _ = discover_skills(root, home=home).system_prompt_section(["release-notes"], workdir=root)
        texts.append(text)
    assert texts[0] == texts[1]
    assert "tree-" not in texts[0]
    assert (
        "Base directory for this skill: .claude/skills/release-notes (in the working directory)" in texts[0]
    )
    assert "- .claude/skills/release-notes/scripts/collect.sh" in texts[0]  # not named by the text
    assert "style.md\n- " not in texts[0] and texts[0].count("style.md") == 1  # named, so not repeated
