// The run's timeline: a bar per task split into setup, agent, gate, retry and merge, the critical path
// marked, and where the time and the money went. Each bar also says in words what it shows.
"use strict";

(function () {
  const SF = (window.SF = window.SF || {});
  const { h } = SF;

  const PHASE_WORD = {
    planning: "planning",
    setup: "setup",
    agent: "agent",
    gate: "gate",
    retry: "retry after the gate",
    merge: "merge",
    work: "work (no phase timings)",
  };
  const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400];

  function ticks(duration) {
    const step = STEPS.find((s) => duration / s <= 6) || STEPS[STEPS.length - 1];
    const out = [];
    for (let t = 0; t <= duration + 1e-9; t += step) out.push(t);
    return out;
  }

  function pct(x, total) {
    return (total > 0 ? Math.min(100, Math.max(0, (x / total) * 100)) : 0).toFixed(3) + "%";
  }

  function spanWords(s) {
    return `${PHASE_WORD[s.phase] || s.phase} ${SF.duration(s.end_s - s.start_s)}` +
      (s.cost_usd ? ` (${SF.cost(s.cost_usd)})` : "") + (s.open ? ", going on" : "");
  }

  function row(r, tl, ctx) {
    const track = h("div", { class: "tl-track", "aria-hidden": "true" });
    for (const s of r.spans) {
      const width = Math.max(0, s.end_s - s.start_s);
      const bar = h("span", { class: "tl-span", dataset: { phase: s.phase, attempt: s.attempt, open: s.open ? "true" : null },
        title: `${r.task_id}: ${spanWords(s)}` });
      bar.style.left = pct(s.start_s, tl.duration_s);
      bar.style.width = pct(width, tl.duration_s);
      track.append(bar);
    }
    const words = `${r.task_id}, from ${SF.duration(r.start_s)} to ${SF.duration(r.end_s)}: ` +
      r.spans.map(spanWords).join(", ") + (r.critical ? "; on the critical path" : "");
    return h("li", { class: "tl-row", dataset: { task: r.task_id, critical: r.critical ? "true" : null, planning: r.planning ? "true" : null } },
      h("div", { class: "tl-label" },
        r.critical ? h("span", { class: "tl-critical", title: "on the critical path" }, "critical") : null,
        SF.taskLink(ctx.runId, r.task_id), " ",
        r.title ? h("span", { class: "tl-title" }, SF.inline(r.title)) : null),
      track,
      h("p", { class: "visually-hidden" }, words));
  }

  SF.renderTimeline = function (container, tl, ctx) {
    if (!tl || !tl.rows.length) {
      SF.fill(container, h("p", { class: "muted" }, "Nothing has run yet."));
      return;
    }
    const taskSeconds = tl.totals.reduce((sum, t) => sum + t.seconds, 0);
    const legend = h("ul", { class: "tl-legend", "aria-label": "Where the time and the money went" },
      tl.totals.map((t) => h("li", { dataset: { phase: t.phase } },
        h("span", { class: "tl-swatch", dataset: { phase: t.phase }, "aria-hidden": "true" }),
        h("strong", {}, PHASE_WORD[t.phase] || t.phase), " ",
        `${SF.duration(t.seconds)} (${taskSeconds ? Math.round((t.seconds / taskSeconds) * 100) : 0}% of task time)`,
        ` · ${ctx.scripted ? "would have cost " : ""}${SF.cost(t.cost_usd)}`)));
    const axis = h("div", { class: "tl-axis", "aria-hidden": "true" });
    for (const t of ticks(tl.duration_s)) {
      // A label near the end hangs left of its mark, so it never sticks out past the chart.
      const mark = h("span", { class: t > tl.duration_s * 0.9 ? "tl-tick tl-tick-end" : "tl-tick" }, SF.duration(t));
      mark.style.left = pct(t, tl.duration_s);
      axis.append(mark);
    }
    const path = tl.critical_path;
    SF.fill(container,
      h("p", {}, `${SF.duration(tl.duration_s)} in all; up to ${SF.plural(tl.max_parallel, "task")} at once.`,
        path.length ? [" Critical path: ", path.flatMap((id, i) => (i ? [" → ", SF.taskLink(ctx.runId, id)] : [SF.taskLink(ctx.runId, id)])), "."] : null),
      tl.timed ? null : h("p", { class: "muted" }, "This run was recorded before phase timings: a bar without phases is the whole task."),
      legend,
      h("div", { class: "tl-chart" },
        h("div", { class: "tl-axis-row" }, h("span", { class: "tl-label" }), axis),
        h("ol", { class: "tl-rows", "aria-label": "Tasks over time" }, tl.rows.map((r) => row(r, tl, ctx)))));
  };
})();
