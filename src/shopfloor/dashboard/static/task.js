// The task page: what it is, its story (attempts, sessions, every gate round, the merge), each gate
// round's full report, the branch's diff with the gate's findings on their lines, and the transcript.
"use strict";

(function () {
  const SF = (window.SF = window.SF || {});
  const { h } = SF;

  function pair(term, ...value) {
    return [h("dt", {}, term), h("dd", {}, ...value)];
  }

  function links(runId, ids) {
    if (!ids.length) return "nothing";
    return ids.flatMap((id, i) => (i ? [", ", SF.taskLink(runId, id)] : [SF.taskLink(runId, id)]));
  }

  // One line that says where the task stands, for cards and the task page alike.
  SF.story = function (row) {
    const fails = row.gate_failures || 0;
    const rounds = row.gate_rounds || 0;
    const again = row.attempt > 1 ? ` (attempt ${row.attempt})` : "";
    switch (row.status) {
      case "completed":
        if (fails) return `passed after ${SF.plural(fails, "gate retry", "gate retries")}${again}`;
        return rounds ? `passed the gate first time${again}` : "";
      case "verifying":
        return `gate round ${rounds + 1} running${again}`;
      case "in_progress":
        if (row.started === null || row.started === undefined) return "starting";
        return fails ? `fixing what gate round ${rounds} found${again}` : `agent at work${again}`;
      case "merging":
        return "verified; merging";
      case "pending":
        return row.dependencies && row.dependencies.length ? "waiting for " + row.dependencies.join(", ") : "waiting";
      default:
        return row.last_error || SF.statusLabel(row.status);
    }
  };

  function facts(detail, ctx) {
    const t = detail.task;
    const model = SF.modelWords(t);
    return h(
      "dl",
      { class: "facts wide-facts" },
      pair("Status", SF.badge(t.status), " ", h("span", { id: "task-story" }, SF.story(t))),
      pair("Agent", t.agent || "–"),
      pair("Model", model),
      t.planning ? null : pair("Attempts", String(t.attempt)),
      t.planning ? null : pair("Gate rounds", t.gate_rounds ? `${t.gate_rounds}, ${t.gate_failures} failed` : "none yet"),
      pair("Started", SF.when(t.started)),
      pair("Elapsed", h("span", { id: "task-elapsed" }, SF.duration(t.elapsed_s))),
      pair(SF.costTerm(t.scripted), h("span", { id: "task-cost" }, SF.cost(t.cost_usd))),
      pair("Tokens", h("span", { id: "task-tokens" }, SF.tokens(t.tokens))),
      t.planning ? null : pair("Depends on", links(ctx.runId, t.dependencies)),
      t.planning ? null : pair("Needed by", links(ctx.runId, detail.dependents)),
      detail.branch ? pair("Branch", h("code", {}, detail.branch)) : null,
      detail.worktree ? pair("Worktree", h("code", {}, detail.worktree)) : null,
      detail.verified_tree ? pair("Verified tree", h("code", {}, detail.verified_tree)) : null,
      detail.merged_commit
        ? pair("Merged as", h("a", { href: SF.href.task(ctx.runId, t.task_id, "diff") }, h("code", {}, detail.merged_commit.slice(0, 12))))
        : null,
      t.last_error ? pair(t.status === "completed" ? "Note" : "Why", h("span", { class: "error-text", id: "task-why" }, t.last_error)) : null,
    );
  }

  function objective(detail) {
    if (!detail.objective && !detail.criteria.length) return null;
    return h(
      "section",
      { "aria-labelledby": "objective-heading" },
      h("h2", { id: "objective-heading" }, "Objective"),
      detail.objective ? h("p", { class: "prose" }, SF.inline(detail.objective)) : null,
      detail.criteria.length ? h("ul", {}, detail.criteria.map((c) => h("li", {}, SF.inline(c)))) : null,
    );
  }

  // ---- History -----------------------------------------------------------------------------------

  function stepBody(step, ctx) {
    const link = (anchor, text) => h("a", { href: SF.href.task(ctx.runId, ctx.taskId, anchor) }, text);
    const numbers = (s) => [s.turns !== null ? SF.plural(s.turns, "turn") : null,
      s.duration_s !== null ? SF.duration(s.duration_s) : null,
      s.cost_usd !== null && s.cost_usd !== undefined ? SF.cost(s.cost_usd) : null].filter(Boolean).join(" · ");
    switch (step.kind) {
      case "started":
        return [h("strong", {}, "Taken up"), ` by ${step.detail}`];
      case "environment": {
        const how = { setup: "installed", cache: "copied from the cache", kept: "kept from an earlier attempt", none: "nothing to install" };
        return [h("strong", {}, "Environment ready"), `: ${how[step.status] || step.status}`,
          step.status === "none" ? null : [" ", h("span", { class: "muted" }, SF.duration(step.duration_s))],
          step.detail ? [" · log ", h("code", {}, step.detail)] : null];
      }
      case "session": {
        const ended = step.status === null ? "at work" : step.status === "completed" ? "wrote its completion marker" : SF.statusLabel(step.status);
        return [
          h("strong", {}, `Agent session ${step.session}`), ` opened by ${SF.PROMPT_LABEL[step.prompt] || "a message"}: `,
          step.status === null ? SF.badge("running", "at work") : SF.badge(step.status === "completed" ? "pass" : step.status, ended),
          " ", h("span", { class: "muted" }, numbers(step)), " · ", link("session-" + step.session, "transcript"),
          step.detail ? h("p", { class: "step-detail" }, step.detail) : null,
        ];
      }
      case "gate":
        return [
          h("strong", {}, `Gate round ${step.round}`), " ", SF.badge(step.status),
          " ", h("span", { class: "muted" }, SF.duration(step.duration_s)), " · ", link("gate-" + step.round, "report"),
          h("p", { class: "step-detail" }, SF.inline(step.detail)),
          step.status === "fail" ? h("p", { class: "muted" }, "The report went back to the agent in the same session.") : null,
          step.status === "environment"
            ? h("p", { class: "muted" }, "The environment is broken, not the work: the agent was not blamed and no further attempt was spent.")
            : null,
        ];
      case "conflict":
        return [h("strong", {}, "Merge conflict"), ` with ${step.detail} in `,
          step.files.flatMap((f, i) => (i ? [", ", h("code", {}, f)] : [h("code", {}, f)])),
          h("p", { class: "muted" }, "shopfloor started the merge in the task's worktree; the agent resolves the conflict markers, shopfloor commits.")];
      case "merged":
        return [h("strong", {}, "Merged"), " as ", link("diff", h("code", {}, String(step.commit).slice(0, 12)))];
      case "attempt_ended":
        return [h("strong", {}, `Attempt ${step.attempt} ended`), ": ", SF.badge(step.status === "verified" ? "pass" : step.status === "environment_broken" ? "environment" : "fail", SF.statusLabel(step.status)),
          step.detail ? h("p", { class: "step-detail" }, step.detail) : null];
      case "lease_expired":
        return [h("strong", {}, "Lease expired"), `: the agent was ${step.detail}`];
      case "failure_report":
        return [h("strong", {}, "Failure report"), " written to ", h("code", {}, step.detail)];
      case "stopped":
        return [h("strong", {}, "Stopped"), `: ${step.detail}`];
      case "ended":
        return [h("strong", {}, "Task ended"), " ", SF.badge(step.status), step.detail ? h("p", { class: "step-detail" }, step.detail) : null];
      default:
        return [step.kind];
    }
  }

  function history(detail, ctx) {
    const steps = detail.history;
    const section = h("section", { "aria-labelledby": "history-heading", id: "history", tabindex: "-1" },
      h("h2", { id: "history-heading" }, "History"));
    if (!steps.length) {
      section.append(h("p", { class: "muted" }, detail.task.status === "pending" ? "The task has not started." : "Nothing recorded yet."));
      return section;
    }
    const top = h("ol", { class: "history" });
    let group = top;
    for (const step of steps) {
      if (step.kind === "attempt") {
        const attempt = detail.attempts.find((a) => a.n === step.attempt);
        const summary = attempt
          ? [" · ", SF.duration(attempt.duration_s), " · ", SF.cost(attempt.cost_usd), attempt.outcome ? [" · ", SF.statusLabel(attempt.outcome)] : " · running"]
          : null;
        group = h("ol", { class: "steps" });
        top.append(h("li", { class: "attempt", id: "attempt-" + step.attempt },
          h("h3", {}, `Attempt ${step.attempt}`, h("span", { class: "muted" }, summary)), group));
        continue;
      }
      const into = step.kind === "ended" || step.kind === "started" ? top : group;
      into.append(h("li", { class: "step", dataset: { kind: step.kind, status: step.status || "" } },
        h("span", { class: "step-time" }, SF.when(step.ts)), h("div", { class: "step-body" }, stepBody(step, ctx))));
    }
    section.append(top);
    return section;
  }

  // ---- Gate rounds -------------------------------------------------------------------------------

  // The mutation check's section, read tolerantly: fields it does not know are left out, not guessed.
  function mutation(m) {
    if (!m || typeof m !== "object") return null;
    const num = (x) => typeof x === "number";
    const facts = [];
    if (m.status) facts.push(pair("Status", SF.statusLabel(m.status)));
    const score = num(m.score) ? m.score : m.mutation_score;
    if (num(score)) facts.push(pair("Score", h("strong", { class: "mutation-score" }, score <= 1 ? Math.round(score * 100) + "%" : String(score))));
    const counts = [["killed", m.killed], ["survived", m.survived], ["not run", m.not_run]].filter(([, n]) => num(n));
    if (counts.length) facts.push(pair("Mutants", counts.map(([w, n]) => `${n} ${w}`).join(", ")));
    if (num(m.duration_s)) facts.push(pair("Took", SF.duration(m.duration_s) + (num(m.budget_s) ? ` of a ${SF.duration(m.budget_s)} budget` : "")));
    if (Array.isArray(m.tests) && m.tests.length) {
      facts.push(pair("Tests run", h("details", {}, h("summary", {}, SF.plural(m.tests.length, "test")),
        h("ul", {}, m.tests.map((t) => h("li", {}, h("code", {}, String(t))))))));
    }
    const functions = Array.isArray(m.functions) ? m.functions.filter((f) => f && typeof f === "object") : [];
    const table = functions.length
      ? h("details", { open: functions.length <= 5 }, h("summary", {}, `Mutants per changed function (${functions.length})`),
        SF.table("Mutants per changed function", ["Function", "Location", "Killed", "Survived", "Not run"],
        functions.map((f) => h("tr", {}, h("td", {}, h("code", {}, String(f.function || ""))),
          h("td", {}, h("code", { class: "location" }, `${f.file}:${f.line}`)),
          h("td", { class: "num" }, String(f.killed ?? "–")), h("td", { class: "num" }, String(f.survived ?? "–")),
          h("td", { class: "num" }, String(f.not_run ?? "–"))))))
      : null;
    const mutants = Array.isArray(m.mutants) ? m.mutants : Array.isArray(m.survivors) ? m.survivors : [];
    const survivors = mutants.filter((x) => x && typeof x === "object" && (x.status === undefined || x.status === "survived"));
    const list = survivors.length
      ? [h("h4", {}, "Mutants that survived"), h("ul", { class: "survivors" }, survivors.map((x) => h("li", {},
        x.file ? h("code", { class: "location" }, `${x.file}${x.line ? ":" + x.line : ""}`) : null, " ",
        x.function ? [h("code", {}, String(x.function)), ": "] : null,
        SF.inline(x.description || x.mutation || ""), x.reached === false ? " (no test reached it)" : null,
        x.diff ? h("details", {}, h("summary", {}, "The mutant"), SF.pre("Mutant", "diff", x.diff)) : null)))]
      : null;
    const notes = Array.isArray(m.notes) && m.notes.length ? h("ul", {}, m.notes.map((n) => h("li", {}, SF.inline(String(n))))) : null;
    return h("section", { class: "mutation" }, h("h3", {}, "Mutation testing"), h("dl", { class: "facts" }, facts), notes, list, table);
  }

  function report(round, ctx) {
    const g = round.report;
    const started = SF.isoSeconds(g.started_at);
    const finished = SF.isoSeconds(g.finished_at);
    const panel = h("div", {},
      h("dl", { class: "facts wide-facts" },
        pair("Verdict", SF.badge(g.verdict)),
        pair("Attempt", String(round.attempt)),
        pair("Checked", SF.when(started)),
        pair("Took", SF.duration(finished && started ? finished - started : null)),
        pair("Tree hash", h("code", { class: "tree-hash" }, g.tree_hash)),
        g.tree_hash_after ? pair("Tree after checks", h("code", {}, g.tree_hash_after)) : null,
        pair("Base", g.base_ref ? h("code", {}, g.base_ref) : "–"),
        pair("Fails on", g.fail_on + " severity and above"),
        pair("Report file", round.file ? h("code", {}, round.file) : "–"),
      ));
    if (g.reasons.length) panel.append(h("h3", {}, "Reasons"), h("ul", {}, g.reasons.map((r) => h("li", {}, SF.inline(r)))));
    const checks = g.checks.map((c) =>
      h("tr", { class: c.passed ? "" : "failed-row" },
        h("td", {}, c.name), h("td", {}, c.kind), h("td", {}, h("code", {}, c.command)),
        h("td", { class: "num" }, c.exit_code === null ? (c.timed_out ? "timed out" : "none") : String(c.exit_code)),
        h("td", { class: "num" }, SF.duration(c.duration_s)),
        h("td", {}, c.environment ? SF.badge("environment", "cannot run") : SF.badge(c.passed ? "pass" : "fail")),
        h("td", {}, c.output_tail ? h("details", {}, h("summary", {}, "Output"), SF.pre(`Output of ${c.name}`, null, c.output_tail)) : "–")));
    panel.append(h("h3", {}, "Checks"), checks.length
      ? SF.table(`Commands the gate ran in round ${round.round}`, ["Check", "Kind", "Command", "Exit code", "Took", "Result", "Output"], checks)
      : h("p", { class: "muted" }, "No checks ran."));
    const worst = { high: 0, medium: 1, low: 2 };
    const findings = [...g.findings].sort((a, b) => (worst[a.severity] ?? 3) - (worst[b.severity] ?? 3)).map((f) =>
      h("tr", {},
        h("td", {}, SF.badge(f.severity)),
        h("td", {}, h("code", { class: "location" }, `${f.file}:${f.line}`)),
        h("td", {}, h("code", {}, f.rule_id)), h("td", {}, SF.inline(f.message)), h("td", {}, SF.inline(f.fix_hint))));
    panel.append(h("h3", {}, "Findings"), findings.length
      ? SF.table(`Findings in round ${round.round}`, ["Severity", "Location", "Rule", "Problem", "Fix"], findings)
      : h("p", { class: "muted" }, "No findings."));
    if (g.tamper.length) {
      panel.append(h("h3", {}, "Protected files changed"), h("ul", {}, g.tamper.map((t) =>
        h("li", {}, h("code", {}, t.path), ` ${t.change}: ${t.reason}`, h("details", {}, h("summary", {}, "Diff"), SF.pre(`Change to ${t.path}`, null, t.diff))))));
    }
    SF.add(panel, mutation(g.mutation || round.mutation));
    return panel;
  }

  // Show round n's panel; `section` holds the tabs and panels (it may not be in the page yet).
  function selectRound(section, n, focus) {
    for (const tab of section.querySelectorAll("[role=tab]")) {
      const on = tab.dataset.round === String(n);
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
      section.querySelector(`[id="${tab.getAttribute("aria-controls")}"]`).hidden = !on;
      if (on && focus) tab.focus();
    }
  }
  SF.selectGateRound = function (n) {
    const section = document.getElementById("gate-report");
    if (section && section.querySelector(`[role=tab][data-round="${n}"]`)) selectRound(section, n, false);
    return Boolean(section);
  };

  function gateRounds(detail, ctx) {
    const section = h("section", { "aria-labelledby": "gate-heading", id: "gate-report", tabindex: "-1" },
      h("h2", { id: "gate-heading" }, "Gate rounds"));
    let rounds = detail.gate_rounds;
    if (!rounds.length && detail.gate) {
      rounds = [{ round: 1, attempt: 1, report: detail.gate, file: null, mutation: null }];
      section.append(h("p", { class: "muted" }, "Read from the verdict file: this run recorded no gate round."));
    }
    if (!rounds.length) {
      section.append(h("p", { class: "muted" }, "The gate has not judged this task yet."));
      return section;
    }
    const tabs = h("div", { class: "tabs", role: "tablist", "aria-label": "Gate rounds", id: "gate-tabs" });
    const panels = [];
    for (const round of rounds) {
      const id = "gate-" + round.round;
      tabs.append(h("button", { type: "button", role: "tab", id: id + "-tab", "aria-controls": id + "-panel",
        dataset: { round: round.round, verdict: round.report.verdict }, onclick: () => {
          ctx.selectedRound = round.round;
          selectRound(section, round.round, false);
        } }, `Round ${round.round} `, SF.badge(round.report.verdict)));
      panels.push(h("div", { role: "tabpanel", id: id + "-panel", "aria-labelledby": id + "-tab", tabindex: "0", class: "tab-panel" },
        report(round, ctx)));
    }
    tabs.addEventListener("keydown", (event) => {
      const keys = { ArrowRight: 1, ArrowLeft: -1, Home: -Infinity, End: Infinity };
      if (!(event.key in keys)) return;
      event.preventDefault();
      const all = rounds.map((r) => r.round);
      const at = all.indexOf(Number(document.activeElement.dataset.round));
      const step = keys[event.key];
      const next = Number.isFinite(step) ? all[(at + step + all.length) % all.length] : step < 0 ? all[0] : all[all.length - 1];
      ctx.selectedRound = next;
      selectRound(section, next, true);
    });
    SF.add(section, tabs, panels);
    const chosen = rounds.some((r) => r.round === ctx.selectedRound) ? ctx.selectedRound : rounds[rounds.length - 1].round;
    selectRound(section, chosen, false);
    return section;
  }

  // ---- Diff --------------------------------------------------------------------------------------

  // The diff, with the newest gate round's findings shown under the lines they point at.
  function diffLines(text, findings) {
    const notes = new Map();
    for (const f of findings) {
      const key = `${f.file}:${f.line}`;
      if (!notes.has(key)) notes.set(key, []);
      notes.get(key).push(f);
    }
    const pre = h("pre", { class: "diff" });
    let file = null;
    let line = 0;
    for (const raw of text.split("\n")) {
      let kind = "";
      if (raw.startsWith("+++ ")) {
        file = raw.slice(4).replace(/^b\//, "");
        kind = "meta";
      } else if (raw.startsWith("---") || raw.startsWith("diff ") || raw.startsWith("index ")) kind = "meta";
      else if (raw.startsWith("@@")) {
        kind = "hunk";
        const m = /\+(\d+)/.exec(raw);
        line = m ? Number(m[1]) - 1 : 0;
      } else if (raw.startsWith("+")) kind = "add";
      else if (raw.startsWith("-")) kind = "del";
      pre.append(h("span", { class: kind ? "d-" + kind : null }, raw + "\n"));
      if (kind === "add" || (kind === "" && raw.startsWith(" "))) {
        line += 1;
        for (const f of notes.get(`${file}:${line}`) || []) {
          pre.append(h("span", { class: "d-note", dataset: { severity: f.severity } },
            `▲ ${f.severity} ${f.rule_id} at ${f.file}:${f.line}: ${f.message}\n`));
        }
      }
    }
    return pre;
  }

  function diff(detail) {
    const d = detail.diff;
    const section = h("section", { "aria-labelledby": "diff-heading", id: "diff", tabindex: "-1" }, h("h2", { id: "diff-heading" }, "Diff"));
    if (d.branch && d.base) {
      section.append(h("p", { class: "muted" }, h("code", {}, d.branch), " against ", h("code", {}, d.base.slice(0, 12))));
    }
    if (d.note) section.append(h("p", { class: "muted" }, d.note));
    if (d.stat) section.append(SF.pre("Files changed", "diff-stat", d.stat));
    if (d.text) {
      const last = detail.gate_rounds.length ? detail.gate_rounds[detail.gate_rounds.length - 1].report : detail.gate;
      const findings = last ? last.findings : [];
      if (findings.length) {
        section.append(h("p", { class: "muted" }, `The newest gate round's ${SF.plural(findings.length, "finding")} ${findings.length === 1 ? "is" : "are"} marked ▲ under ${findings.length === 1 ? "its line" : "their lines"}.`));
      }
      section.append(h("details", { open: d.text.length < 20000 }, h("summary", {}, "Full diff"),
        SF.scroller("The branch's changes", diffLines(d.text, findings), "code-wrap")));
      if (d.truncated) section.append(h("p", { class: "muted" }, "The diff is cut short here; see the branch for the rest."));
    }
    return section;
  }

  // Everything above the transcript; re-rendered when the task's state changes.
  SF.renderTaskHead = function (detail, ctx) {
    if (detail.task.planning) {
      return h("div", {}, facts(detail, ctx),
        h("p", { class: "notice" }, "A planning run, not a task of the queue: it has no attempts, gate rounds or branch. Its transcript is below."));
    }
    return h("div", {}, facts(detail, ctx), objective(detail), history(detail, ctx), gateRounds(detail, ctx), diff(detail));
  };
})();
