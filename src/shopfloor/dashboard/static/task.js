// The task page: summary, attempts, gate report, diff and transcript (which grows live).
"use strict";

(function () {
  const SF = (window.SF = window.SF || {});
  const { h } = SF;

  function pair(term, ...value) {
    return [h("dt", {}, term), h("dd", {}, ...value)];
  }

  function table(caption, headers, rows) {
    return h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        {},
        h("caption", {}, caption),
        h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))),
        h("tbody", {}, rows),
      ),
    );
  }

  function summary(detail) {
    const t = detail.task;
    return h(
      "dl",
      { class: "facts" },
      pair("Status", SF.badge(t.status)),
      pair("Agent", t.agent || "–"),
      pair("Model", t.model || "–"),
      pair("Attempt", String(t.attempt)),
      pair("Elapsed", SF.duration(t.elapsed_s)),
      pair("Cost", SF.cost(t.cost_usd)),
      pair("Tokens", SF.tokens(t.tokens)),
      pair("Depends on", t.dependencies.length ? t.dependencies.join(", ") : "nothing"),
      pair("Branch", detail.branch ? h("code", {}, detail.branch) : "–"),
      pair("Worktree", detail.worktree ? h("code", {}, detail.worktree) : "–"),
      detail.verified_tree ? pair("Verified tree", h("code", {}, detail.verified_tree)) : null,
      detail.merged_commit ? pair("Merged as", h("code", {}, detail.merged_commit)) : null,
      t.last_error ? pair("Last error", h("span", { class: "error-text" }, t.last_error)) : null,
    );
  }

  function objective(detail) {
    if (!detail.objective && !detail.criteria.length) return null;
    return h(
      "section",
      { "aria-labelledby": "objective-heading" },
      h("h2", { id: "objective-heading" }, "Objective"),
      detail.objective ? h("p", { class: "prose" }, detail.objective) : null,
      detail.criteria.length ? h("ul", {}, detail.criteria.map((c) => h("li", {}, c))) : null,
    );
  }

  function attempts(detail) {
    const rows = detail.attempts.map((a) =>
      h(
        "tr",
        {},
        h("td", {}, String(a.n)),
        h("td", {}, a.outcome ? SF.badge(a.outcome) : SF.badge("running")),
        h("td", {}, SF.time(a.started)),
        h("td", {}, SF.duration(a.duration_s)),
        h("td", { class: "num" }, SF.cost(a.cost_usd)),
        h("td", { class: "num" }, SF.tokens(a.tokens)),
        h("td", {}, a.transcript ? h("code", {}, a.transcript) : "–"),
      ),
    );
    return h(
      "section",
      { "aria-labelledby": "attempts-heading" },
      h("h2", { id: "attempts-heading" }, "Attempts"),
      rows.length
        ? table("Each attempt of this task", ["#", "Outcome", "Started", "Took", "Cost", "Tokens", "Transcript"], rows)
        : h("p", { class: "muted" }, "No attempt has started."),
    );
  }

  function gate(detail) {
    const section = h("section", { "aria-labelledby": "gate-heading", id: "gate-report" },
      h("h2", { id: "gate-heading" }, "Gate report"));
    const g = detail.gate;
    if (!g) {
      section.append(h("p", { class: "muted" }, "The gate has not judged this task yet."));
      return section;
    }
    section.append(
      h(
        "dl",
        { class: "facts" },
        pair("Verdict", SF.badge(g.verdict)),
        pair("Tree hash", h("code", { class: "tree-hash" }, g.tree_hash)),
        g.tree_hash_after ? pair("Tree after checks", h("code", {}, g.tree_hash_after)) : null,
        pair("Base", g.base_ref ? h("code", {}, g.base_ref) : "–"),
        pair("Fails on", g.fail_on + " severity and above"),
        pair("Checked", new Date(g.started_at).toLocaleString()),
        pair("Read from", detail.gate_source === "verdict" ? "the verdict file" : "the run's event log"),
      ),
    );
    if (g.reasons.length) {
      section.append(h("h3", {}, "Reasons"), h("ul", {}, g.reasons.map((r) => h("li", {}, r))));
    }
    const checks = g.checks.map((c) =>
      h(
        "tr",
        { class: c.passed ? "" : "failed-row" },
        h("td", {}, c.name),
        h("td", {}, c.kind),
        h("td", {}, h("code", {}, c.command)),
        h("td", { class: "num" }, c.exit_code === null ? (c.timed_out ? "timed out" : "none") : String(c.exit_code)),
        h("td", { class: "num" }, c.duration_s.toFixed(1) + "s"),
        h("td", {}, SF.badge(c.passed ? "pass" : "fail")),
        h("td", {}, c.output_tail
          ? h("details", {}, h("summary", {}, "Output"), h("pre", {}, c.output_tail))
          : "–"),
      ),
    );
    section.append(
      h("h3", {}, "Checks"),
      checks.length
        ? table("Commands the gate ran", ["Check", "Kind", "Command", "Exit code", "Took", "Result", "Output"], checks)
        : h("p", { class: "muted" }, "No checks ran."),
    );
    const findings = g.findings.map((f) =>
      h(
        "tr",
        {},
        h("td", {}, SF.badge(f.severity)),
        h("td", {}, h("code", { class: "location" }, `${f.file}:${f.line}`)),
        h("td", {}, h("code", {}, f.rule_id)),
        h("td", {}, f.message),
        h("td", {}, f.fix_hint),
      ),
    );
    section.append(
      h("h3", {}, "Security findings"),
      findings.length
        ? table("Findings of the security checklist", ["Severity", "Location", "Rule", "Problem", "Fix"], findings)
        : h("p", { class: "muted" }, "No security findings."),
    );
    if (g.tamper.length) {
      section.append(
        h("h3", {}, "Protected files changed"),
        h("ul", {}, g.tamper.map((t) =>
          h("li", {}, h("code", {}, t.path), ` ${t.change}: ${t.reason}`,
            h("details", {}, h("summary", {}, "Diff"), h("pre", {}, t.diff))))),
      );
    }
    return section;
  }

  function diffLines(text) {
    const pre = h("pre", { class: "diff", tabindex: "0", "aria-label": "Diff" });
    for (const line of text.split("\n")) {
      let kind = "";
      if (line.startsWith("+++") || line.startsWith("---") || line.startsWith("diff ")) kind = "meta";
      else if (line.startsWith("@@")) kind = "hunk";
      else if (line.startsWith("+")) kind = "add";
      else if (line.startsWith("-")) kind = "del";
      pre.append(h("span", { class: kind ? "d-" + kind : null }, line + "\n"));
    }
    return pre;
  }

  function diff(detail) {
    const d = detail.diff;
    const section = h("section", { "aria-labelledby": "diff-heading" }, h("h2", { id: "diff-heading" }, "Diff"));
    if (d.branch && d.base) {
      section.append(h("p", { class: "muted" }, h("code", {}, d.branch), " against ", h("code", {}, d.base.slice(0, 12))));
    }
    if (d.note) section.append(h("p", { class: "muted" }, d.note));
    if (d.stat) section.append(h("pre", { class: "diff-stat" }, d.stat));
    if (d.text) {
      section.append(h("details", { open: d.text.length < 20000 }, h("summary", {}, "Full diff"), diffLines(d.text)));
      if (d.truncated) section.append(h("p", { class: "muted" }, "The diff is cut short here; see the branch for the rest."));
    }
    return section;
  }

  function shortInput(name, input) {
    const key = ["file_path", "command", "pattern", "path", "skill", "url"].find((k) => typeof input[k] === "string");
    const value = key ? input[key] : Object.values(input).find((v) => typeof v === "string") || "";
    const text = String(value).replace(/\s+/g, " ");
    return text.length > 90 ? text.slice(0, 87) + "…" : text;
  }

  // Renders transcript events into a container, one at a time, so live events append in place.
  class TranscriptView {
    constructor(container) {
      this.container = container;
      this.body = container;
      this.calls = new Map();
    }

    turn(n) {
      const article = h("article", { class: "turn", "aria-label": `Turn ${n}` }, h("h3", {}, `Turn ${n}`));
      this.container.append(article);
      this.body = article;
    }

    add(ev) {
      switch (ev.kind) {
        case "run_started":
          this.container.append(h("p", { class: "event" },
            `Agent ${ev.agent} started on ${ev.model} (${ev.provider}) with tools: ${ev.tools.join(", ") || "none"}.`));
          this.body = this.container;
          for (const notice of ev.notices || []) this.container.append(h("p", { class: "notice" }, notice));
          break;
        case "model_called":
          this.turn(ev.turn);
          this.body.append(h("p", { class: "muted" }, `Sent ${ev.messages} messages (${SF.tokens(ev.request_chars)} characters).`));
          break;
        case "model_replied": {
          const u = ev.usage;
          if (ev.text) this.body.append(h("div", { class: "reply prose" }, ev.text));
          this.body.append(h("p", { class: "usage" },
            `Stop: ${ev.stop_reason} · input ${SF.tokens(u.input_tokens)}, output ${SF.tokens(u.output_tokens)}, ` +
            `cache read ${SF.tokens(u.cache_read_tokens)}, cache write ${SF.tokens(u.cache_write_tokens)} tokens · ` +
            `${SF.cost(ev.cost_usd)} · ${ev.duration_s.toFixed(1)}s`));
          break;
        }
        case "tool_called": {
          const label = h("span", {}, h("strong", {}, ev.name), " ", h("code", {}, shortInput(ev.name, ev.input)));
          const status = h("span", { class: "call-status" }, "running");
          const details = h("details", { class: "tool-call" },
            h("summary", {}, label, " ", status),
            h("h4", {}, "Input"), h("pre", {}, JSON.stringify(ev.input, null, 2)));
          this.calls.set(ev.call_id, { details, status });
          this.body.append(details);
          break;
        }
        case "tool_answered": {
          let call = this.calls.get(ev.call_id);
          if (!call) {
            this.add({ kind: "tool_called", call_id: ev.call_id, name: ev.name, input: {} });
            call = this.calls.get(ev.call_id);
          }
          call.status.textContent = (ev.is_error ? "error" : "ok") + ` · ${ev.duration_s.toFixed(1)}s`;
          if (ev.is_error) call.details.classList.add("tool-error");
          call.details.append(h("h4", {}, ev.is_error ? "Error" : "Output"), h("pre", {}, ev.content));
          break;
        }
        case "notice":
          this.body.append(h("p", { class: "notice" }, ev.message));
          break;
        case "run_finished":
          this.container.append(h("p", { class: "event" },
            `Finished: ${SF.statusLabel(ev.outcome)}${ev.reason ? " (" + ev.reason + ")" : ""} after ${ev.turns} ${ev.turns === 1 ? "turn" : "turns"}, ` +
            `${SF.tokens(SF.totalTokens(ev.usage))} tokens, ${SF.cost(ev.cost_usd)}, ${SF.duration(ev.duration_s)}.`));
          this.body = this.container;
          break;
        default:
          break;
      }
    }
  }

  SF.TRANSCRIPT_KINDS = new Set([
    "run_started", "model_called", "model_replied", "tool_called", "tool_answered", "notice", "run_finished",
  ]);

  // Everything above the transcript; re-rendered when the task's state changes.
  SF.renderTaskHead = function (detail) {
    return h("div", {}, summary(detail), objective(detail), attempts(detail), gate(detail), diff(detail));
  };

  // The transcript section, and the view live events are appended to.
  SF.renderTranscript = function (detail) {
    const tr = detail.transcript;
    const log = h("div", { class: "transcript", id: "transcript-log" });
    const transcript = new TranscriptView(log);
    if (tr.total > tr.events.length) {
      log.append(h("p", { class: "muted" }, `Showing the last ${tr.events.length} of ${tr.total} events.`));
    }
    for (const ev of tr.events) transcript.add(ev);
    const node = h(
      "section",
      { "aria-labelledby": "transcript-heading", id: "transcript" },
      h("h2", { id: "transcript-heading" }, "Transcript"),
      h("p", { class: "muted" },
        `${tr.turns} ${tr.turns === 1 ? "turn" : "turns"} · ${SF.tokens(SF.totalTokens(tr.usage))} tokens · ${SF.cost(tr.cost_usd)}` +
        (tr.paths.length ? ` · ${tr.paths.join(", ")}` : "")),
      tr.events.length ? null : h("p", { class: "muted", id: "transcript-empty" }, "No transcript yet."),
      log,
    );
    return { node, transcript };
  };
})();
