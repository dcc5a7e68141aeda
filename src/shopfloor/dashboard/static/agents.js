// The agents and skills page.
"use strict";

(function () {
  const SF = (window.SF = window.SF || {});
  const { h } = SF;

  const table = (caption, headers, rows) => SF.table(caption, headers, rows);

  SF.showAgents = async function (body) {
    SF.fill(body, h("p", { class: "muted" }, "Looking for agents and skills…"));
    try {
      SF.fill(body, SF.renderAgents(await SF.api("api/agents")));
    } catch (err) {
      SF.fill(body, h("p", { class: "notice" }, err.message));
    }
  };

  SF.renderAgents = function (view) {
    const problems = view.problems.map((p) =>
      h("li", { class: "problem", dataset: { severity: p.severity } },
        SF.badge(p.severity), " ", h("code", {}, `${p.path}:${p.line}`), ` (${p.kind}) ${p.message}`));
    const agents = view.agents.map((a) =>
      h("tr", {},
        h("th", { scope: "row" }, a.name),
        h("td", {}, a.origin),
        h("td", {}, a.model || "inherit"),
        h("td", {}, a.tools === null ? "all" : a.tools.join(", ") || "none"),
        h("td", {}, a.skills.join(", ") || "–"),
        h("td", {}, a.description),
        h("td", {}, h("code", {}, a.source))));
    const skills = view.skills.map((s) =>
      h("tr", {},
        h("th", { scope: "row" }, s.name),
        h("td", {}, s.origin),
        h("td", {}, s.description),
        h("td", { class: "num" }, String(s.files)),
        h("td", {}, h("code", {}, s.source))));
    const shadowed = view.shadowed.map((s) =>
      h("li", {}, `${s.kind} ${s.name}: `, h("code", {}, s.hidden), " is hidden by ", h("code", {}, s.by)));
    return h("div", {},
      h("section", { "aria-labelledby": "problems-heading" },
        h("h2", { id: "problems-heading" }, `Problems (${problems.length})`),
        problems.length ? h("ul", { class: "problems" }, problems)
          : h("p", { class: "muted" }, "Every agent and skill file reads cleanly.")),
      h("section", { "aria-labelledby": "agents-list-heading" },
        h("h2", { id: "agents-list-heading" }, `Agents (${agents.length})`),
        table("Agents found from the project, the user's folder and the built-ins",
          ["Name", "From", "Model", "Tools", "Skills", "Description", "File"], agents)),
      h("section", { "aria-labelledby": "skills-list-heading" },
        h("h2", { id: "skills-list-heading" }, `Skills (${skills.length})`),
        table("Skills agents can load", ["Name", "From", "Description", "Files", "File"], skills)),
      shadowed.length
        ? h("section", { "aria-labelledby": "shadowed-heading" },
          h("h2", { id: "shadowed-heading" }, "Hidden by a higher-precedence definition"),
          h("ul", {}, shadowed))
        : null);
  };
})();
