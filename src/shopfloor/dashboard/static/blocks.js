// The pieces a transcript is drawn with: what opened a session, line diffs for Edits, code, folds, hook
// verdicts and to-do checklists. Each returns DOM nodes (or labels); transcript.js puts them in order.
"use strict";

(function () {
  const SF = (window.SF = window.SF || {});
  const { h } = SF;

  const MAX_DIFF_CELLS = 250000;

  // What opened a session after the first: the history names it the same way.
  function promptKind(text, first) {
    if (first) return "task";
    if (text.startsWith("VERIFICATION GATE:")) return "gate_feedback";
    if (text.startsWith("Your branch ") && text.includes(" conflicts with ")) return "merge_conflict";
    return "message";
  }

  const PROMPT_LABEL = {
    task: "the task prompt",
    gate_feedback: "the gate's report",
    merge_conflict: "a merge conflict",
    message: "a message from the harness",
  };
  SF.PROMPT_LABEL = PROMPT_LABEL;

  function messageLabel(text) {
    if (text.startsWith("VERIFICATION GATE:")) return ["gate-feedback", "Gate feedback sent to the agent"];
    if (text.startsWith("Your branch ") && text.includes(" conflicts with ")) return ["conflict", "Merge conflict sent to the agent"];
    if (text.startsWith("You ended your turn") || text.startsWith("Your reply was cut")) return ["reminder", "Reminder"];
    return ["message", "Message from the harness"];
  }

  // Lines of `a` and `b` as a list of [kind, line], kind one of " ", "-", "+" (longest common subsequence).
  function lineDiff(a, b) {
    let start = 0;
    while (start < a.length && start < b.length && a[start] === b[start]) start++;
    let endA = a.length;
    let endB = b.length;
    while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
      endA--;
      endB--;
    }
    const head = a.slice(0, start).map((l) => [" ", l]);
    const tail = a.slice(endA).map((l) => [" ", l]);
    const x = a.slice(start, endA);
    const y = b.slice(start, endB);
    let middle;
    if (x.length * y.length > MAX_DIFF_CELLS) {
      middle = x.map((l) => ["-", l]).concat(y.map((l) => ["+", l]));
    } else {
      const n = x.length;
      const m = y.length;
      const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
      for (let i = n - 1; i >= 0; i--) {
        for (let j = m - 1; j >= 0; j--) {
          lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
        }
      }
      middle = [];
      let i = 0;
      let j = 0;
      while (i < n || j < m) {
        if (i < n && j < m && x[i] === y[j]) {
          middle.push([" ", x[i++]]);
          j++;
        } else if (i < n && (j === m || lcs[i + 1][j] >= lcs[i][j + 1])) {
          middle.push(["-", x[i++]]);
        } else {
          middle.push(["+", y[j++]]);
        }
      }
    }
    return head.concat(middle, tail);
  }

  function diffBlock(oldText, newText, label) {
    const rows = lineDiff(String(oldText || "").split("\n"), String(newText || "").split("\n"));
    const pre = h("pre", { class: "diff" });
    let added = 0;
    let removed = 0;
    for (const [kind, line] of rows) {
      if (kind === "+") added++;
      if (kind === "-") removed++;
      pre.append(h("span", { class: kind === "+" ? "d-add" : kind === "-" ? "d-del" : null }, `${kind} ${line}\n`));
    }
    return { node: SF.scroller(label, pre, "code-wrap"), added, removed };
  }

  function codeBlock(text, label) {
    return SF.pre(label, "code", text);
  }

  function collapsible(open, summary, ...body) {
    return h("details", { class: "fold", open: open }, h("summary", {}, summary), ...body);
  }

  const HOOK_VERDICT = {
    ok: "ran",
    blocked: "blocked",
    error: "failed, and the action went on",
    timed_out: "timed out, and the action went on",
  };

  const TODO_MARK = { completed: "☑", in_progress: "◐", pending: "☐" };

  function todoList(todos) {
    return h("ul", { class: "todos" }, (todos || []).map((t) => {
      const status = t.status || "pending";
      return h("li", { dataset: { status } },
        h("span", { class: "todo-mark", "aria-hidden": "true" }, TODO_MARK[status] || "☐"), " ",
        h("span", { class: "todo-text" }, SF.inline(t.content || t.activeForm || "")),
        " ", h("span", { class: "visually-hidden" }, `(${SF.statusLabel(status)})`));
    }));
  }

  SF.blocks = { promptKind, messageLabel, diffBlock, codeBlock, collapsible, todoList, HOOK_VERDICT };
})();
