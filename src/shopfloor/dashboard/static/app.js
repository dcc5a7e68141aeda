// The dashboard page: its state, routing between views, and live updates from the event stream.
"use strict";

(function () {
  const SF = window.SF;
  const { h } = SF;

  // Events that change more than the page can work out by itself: fetch the run again (debounced).
  const RELOAD_KINDS = new Set([
    "task_status", "task_started", "task_phase", "gate_round", "attempt_started", "attempt_ended", "task_merged",
    "run_status", "run_started", "run_finished",
  ]);
  const REPLAY_LIMIT = 500;

  const state = {
    view: "run",
    runId: null, // the run asked for; null follows the latest
    run: null,
    runs: null,
    series: null,
    timeline: null,
    rows: new Map(),
    shownRun: undefined,
    clockOffset: 0,
    clockSet: false,
    shownElapsed: 0,
    layout: "board",
    taskId: null,
    taskRunId: null,
    taskRow: null,
    taskMissing: false,
    taskCtx: null,
    transcript: null,
    recent: [],
    boardReady: false,
    started: false,
    stopped: false,
    source: null,
    serverNow: () => Date.now() / 1000 + state.clockOffset,
  };

  const $ = (id) => document.getElementById(id);

  let renderPending = false;
  function renderRun() {
    renderPending = false;
    if (!state.run || state.view !== "run") return;
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

  // The run view first (the board paints from it), then the plots, the timeline and the run list.
  async function loadRun(first) {
    const params = { run_id: state.runId };
    const rest = Promise.all([SF.api("api/series", params), SF.api("api/timeline", params), SF.api("api/runs")]);
    const view = await SF.api("api/run", params);
    // The server's clock is read once: later views would move it by their latency, and clocks jump.
    if (!state.clockSet) {
      state.clockOffset = view.now - Date.now() / 1000;
      state.clockSet = true;
    }
    const shown = view.run ? view.run.id : null;
    if (shown !== state.shownRun) {
      state.shownRun = shown;
      state.shownElapsed = 0;
      state.series = state.timeline = null;
      SF.resetBoard();
    }
    state.run = view;
    const before = state.rows;
    state.rows = new Map(view.tasks.map((row) => [row.task_id, row]));
    for (const row of state.rows.values()) {
      const was = before.get(row.task_id);
      if (was && !row.finished && was.elapsed_s > (row.elapsed_s || 0)) row.elapsed_s = was.elapsed_s;
    }
    // Events that arrived while this was being read are already in it only if their id is not newer.
    for (const ev of state.recent) if (ev.id > view.last_event_id) applyLocally(ev);
    const extras = rest.then(([series, timeline, runs]) => {
      if ((series.run_id ?? null) !== state.shownRun) return;
      state.series = series;
      state.timeline = timeline;
      state.runs = runs;
      scheduleRender();
    });
    if (!first) await extras;
    else extras.catch((err) => setConnection("error", "Could not load the plots: " + err.message));
    return view;
  }

  let reloadTimer = null;
  function reloadNow() {
    clearTimeout(reloadTimer);
    reloadTimer = null;
    return loadRun().then(scheduleRender, (err) => {
      if (!state.stopped) setConnection("error", "Could not refresh: " + err.message);
    });
  }

  function scheduleReload() {
    if (reloadTimer || state.stopped) return;
    reloadTimer = setTimeout(reloadNow, 400);
  }

  // ---- Live events ----------------------------------------------------------------------------

  function setConnection(kind, text) {
    const node = $("connection");
    node.dataset.state = kind;
    node.textContent = text;
  }

  function runFinished() {
    return Boolean(state.run && state.run.run && state.run.run.finished);
  }

  const applyLocally = (ev) => SF.applyEvent(state, ev);

  function onEvent(ev) {
    state.recent.push(ev);
    if (state.recent.length > REPLAY_LIMIT) state.recent.splice(0, state.recent.length - REPLAY_LIMIT);
    const current = state.run && state.run.run ? state.run.run.id : null;
    if (ev.run_id !== null && ev.run_id !== current) {
      // A new run: the latest view moves to it; an earlier run's page only learns of it in the picker.
      scheduleReload();
      return;
    }
    applyLocally(ev);
    if (ev.kind === "task_status" && ev.task_id) {
      SF.announce(`${ev.task_id} is now ${SF.statusLabel(ev.payload.status)}`);
    }
    if (RELOAD_KINDS.has(ev.kind)) scheduleReload();
    if (state.view === "run") scheduleRender();
    if (state.view === "task") onTaskEvent(ev);
  }

  function onTaskEvent(ev) {
    if (state.taskMissing) {
      if (ev.task_id === state.taskId || RELOAD_KINDS.has(ev.kind)) scheduleTaskRefresh();
      return;
    }
    if (ev.task_id !== state.taskId) return;
    if (SF.TRANSCRIPT_KINDS.has(ev.kind) && state.transcript) {
      const empty = $("transcript-empty");
      if (empty) empty.remove();
      state.transcript.add(ev.payload);
    }
    if (ev.kind === "model_replied") tickTask();
    if (!SF.TRANSCRIPT_KINDS.has(ev.kind) || ev.kind === "run_started" || ev.kind === "run_finished") scheduleTaskRefresh();
  }

  function connect(after) {
    const token = SF.token ? `&token=${encodeURIComponent(SF.token)}` : "";
    const source = new EventSource(`api/events?after=${after}${token}`);
    state.source = source;
    source.onopen = () => setConnection("live", runFinished() ? "Live · run finished" : "Live");
    source.onerror = () => {
      if (!state.stopped) setConnection("reconnecting", "Reconnecting…");
    };
    source.onmessage = (message) => onEvent(JSON.parse(message.data));
    source.addEventListener("reset", () => {
      state.recent = [];
      scheduleReload();
    });
    // The server is stopping: everything recorded has been sent. Say so instead of reconnecting.
    source.addEventListener("end", () => {
      source.close();
      state.stopped = true;
      setConnection("stopped", runFinished() ? "Run finished · dashboard stopped" : "Dashboard stopped");
      const pending = reloadTimer !== null;
      clearTimeout(reloadTimer);
      reloadTimer = null;
      const last = pending ? loadRun().catch(() => null) : Promise.resolve();
      last.then(() => {
        if (state.view === "run") renderRun();
        else if (state.view === "task") showTask(state.taskId, true);
      });
    });
  }

  // ---- Task, runs and agents views ------------------------------------------------------------

  function scrollToAnchor(anchor) {
    if (!anchor) return;
    let target = document.getElementById(anchor);
    if (anchor.startsWith("gate-") && SF.selectGateRound(anchor.slice(5))) target = $("gate-report");
    if (target) {
      target.scrollIntoView({ block: "start" });
      target.focus({ preventScroll: true });
    }
  }

  function tickTask() {
    const row = state.taskRow;
    if (!row || state.view !== "task") return;
    const live = state.rows.get(row.task_id);
    if (live && state.taskRunId === state.shownRun) Object.assign(row, { cost_usd: live.cost_usd, tokens: live.tokens });
    if (row.started && !row.finished && SF.ACTIVE.has(row.status)) {
      row.elapsed_s = Math.max(row.elapsed_s || 0, state.serverNow() - row.started);
    }
    const set = (id, text) => {
      const node = $(id);
      if (node) node.textContent = text;
    };
    set("task-elapsed", SF.duration(row.elapsed_s));
    set("task-cost", SF.cost(row.cost_usd));
    set("task-tokens", SF.tokens(row.tokens));
  }

  let taskSeq = 0;
  async function showTask(taskId, refresh, anchor) {
    const seq = ++taskSeq;
    const body = $("task-body");
    const runId = state.runId;
    if (!refresh) {
      $("task-heading").textContent = taskId;
      $("task-crumb").textContent = taskId;
      SF.clear(body).append(h("p", { class: "muted" }, "Loading…"));
    }
    let detail;
    try {
      detail = await SF.api("api/tasks/" + encodeURIComponent(taskId), { run_id: runId, missing_ok: true });
    } catch (err) {
      if (seq === taskSeq) SF.clear(body).append(h("p", { class: "notice" }, err.message));
      return;
    }
    if (seq !== taskSeq || state.taskId !== taskId) return;
    state.taskMissing = detail === null;
    if (detail === null) {
      SF.clear(body).append(h("p", { class: "notice", id: "task-waiting" },
        `${taskId} is not in this run or the task queue yet. This page shows it as soon as it appears.`));
      return;
    }
    const wasMissing = !$("task-head");
    state.taskRow = detail.task;
    state.taskRunId = detail.run_id;
    const t = detail.task;
    SF.fill($("task-heading"), taskId, t.title ? [": ", SF.inline(t.title)] : null);
    $("task-crumb").textContent = taskId;
    const back = $("task-back");
    back.href = SF.href.run(runId);
    back.textContent = detail.run_id ? `Run #${detail.run_id}` : "Run";
    document.title = `${taskId} · shopfloor`;
    state.taskCtx = state.taskCtx && state.taskCtx.taskId === taskId ? state.taskCtx : { taskId, runId, selectedRound: null };
    state.taskCtx.runId = runId;
    const head = SF.renderTaskHead(detail, state.taskCtx);
    head.id = "task-head";
    const hadTranscript = state.transcript && state.transcript.session > 0;
    const hasTranscript = detail.transcript.events.length > 0;
    if (refresh && !wasMissing && $("task-head") && (hadTranscript || !hasTranscript)) {
      $("task-head").replaceWith(head);
      tickTask();
      return;
    }
    const transcript = SF.renderTranscript(detail, t.scripted);
    state.transcript = transcript.transcript;
    SF.clear(body).append(head, transcript.node);
    if (!document.body.dataset.taskReady) {
      performance.mark("task-rendered");
      document.body.dataset.taskReady = "true";
    }
    tickTask();
    scrollToAnchor(anchor);
  }

  let taskTimer = null;
  function scheduleTaskRefresh() {
    if (taskTimer || state.stopped) return;
    taskTimer = setTimeout(() => {
      taskTimer = null;
      if (state.view === "task" && state.taskId) showTask(state.taskId, true);
    }, 400);
  }

  async function showRuns() {
    state.runs = (await SF.showRuns($("runs-body"))) || state.runs;
  }

  const showAgents = () => SF.showAgents($("agents-body"));

  // ---- Routing --------------------------------------------------------------------------------

  // #/  #/runs  #/runs/N  #/runs/N/tasks/ID[/anchor]  #/task/ID[/anchor]  #/agents
  function parse(hash) {
    const parts = hash.replace(/^#\/?/, "").split("/").filter((p) => p !== "").map(decodeURIComponent);
    if (parts[0] === "agents") return { view: "agents", runId: state.runId };
    if (parts[0] === "task" && parts[1]) return { view: "task", runId: null, taskId: parts[1], anchor: parts[2] };
    if (parts[0] === "runs" && /^\d+$/.test(parts[1] || "")) {
      const runId = Number(parts[1]);
      if (parts[2] === "tasks" && parts[3]) return { view: "task", runId, taskId: parts[3], anchor: parts[4] };
      return { view: "run", runId };
    }
    if (parts[0] === "runs") return { view: "runs", runId: state.runId };
    return { view: "run", runId: null };
  }

  function route() {
    const r = parse(window.location.hash || "#/");
    const sameTask = r.view === "task" && state.view === "task" && r.taskId === state.taskId && r.runId === state.runId;
    const changed = r.view !== state.view || (r.view === "task" && !sameTask);
    const runChanged = r.runId !== state.runId;
    state.view = r.view;
    state.runId = r.runId;
    for (const view of ["run", "runs", "task", "agents"]) $(`${view}-view`).hidden = view !== r.view;
    for (const link of document.querySelectorAll("[data-nav]")) {
      if (link.dataset.nav === r.view) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    document.querySelector('[data-nav="run"]').href = SF.href.run(state.runId);
    if (sameTask) {
      scrollToAnchor(r.anchor);
      return;
    }
    if (r.view !== "task") {
      state.taskId = null;
      state.transcript = null;
      state.taskRow = null;
      state.taskMissing = false;
    }
    if (r.view === "task") {
      state.taskId = r.taskId;
      state.transcript = null;
      showTask(r.taskId, false, r.anchor);
    } else if (r.view === "runs") {
      document.title = "Runs · shopfloor";
      showRuns();
    } else if (r.view === "agents") {
      document.title = "Agents and skills · shopfloor";
      showAgents();
    } else {
      document.title = (state.runId ? `Run #${state.runId}` : "Run") + " · shopfloor";
      if (runChanged && state.started) reloadNow();
      else renderRun();
    }
    if (runChanged && state.started && r.view === "task") reloadNow();
    // Move focus to the new view's heading, except on the first load (the skip link is there for that).
    if (changed && state.started) {
      const heading = document.querySelector(`#${r.view}-view h1`);
      if (heading) {
        heading.setAttribute("tabindex", "-1");
        heading.focus({ preventScroll: false });
      }
    }
  }

  function tick() {
    if (state.view === "run" && state.run) SF.tickRunView(state, state.serverNow());
    if (state.view === "task") tickTask();
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
    state.runId = parse(window.location.hash || "#/").runId;
    let view;
    try {
      view = await loadRun(true);
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
