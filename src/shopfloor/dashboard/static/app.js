// The dashboard page: routing between views, the run view, and live updates from the event stream.
"use strict";

(function () {
  const SF = window.SF;
  const { h } = SF;

  const STATUS_ORDER = ["in_progress", "verifying", "merging", "pending", "blocked", "completed", "failed"];
  const ACTIVE = new Set(["in_progress", "verifying", "merging"]);
  const FINAL = new Set(["completed", "failed", "blocked"]);
  // Events that change more than the page can work out by itself: fetch the run again (debounced).
  const RELOAD_KINDS = new Set(["task_status", "gate_report", "run_status", "run_started", "run_finished"]);
  const REPLAY_LIMIT = 500;

  const state = {
    view: "run",
    run: null,
    series: null,
    rows: new Map(),
    clockOffset: 0,
    layout: "board",
    taskId: null,
    transcript: null,
    recent: [],
    boardReady: false,
  };

  const $ = (id) => document.getElementById(id);

  function serverNow() {
    return Date.now() / 1000 + state.clockOffset;
  }

  // ---- Run view -------------------------------------------------------------------------------

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

  function renderBoard() {
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
  function dependencyOrder() {
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

  function renderList() {
    const rows = dependencyOrder().map((row) =>
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

  function renderTotals() {
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

  function renderCharts() {
    const s = state.series;
    if (!s) return;
    SF.lineChart($("chart-cost"), s.points.map((p) => ({ x: p.t_s, y: p.cost_usd })),
      { label: "Cumulative cost", format: SF.cost, limit: s.budget_usd });
    SF.lineChart($("chart-tokens"), s.points.map((p) => ({ x: p.t_s, y: p.tokens })),
      { label: "Cumulative tokens", format: SF.tokens });
    SF.barChart($("chart-tasks"), [...state.rows.values()].map((r) => ({ label: r.task_id, value: r.cost_usd })),
      { label: "Cost per task", format: SF.cost });
  }

  let renderPending = false;
  function renderRun() {
    renderPending = false;
    if (!state.run) return;
    renderTotals();
    if (state.layout === "board") renderBoard();
    else renderList();
    if (!state.boardReady) {
      state.boardReady = true;
      performance.mark("board-rendered");
      document.body.dataset.boardReady = "true";
    }
    renderCharts();
  }

  function scheduleRender() {
    if (renderPending) return;
    renderPending = true;
    requestAnimationFrame(renderRun);
  }

  function setLayout(layout) {
    state.layout = layout;
    $("layout-board").setAttribute("aria-pressed", String(layout === "board"));
    $("layout-list").setAttribute("aria-pressed", String(layout === "list"));
    $("task-board").hidden = layout !== "board";
    $("task-list").hidden = layout !== "list";
    renderRun();
  }

  // ---- Loading --------------------------------------------------------------------------------

  async function loadRun() {
    const [view, series] = await Promise.all([SF.api("api/run"), SF.api("api/series")]);
    state.run = view;
    state.series = series;
    state.clockOffset = view.now - Date.now() / 1000;
    state.rows = new Map(view.tasks.map((row) => [row.task_id, row]));
    // Events that arrived while this was being read are already in it only if their id is not newer.
    for (const ev of state.recent) if (ev.id > view.last_event_id) applyLocally(ev);
    return view;
  }

  let reloadTimer = null;
  function scheduleReload() {
    if (reloadTimer) return;
    reloadTimer = setTimeout(async () => {
      reloadTimer = null;
      try {
        await loadRun();
        scheduleRender();
      } catch (err) {
        setConnection("error", "Could not refresh: " + err.message);
      }
    }, 400);
  }

  // ---- Live events ----------------------------------------------------------------------------

  function setConnection(kind, text) {
    const node = $("connection");
    node.dataset.state = kind;
    node.textContent = text;
  }

  // What an event changes on the run view, worked out here so it shows at once.
  function applyLocally(ev) {
    const row = ev.task_id ? state.rows.get(ev.task_id) : null;
    const p = ev.payload || {};
    if (ev.kind === "task_status" && row && p.status) {
      row.status = p.status;
      if (ACTIVE.has(p.status) && !row.started) row.started = ev.ts;
      if (FINAL.has(p.status)) row.finished = row.finished || ev.ts;
      else row.finished = null;
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
    }
  }

  function onEvent(ev) {
    state.recent.push(ev);
    if (state.recent.length > REPLAY_LIMIT) state.recent.splice(0, state.recent.length - REPLAY_LIMIT);
    const current = state.run && state.run.run ? state.run.run.id : null;
    if (ev.run_id !== null && ev.run_id !== current) {
      scheduleReload(); // a new run started: show it
      return;
    }
    applyLocally(ev);
    if (ev.kind === "task_status" && ev.task_id) {
      SF.announce(`${ev.task_id} is now ${SF.statusLabel(ev.payload.status)}`);
    }
    if (RELOAD_KINDS.has(ev.kind) || (ev.task_id && !state.rows.has(ev.task_id))) scheduleReload();
    if (state.view === "run") scheduleRender();
    if (state.view === "task" && ev.task_id === state.taskId) {
      if (SF.TRANSCRIPT_KINDS.has(ev.kind) && state.transcript) {
        const empty = $("transcript-empty");
        if (empty) empty.remove();
        state.transcript.add(ev.payload);
      } else {
        scheduleTaskRefresh();
      }
    }
  }

  function connect(after) {
    const url = `api/events?after=${after}&token=${encodeURIComponent(SF.token)}`;
    const source = new EventSource(url);
    source.onopen = () => setConnection("live", "Live");
    source.onerror = () => setConnection("reconnecting", "Reconnecting…");
    source.onmessage = (message) => onEvent(JSON.parse(message.data));
    source.addEventListener("reset", () => {
      state.recent = [];
      scheduleReload();
    });
  }

  // ---- Task and agents views ------------------------------------------------------------------

  let taskSeq = 0;
  async function showTask(taskId, refresh) {
    const seq = ++taskSeq;
    const body = $("task-body");
    if (!refresh) {
      $("task-heading").textContent = taskId;
      SF.clear(body).append(h("p", { class: "muted" }, "Loading…"));
    }
    let detail;
    try {
      detail = await SF.api("api/tasks/" + encodeURIComponent(taskId));
    } catch (err) {
      if (seq === taskSeq) SF.clear(body).append(h("p", { class: "notice" }, err.message));
      return;
    }
    if (seq !== taskSeq || state.taskId !== taskId) return;
    $("task-heading").textContent = detail.task.title ? `${taskId}: ${detail.task.title}` : taskId;
    document.title = `${taskId} · shopfloor`;
    const head = SF.renderTaskHead(detail);
    head.id = "task-head";
    if (refresh && $("task-head")) {
      $("task-head").replaceWith(head);
      return;
    }
    const transcript = SF.renderTranscript(detail);
    state.transcript = transcript.transcript;
    SF.clear(body).append(head, transcript.node);
  }

  let taskTimer = null;
  function scheduleTaskRefresh() {
    if (taskTimer) return;
    taskTimer = setTimeout(() => {
      taskTimer = null;
      if (state.view === "task" && state.taskId) showTask(state.taskId, true);
    }, 400);
  }

  async function showAgents() {
    const body = $("agents-body");
    SF.clear(body).append(h("p", { class: "muted" }, "Looking for agents and skills…"));
    try {
      SF.clear(body).append(SF.renderAgents(await SF.api("api/agents")));
    } catch (err) {
      SF.clear(body).append(h("p", { class: "notice" }, err.message));
    }
  }

  // ---- Routing --------------------------------------------------------------------------------

  function route() {
    const hash = window.location.hash || "#/";
    let view = "run";
    if (hash.startsWith("#/task/")) view = "task";
    else if (hash === "#/agents") view = "agents";
    const changed = view !== state.view || view === "task";
    state.view = view;
    $("run-view").hidden = view !== "run";
    $("task-view").hidden = view !== "task";
    $("agents-view").hidden = view !== "agents";
    for (const link of document.querySelectorAll("[data-nav]")) {
      if (link.dataset.nav === view) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    state.transcript = null;
    if (view === "task") {
      state.taskId = decodeURIComponent(hash.slice("#/task/".length));
      showTask(state.taskId, false);
    } else {
      state.taskId = null;
      document.title = view === "agents" ? "Agents and skills · shopfloor" : "Run · shopfloor";
    }
    if (view === "agents") showAgents();
    if (view === "run") renderRun();
    if (changed && document.readyState === "complete") {
      const heading = document.querySelector(`#${view}-view h1`);
      if (heading) {
        heading.setAttribute("tabindex", "-1");
        heading.focus({ preventScroll: false });
      }
    }
  }

  // Elapsed times of running tasks move on without asking the server.
  function tick() {
    if (state.view !== "run" || !state.run) return;
    const now = serverNow();
    for (const row of state.rows.values()) {
      if (row.started && !row.finished && ACTIVE.has(row.status)) {
        row.elapsed_s = now - row.started;
        const card = cards.get(row.task_id);
        if (card && card.elapsed) card.elapsed.textContent = SF.duration(row.elapsed_s);
      }
    }
    const run = state.run.run;
    if (run && !run.finished && $("run-elapsed")) $("run-elapsed").textContent = SF.duration(now - run.started);
  }

  async function start() {
    $("layout-board").addEventListener("click", () => setLayout("board"));
    $("layout-list").addEventListener("click", () => setLayout("list"));
    let resizeTimer = null;
    window.addEventListener("resize", () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(renderCharts, 150);
    });
    window.addEventListener("hashchange", route);
    let view;
    try {
      view = await loadRun();
    } catch (err) {
      setConnection("error", err.status === 401 || err.status === 403
        ? "Access refused: open the URL with the token that shopfloor printed."
        : "Could not load the run: " + err.message);
      return;
    }
    route();
    renderRun();
    connect(view.last_event_id);
    setInterval(tick, 1000);
  }

  start();
})();
