// The dashboard page: its state, routing between views, and live updates from the event stream.
"use strict";

(function () {
  const SF = window.SF;
  const { h } = SF;

  const FINAL = new Set(["completed", "failed", "blocked"]);
  // Events that change more than the page can work out by itself: fetch the run again (debounced).
  const RELOAD_KINDS = new Set(["task_status", "gate_round", "run_status", "run_started", "run_finished"]);
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
    started: false,
  };

  const $ = (id) => document.getElementById(id);

  function serverNow() {
    return Date.now() / 1000 + state.clockOffset;
  }

  let renderPending = false;
  function renderRun() {
    renderPending = false;
    if (!state.run) return;
    SF.renderRunView(state);
    if (!state.boardReady) {
      state.boardReady = true;
      performance.mark("board-rendered");
      document.body.dataset.boardReady = "true";
    }
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
      if (SF.ACTIVE.has(p.status) && !row.started) row.started = ev.ts;
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
    if (RELOAD_KINDS.has(ev.kind)) scheduleReload();
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
    // Move focus to the new view's heading, except on the first load (the skip link is there for that).
    if (changed && state.started) {
      const heading = document.querySelector(`#${view}-view h1`);
      if (heading) {
        heading.setAttribute("tabindex", "-1");
        heading.focus({ preventScroll: false });
      }
    }
  }

  function tick() {
    if (state.view === "run" && state.run) SF.tickRunView(state, serverNow());
  }

  async function start() {
    $("layout-board").addEventListener("click", () => setLayout("board"));
    $("layout-list").addEventListener("click", () => setLayout("list"));
    let resizeTimer = null;
    window.addEventListener("resize", () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => SF.renderCharts(state), 150);
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
    state.started = true;
    renderRun();
    connect(view.last_event_id);
    setInterval(tick, 1000);
  }

  start();
})();
