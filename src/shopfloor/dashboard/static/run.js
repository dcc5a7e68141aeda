// The run view: totals against the budget, the planning runs, the task board or dependency list, the
// timeline and the cost plots.
"use strict";

(function () {
  const SF = (window.SF = window.SF || {});
  const { h } = SF;
  const $ = (id) => document.getElementById(id);

  // What needs a person first: failures, then work in flight, then waiting, then done.
  const STATUS_ORDER = ["failed", "blocked", "skipped", "in_progress", "verifying", "merging", "pending", "completed"];
  SF.ACTIVE = new Set(["in_progress", "verifying", "merging"]);
  const FINAL = new Set(["completed", "failed", "blocked", "skipped"]);

  const cards = new Map();
  const groups = new Map();
  let drawnTimeline = null;

  function rank(status) {
    return STATUS_ORDER.includes(status) ? STATUS_ORDER.indexOf(status) : STATUS_ORDER.length;
  }

  function groupFor(status) {
    let group = groups.get(status);
    if (group) return group;
    const headingId = "group-" + status.replace(/[^a-z0-9_-]/gi, "-");
    const count = h("span", { class: "count" });
    const list = h("ul", { class: "cards" });
    const section = h("section", { class: "group", dataset: { status }, "aria-labelledby": headingId },
      h("h3", { id: headingId }, SF.badge(status), " ", count), list);
    group = { section, list, count };
    groups.set(status, group);
    const after = [...groups.keys()].filter((s) => s !== status && rank(s) > rank(status))
      .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))[0];
    $("task-board").insertBefore(section, after ? groups.get(after).section : null);
    return group;
  }

  function dependencyLinks(state, ids) {
    return ids.flatMap((id, i) => (i ? [", ", SF.taskLink(state.runId, id)] : [SF.taskLink(state.runId, id)]));
  }

  // The model a task ran on; on the scripted model, the one it was routed to (whose prices it shows).
  function modelWords(row) {
    const routed = row.model && !row.model.startsWith("scripted:") ? row.model : null;
    if (row.scripted) return routed ? `scripted (routed: ${routed})` : "scripted";
    return row.model || "default model";
  }
  SF.modelWords = modelWords;

  function updateCard(state, row) {
    let card = cards.get(row.task_id);
    if (!card) {
      const li = h("li", { class: "card", dataset: { task: row.task_id } });
      card = { li, elapsed: null };
      cards.set(row.task_id, card);
    }
    card.elapsed = h("span", { class: "elapsed" }, SF.duration(row.elapsed_s));
    const why = row.last_error && ["failed", "blocked", "skipped"].includes(row.status);
    SF.fill(card.li,
      h("a", { href: SF.href.task(state.runId, row.task_id), class: "card-link" },
        h("span", { class: "task-id" }, row.task_id), row.title ? h("span", { class: "card-title" }, SF.inline(row.title)) : null),
      h("p", {}, SF.badge(row.status), " ", h("span", { class: "card-story" }, why ? "" : SF.story(row))),
      why ? h("p", { class: "error-text card-why" }, row.last_error) : null,
      h("p", { class: "card-meta" }, `${row.agent || "agent not chosen"} · ${modelWords(row)} · `, card.elapsed,
        ` · ${row.scripted ? "would have cost " : ""}${SF.cost(row.cost_usd)} · ${SF.tokens(row.tokens)} tokens`),
      row.dependencies.length ? h("p", { class: "muted" }, "after ", dependencyLinks(state, row.dependencies)) : null);
    card.li.dataset.status = row.status;
    const group = groupFor(row.status);
    if (card.li.parentNode !== group.list) group.list.append(card.li);
  }

  function taskRows(state) {
    return [...state.rows.values()].filter((r) => !r.planning);
  }

  function renderBoard(state) {
    const seen = new Set();
    for (const row of taskRows(state)) {
      updateCard(state, row);
      seen.add(row.task_id);
    }
    for (const [id, card] of cards) {
      if (!seen.has(id)) {
        card.li.remove();
        cards.delete(id);
      }
    }
    for (const [status, group] of groups) {
      const n = group.list.children.length;
      group.count.textContent = `(${n})`;
      group.section.hidden = n === 0;
      if (n === 0 && !STATUS_ORDER.includes(status)) {
        group.section.remove();
        groups.delete(status);
      }
    }
  }

  // Tasks in an order where each comes after the tasks it depends on (queue order otherwise).
  function dependencyOrder(state) {
    const rows = taskRows(state);
    const placed = new Set();
    const out = [];
    const visit = (row, trail) => {
      if (placed.has(row.task_id) || trail.has(row.task_id)) return;
      trail.add(row.task_id);
      for (const dep of row.dependencies) {
        const d = state.rows.get(dep);
        if (d) visit(d, trail);
      }
      placed.add(row.task_id);
      out.push(row);
    };
    for (const row of rows) visit(row, new Set());
    return out;
  }

  function renderList(state) {
    const rows = dependencyOrder(state).map((row) =>
      h("tr", { dataset: { task: row.task_id } },
        h("th", { scope: "row" }, SF.taskLink(state.runId, row.task_id)),
        h("td", { class: "title-cell" }, SF.inline(row.title || "")),
        h("td", {}, SF.badge(row.status), " ", h("span", { class: "muted" }, SF.story(row))),
        h("td", {}, row.dependencies.length ? dependencyLinks(state, row.dependencies) : "–"),
        h("td", {}, row.agent || "–"),
        h("td", {}, modelWords(row)),
        h("td", { class: "num" }, String(row.attempt)),
        h("td", { class: "num" }, String(row.gate_rounds)),
        h("td", { class: "num elapsed" }, SF.duration(row.elapsed_s)),
        h("td", { class: "num" }, SF.cost(row.cost_usd))));
    const scripted = state.run.run && state.run.run.scripted;
    SF.fill($("task-list"), SF.table("Tasks in dependency order",
      ["Task", "Title", "Status", "Depends on", "Agent", "Model", "Attempts", "Gate rounds", "Elapsed", scripted ? "Would have cost" : "Cost"], rows));
  }

  function renderPlanning(state) {
    const rows = [...state.rows.values()].filter((r) => r.planning);
    $("planning-section").hidden = rows.length === 0;
    SF.fill($("planning"), rows.map((row) =>
      h("li", { class: "planning-run", dataset: { task: row.task_id, status: row.status } },
        SF.taskLink(state.runId, row.task_id, null, row.task_id), " ",
        row.title ? h("span", {}, row.title) : null, " ", SF.badge(row.status), " ",
        h("span", { class: "muted" }, `${row.agent || ""} · `, h("span", { class: "elapsed" }, SF.duration(row.elapsed_s)),
          ` · ${row.scripted ? "would have cost " : ""}${SF.cost(row.cost_usd)} · ${SF.tokens(row.tokens)} tokens`))));
  }

  // The run's elapsed time: fixed once it has finished, and never going backwards while it runs.
  SF.runElapsed = function (state, now) {
    const run = state.run && state.run.run;
    if (!run) return null;
    if (run.finished) return run.finished - run.started;
    state.shownElapsed = Math.max(state.shownElapsed || 0, now - run.started);
    return state.shownElapsed;
  };

  function renderHead(state) {
    const view = state.run;
    const run = view.run;
    SF.fill($("run-heading"), run ? `Run #${run.id} ` : "Run ", run ? SF.badge(run.status) : null,
      run && run.scripted ? [" ", SF.badge("scripted", "scripted model")] : null);
    const slot = $("run-picker-slot");
    if (state.runs && state.runs.runs.length > 1) SF.fill(slot, SF.runPicker(state.runs, run ? run.id : null));
    else SF.clear(slot);
    $("run-project").textContent = view.project;
    const notes = [];
    if (run && run.finished) {
      const t = view.totals;
      notes.push(h("p", { id: "run-finished" }, h("strong", {}, "Run finished: "),
        `${SF.statusLabel(run.status)}, ${t.by_status.completed || 0} of ${SF.plural(t.tasks, "task")} completed, in ${SF.duration(run.finished - run.started)}.`));
    }
    if (run && run.scripted) {
      notes.push(h("p", {}, "This run used the scripted model that ships with shopfloor: no model was called. " +
        "Its costs are what the routed models would have charged at list prices."));
    }
    if (run && view.latest_run_id !== null && run.id !== view.latest_run_id) {
      notes.push(h("p", {}, `An earlier run. `, h("a", { href: SF.href.run(null) }, `Go to the latest, run #${view.latest_run_id}`), "."));
    }
    if (state.stopped) {
      notes.push(h("p", { id: "server-stopped" }, "This dashboard has stopped serving: what is shown is final. Run ",
        h("code", {}, "shopfloor dashboard"), " to look again."));
    }
    $("run-banner").hidden = notes.length === 0;
    SF.fill($("run-banner"), notes);
  }

  function renderTotals(state) {
    const view = state.run;
    const run = view.run;
    const t = view.totals;
    const byStatus = Object.entries(t.by_status).map(([s, n]) => `${n} ${SF.statusLabel(s)}`).join(", ") || "none";
    const costParts = [SF.cost(t.cost_usd)];
    if (run && run.budget_usd) {
      costParts.push(` of ${SF.cost(run.budget_usd)} budget `,
        h("meter", { min: 0, max: run.budget_usd, value: Math.min(t.cost_usd, run.budget_usd),
          high: run.budget_usd * 0.8, "aria-label": "Budget spent" }));
    }
    const elapsed = SF.runElapsed(state, state.serverNow());
    const pairs = [
      ["Started", run ? SF.when(run.started) : "–"],
      ["Elapsed", h("span", { id: "run-elapsed" }, run ? SF.duration(elapsed) : "–")],
      [SF.costTerm(run && run.scripted), costParts],
      ["Tokens", SF.tokens(t.tokens)],
      ["Tasks", `${t.tasks}: ${byStatus}`],
    ];
    if (t.cache_saved_usd > 0) pairs.splice(4, 0, ["Saved by prompt caching", SF.cost(t.cache_saved_usd)]);
    SF.fill($("run-totals"), pairs.map(([k, v]) => h("div", {}, h("dt", {}, k), h("dd", {}, v))));
    const empty = $("run-empty");
    empty.hidden = Boolean(run) || view.tasks.length > 0;
    empty.textContent = "No run in this project yet. Start one with shopfloor run; this page follows it live.";
    if (view.queue_problems.length) {
      empty.hidden = false;
      empty.textContent = "Task queue problems: " + view.queue_problems.join("; ");
    }
  }

  function renderCharts(state) {
    const s = state.series;
    if (!s) return;
    const scripted = state.run && state.run.run && state.run.run.scripted;
    const label = scripted ? "What the run would have cost" : "Cumulative cost";
    $("chart-cost-caption").textContent = scripted ? "What the run would have cost, over time" : "Cumulative cost over time";
    SF.lineChart($("chart-cost"), s.points.map((p) => ({ x: p.t_s, y: p.cost_usd })),
      { label, format: SF.cost, limit: s.budget_usd });
    SF.lineChart($("chart-tokens"), s.points.map((p) => ({ x: p.t_s, y: p.tokens })),
      { label: "Cumulative tokens", format: SF.tokens });
    SF.barChart($("chart-tasks"), [...state.rows.values()].map((r) => ({ label: r.task_id, value: r.cost_usd })),
      { label: scripted ? "What each task would have cost" : "Cost per task", format: SF.cost });
  }

  // Draws the run view from the page's state: {run, runs, series, timeline, rows, layout}.
  SF.renderRunView = function (state) {
    renderHead(state);
    renderTotals(state);
    renderPlanning(state);
    if (state.layout === "board") renderBoard(state);
    else renderList(state);
    // The timeline changes only when it is fetched again; redrawing it on every event would cost each update.
    if (state.timeline && state.timeline !== drawnTimeline) {
      drawnTimeline = state.timeline;
      SF.renderTimeline($("timeline"), state.timeline, { runId: state.runId, scripted: state.run.run && state.run.run.scripted });
    }
    renderCharts(state);
  };

  // What an event changes on the run view, worked out here so it shows at once (and stays right when
  // the server has stopped and nothing more can be fetched).
  SF.applyEvent = function (state, ev) {
    const row = ev.task_id ? state.rows.get(ev.task_id) : null;
    const p = ev.payload || {};
    if (ev.kind === "task_status" && row && p.status) {
      row.status = p.status;
      if (SF.ACTIVE.has(p.status) && !row.started) row.started = p.ts || ev.ts;
      if (FINAL.has(p.status)) {
        row.finished = row.finished || p.ts || ev.ts;
        if (row.started) row.elapsed_s = row.finished - row.started;
        if (p.reason) row.last_error = p.reason;
      } else {
        row.finished = null;
      }
    } else if (ev.kind === "gate_round" && row) {
      row.gate_rounds += 1;
      if (p.report && p.report.verdict === "fail") row.gate_failures += 1; // an environment round blames nobody
    } else if (ev.kind === "model_replied") {
      const cost = p.cost_usd || 0;
      const tokens = SF.totalTokens(p.usage);
      if (row) {
        row.cost_usd += cost;
        row.tokens += tokens;
      }
      if (state.run) {
        state.run.totals.cost_usd += cost;
        state.run.totals.tokens += tokens;
      }
      const s = state.series;
      if (s && s.started) {
        const last = s.points[s.points.length - 1] || { cost_usd: 0, tokens: 0 };
        s.points.push({ t_s: Math.max(0, ev.ts - s.started), cost_usd: last.cost_usd + cost, tokens: last.tokens + tokens });
      }
    } else if (ev.kind === "run_status" && state.run && state.run.run && p.status) {
      state.run.run.status = p.status;
      state.run.run.finished = p.finished || null;
      if (p.finished) SF.announce(`The run has finished: ${SF.statusLabel(p.status)}`);
    }
  };

  SF.renderCharts = renderCharts;
  SF.renderRunHead = renderHead;

  // Another run is shown: its cards start afresh.
  SF.resetBoard = function () {
    drawnTimeline = null;
    SF.clear($("timeline"));
    cards.clear();
    groups.clear();
    SF.clear($("task-board"));
  };

  // Elapsed times of running tasks move on without asking the server; finished ones stay put.
  SF.tickRunView = function (state, now) {
    for (const row of state.rows.values()) {
      if (row.started && !row.finished && SF.ACTIVE.has(row.status)) {
        row.elapsed_s = Math.max(row.elapsed_s || 0, now - row.started);
        const card = cards.get(row.task_id);
        if (card && card.elapsed) card.elapsed.textContent = SF.duration(row.elapsed_s);
      }
    }
    const run = state.run && state.run.run;
    if (run && !run.finished && $("run-elapsed")) $("run-elapsed").textContent = SF.duration(SF.runElapsed(state, now));
  };
})();
