// Earlier runs: the picker on the run page and the page that lists every run.
"use strict";

(function () {
  const SF = (window.SF = window.SF || {});
  const { h } = SF;

  function tally(byStatus) {
    return Object.entries(byStatus).map(([s, n]) => `${n} ${SF.statusLabel(s)}`).join(", ") || "none";
  }

  SF.runOption = function (run, latestId) {
    return `#${run.id} · ${SF.statusLabel(run.status)} · ${SF.whenText(run.started)}` +
      (run.scripted ? " · scripted" : "") + (run.id === latestId ? " (latest)" : "");
  };

  // A select that moves the page to another run; the latest run's address follows new runs live.
  SF.runPicker = function (view, currentId) {
    const select = h("select", { id: "run-picker", "aria-label": "Show run" },
      view.runs.map((run) => h("option", { value: String(run.id), selected: run.id === currentId }, SF.runOption(run, view.latest_run_id))));
    select.addEventListener("change", () => {
      const id = Number(select.value);
      window.location.hash = id === view.latest_run_id ? SF.href.run(null) : SF.href.run(id);
    });
    return h("div", { class: "run-picker" }, h("label", { for: "run-picker" }, "Run "), select, " ",
      h("a", { href: SF.href.runs() }, `All ${SF.plural(view.runs.length, "run")}`));
  };

  // Fills the runs page; returns the list it drew (or null when it could not be fetched).
  SF.showRuns = async function (body) {
    try {
      const view = await SF.api("api/runs");
      SF.fill(body, SF.renderRuns(view));
      return view;
    } catch (err) {
      SF.fill(body, h("p", { class: "notice" }, err.message));
      return null;
    }
  };

  SF.renderRuns = function (view) {
    if (!view.runs.length) return h("p", { class: "muted" }, "No run in this project yet. Start one with shopfloor run.");
    const rows = view.runs.map((run) =>
      h("tr", { dataset: { run: run.id } },
        h("th", { scope: "row" }, h("a", { href: run.id === view.latest_run_id ? SF.href.run(null) : SF.href.run(run.id) }, `Run #${run.id}`)),
        h("td", {}, SF.badge(run.status), run.scripted ? [" ", SF.badge("scripted", "scripted model")] : null),
        h("td", {}, SF.when(run.started)),
        h("td", { class: "num" }, SF.duration(run.elapsed_s)),
        h("td", {}, `${run.tasks}: ${tally(run.by_status)}`),
        h("td", { class: "num" }, run.scripted ? [h("span", { class: "muted" }, "would have cost "), SF.cost(run.cost_usd)] : SF.cost(run.cost_usd)),
        h("td", { class: "num" }, SF.tokens(run.tokens))));
    return SF.table("Every run of this project, newest first", ["Run", "Status", "Started", "Took", "Tasks", "Cost", "Tokens"], rows);
  };
})();
