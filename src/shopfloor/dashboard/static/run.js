// The run view: totals against the budget, the task board or dependency list, and the cost plots.
"use strict";

(function () {
  const SF = (window.SF = window.SF || {});
  const { h } = SF;
  const $ = (id) => document.getElementById(id);

  const STATUS_ORDER = ["in_progress", "verifying", "merging", "pending", "blocked", "completed", "failed"];
  SF.ACTIVE = new Set(["in_progress", "verifying", "merging"]);

  const cards = new Map();
  const groups = new Map();

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
    const rank = (s) => (STATUS_ORDER.includes(s) ? STATUS_ORDER.indexOf(s) : STATUS_ORDER.length);
    const after = [...groups.keys()].filter((s) => s !== status && rank(s) > rank(status))
      .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))[0];
    $("task-board").insertBefore(section, after ? groups.get(after).section : null);
    return group;
  }

  function cardFor(row) {
    let card = cards.get(row.task_id);
    if (card) return card;
    const link = h("a", { href: "#/task/" + encodeURIComponent(row.task_id), class: "card-link" });
    const meta = h("div", { class: "card-meta" });
    const li = h("li", { class: "card", dataset: { task: row.task_id } }, link, meta);
    card = { li, link, meta, elapsed: null };
    cards.set(row.task_id, card);
    return card;
  }

  function updateCard(row) {
    const card = cardFor(row);
    SF.fill(card.link, h("span", { class: "task-id" }, row.task_id), row.title ? " " + row.title : null);
    card.elapsed = h("span", { class: "elapsed" }, SF.duration(row.elapsed_s));
    SF.fill(
      card.meta,
      h("p", {}, SF.badge(row.status), " ", row.agent || "agent not chosen", " · ", row.model || "default model"),
      h("p", {}, `attempt ${row.attempt} · `, card.elapsed, ` · ${SF.cost(row.cost_usd)} · ${SF.tokens(row.tokens)} tokens`),
      row.dependencies.length ? h("p", { class: "muted" }, "after " + row.dependencies.join(", ")) : null,
      row.last_error && row.status === "failed" ? h("p", { class: "error-text" }, row.last_error) : null,
    );
    card.li.dataset.status = row.status;
    const group = groupFor(row.status);
    if (card.li.parentNode !== group.list) group.list.append(card.li);
  }

  function renderBoard(state) {
    const seen = new Set();
    for (const row of state.rows.values()) {
      updateCard(row);
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
    const rows = [...state.rows.values()];
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
        h("th", { scope: "row" }, h("a", { href: "#/task/" + encodeURIComponent(row.task_id) }, row.task_id)),
        h("td", {}, row.title || ""),
        h("td", {}, SF.badge(row.status)),
        h("td", {}, row.dependencies.join(", ") || "–"),
        h("td", {}, row.agent || "–"),
        h("td", {}, row.model || "–"),
        h("td", { class: "num" }, String(row.attempt)),
        h("td", { class: "num elapsed" }, SF.duration(row.elapsed_s)),
        h("td", { class: "num" }, SF.cost(row.cost_usd))));
    SF.clear($("task-list")).append(
      h("table", {},
        h("caption", {}, "Tasks in dependency order"),
        h("thead", {}, h("tr", {}, ["Task", "Title", "Status", "Depends on", "Agent", "Model", "Attempt",
          "Elapsed", "Cost"].map((x) => h("th", { scope: "col" }, x)))),
        h("tbody", {}, rows)));
  }

  function renderTotals(state) {
    const view = state.run;
    const run = view.run;
    const t = view.totals;
    const byStatus = Object.entries(t.by_status)
      .map(([s, n]) => `${n} ${SF.statusLabel(s)}`).join(", ") || "none";
    const costParts = [SF.cost(t.cost_usd)];
    if (run && run.budget_usd) {
      costParts.push(` of ${SF.cost(run.budget_usd)} budget `,
        h("meter", { min: 0, max: run.budget_usd, value: Math.min(t.cost_usd, run.budget_usd),
          high: run.budget_usd * 0.8, "aria-label": "Budget spent" }));
    }
    const pairs = [
      ["Run", run ? [`#${run.id} `, SF.badge(run.status)] : "not started"],
      ["Started", run ? SF.time(run.started) : "–"],
      ["Elapsed", h("span", { id: "run-elapsed" }, run ? SF.duration(run.elapsed_s) : "–")],
      ["Cost", costParts],
      ["Tokens", SF.tokens(t.tokens)],
      ["Tasks", `${t.tasks}: ${byStatus}`],
    ];
    SF.clear($("run-totals")).append(...pairs.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
    $("run-project").textContent = view.project;
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
    SF.lineChart($("chart-cost"), s.points.map((p) => ({ x: p.t_s, y: p.cost_usd })),
      { label: "Cumulative cost", format: SF.cost, limit: s.budget_usd });
    SF.lineChart($("chart-tokens"), s.points.map((p) => ({ x: p.t_s, y: p.tokens })),
      { label: "Cumulative tokens", format: SF.tokens });
    SF.barChart($("chart-tasks"), [...state.rows.values()].map((r) => ({ label: r.task_id, value: r.cost_usd })),
      { label: "Cost per task", format: SF.cost });
  }

  // Draws the run view from the page's state: {run, series, rows, layout}.
  SF.renderRunView = function (state) {
    renderTotals(state);
    if (state.layout === "board") renderBoard(state);
    else renderList(state);
    renderCharts(state);
  };

  SF.renderCharts = renderCharts;

  // Elapsed times of running tasks move on without asking the server.
  SF.tickRunView = function (state, now) {
    for (const row of state.rows.values()) {
      if (row.started && !row.finished && SF.ACTIVE.has(row.status)) {
        row.elapsed_s = now - row.started;
        const card = cards.get(row.task_id);
        if (card && card.elapsed) card.elapsed.textContent = SF.duration(row.elapsed_s);
      }
    }
    const run = state.run && state.run.run;
    if (run && !run.finished && $("run-elapsed")) $("run-elapsed").textContent = SF.duration(now - run.started);
  };
})();
