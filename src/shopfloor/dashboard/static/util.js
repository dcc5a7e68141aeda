// Small helpers shared by the dashboard's scripts: building elements, formatting, links, calling the API.
"use strict";

(function () {
  const SF = (window.SF = window.SF || {});
  const SVG_NS = "http://www.w3.org/2000/svg";

  // Append children: strings become text nodes (never HTML), null and false are skipped.
  function append(node, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function setAttrs(node, attrs) {
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.setAttribute("class", value);
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    return node;
  }

  SF.h = function (tag, attrs, ...children) {
    return append(setAttrs(document.createElement(tag), attrs), children);
  };

  SF.svg = function (tag, attrs, ...children) {
    return append(setAttrs(document.createElementNS(SVG_NS, tag), attrs), children);
  };

  // Append to an existing node as `h` does: arrays flattened, null and false skipped.
  SF.add = function (node, ...children) {
    return append(node, children);
  };

  SF.clear = function (node) {
    node.replaceChildren();
    return node;
  };

  // Replace a node's children, skipping null and false as `h` does.
  SF.fill = function (node, ...children) {
    node.replaceChildren();
    return append(node, children);
  };

  SF.plural = function (n, word, many) {
    return `${n} ${n === 1 ? word : many || word + "s"}`;
  };

  SF.cost = function (usd) {
    if (usd === null || usd === undefined) return "–";
    if (usd === 0) return "$0";
    return "$" + (usd < 1 ? usd.toFixed(4) : usd.toFixed(2));
  };

  // What a cost means: real spend, or (on the scripted model) what the routed model would have charged.
  SF.costTerm = function (scripted) {
    return scripted ? "Would have cost" : "Cost";
  };

  SF.tokens = function (n) {
    if (n === null || n === undefined) return "–";
    if (n < 1000) return String(n);
    if (n < 1e6) return (n / 1e3).toFixed(n < 1e4 ? 1 : 0) + "k";
    return (n / 1e6).toFixed(n < 1e7 ? 2 : 1) + "M";
  };

  SF.duration = function (seconds) {
    if (seconds === null || seconds === undefined) return "–";
    if (seconds > 0 && seconds < 0.1) return "<0.1s";
    if (seconds > 0 && seconds < 1) return seconds.toFixed(1) + "s";
    const s = Math.max(0, Math.round(seconds));
    if (s < 60) return s + "s";
    const m = Math.floor(s / 60);
    if (m < 60) return m + "m " + String(s % 60).padStart(2, "0") + "s";
    return Math.floor(m / 60) + "h " + String(m % 60).padStart(2, "0") + "m";
  };

  // One date format everywhere: local time as 2026-05-14 09:03:27.
  SF.whenText = function (ts) {
    if (!ts) return "–";
    const d = new Date(ts * 1000);
    const two = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ` +
      `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  };

  SF.when = function (ts) {
    if (!ts) return "–";
    return SF.h("time", { datetime: new Date(ts * 1000).toISOString() }, SF.whenText(ts));
  };

  SF.isoSeconds = function (iso) {
    const ms = Date.parse(iso);
    return Number.isNaN(ms) ? null : ms / 1000;
  };

  SF.statusLabel = function (status) {
    return String(status || "unknown").replace(/_/g, " ");
  };

  SF.badge = function (status, text) {
    return SF.h("span", { class: "badge", dataset: { status: status } }, text || SF.statusLabel(status));
  };

  SF.totalTokens = function (usage) {
    if (!usage) return 0;
    return (
      (usage.input_tokens || 0) +
      (usage.output_tokens || 0) +
      (usage.cache_read_tokens || 0) +
      (usage.cache_write_tokens || 0)
    );
  };

  // Text with `code` spans and **bold**, as nodes (never HTML).
  SF.inline = function (text) {
    const out = [];
    const pattern = /`([^`\n]+)`|\*\*([^*\n]+)\*\*/g;
    let at = 0;
    let match;
    const s = String(text || "");
    while ((match = pattern.exec(s))) {
      if (match.index > at) out.push(s.slice(at, match.index));
      out.push(match[1] !== undefined ? SF.h("code", {}, match[1]) : SF.h("strong", {}, match[2]));
      at = match.index + match[0].length;
    }
    if (at < s.length) out.push(s.slice(at));
    return out;
  };

  // A model's Markdown, as far as a transcript needs it: paragraphs, lists, headings, fenced code.
  SF.markdown = function (text) {
    const blocks = [];
    const parts = String(text || "").split(/^```[^\n]*\n?/m);
    parts.forEach((part, i) => {
      if (i % 2 === 1) {
        blocks.push(SF.pre("Code", "code", part.replace(/\n$/, "")));
        return;
      }
      for (const para of part.split(/\n{2,}/)) {
        const lines = para.split("\n").filter((l) => l.trim());
        if (!lines.length) continue;
        if (lines.every((l) => /^\s*([-*]|\d+\.)\s+/.test(l))) {
          const ordered = /^\s*\d+\./.test(lines[0]);
          blocks.push(SF.h(ordered ? "ol" : "ul", {},
            lines.map((l) => SF.h("li", {}, SF.inline(l.replace(/^\s*([-*]|\d+\.)\s+/, ""))))));
        } else if (lines.length === 1 && /^#{1,6}\s/.test(lines[0])) {
          blocks.push(SF.h("p", { class: "md-heading" }, SF.inline(lines[0].replace(/^#+\s*/, ""))));
        } else {
          blocks.push(SF.h("p", {}, lines.map((l, n) => [n ? SF.h("br") : null, SF.inline(l)])));
        }
      }
    });
    return blocks;
  };

  // A scrolling box the keyboard can reach (it takes focus), named for screen readers: a region for a
  // table, a group for a block of code or output (there are many, and regions must be told apart).
  SF.scroller = function (label, child, cls) {
    const code = cls === "code-wrap";
    return SF.h("div", { class: cls || "table-wrap", tabindex: "0", role: code ? "group" : "region", "aria-label": label }, child);
  };

  // Preformatted text in its own scrolling box.
  SF.pre = function (label, cls, ...content) {
    return SF.scroller(label, SF.h("pre", { class: cls || null }, ...content), "code-wrap");
  };

  SF.table = function (caption, headers, rows) {
    return SF.scroller(caption,
      SF.h("table", {},
        SF.h("caption", {}, caption),
        SF.h("thead", {}, SF.h("tr", {}, headers.map((x) => SF.h("th", { scope: "col" }, x)))),
        SF.h("tbody", {}, rows)));
  };

  // Links inside the page. A null run means the latest, which the page follows live.
  SF.href = {
    run: (runId) => (runId === null || runId === undefined ? "#/" : `#/runs/${runId}`),
    runs: () => "#/runs",
    task: (runId, taskId, anchor) =>
      (runId === null || runId === undefined ? "#/task/" : `#/runs/${runId}/tasks/`) +
      encodeURIComponent(taskId) + (anchor ? "/" + anchor : ""),
  };

  SF.taskLink = function (runId, taskId, anchor, text) {
    return SF.h("a", { href: SF.href.task(runId, taskId, anchor) }, text || taskId);
  };

  // The token comes from the page's own URL and leaves the address bar at once; the page's cookie lets
  // a reload in. API calls send it as a header while this page lives.
  SF.token = new URLSearchParams(window.location.search).get("token") || "";
  if (SF.token) window.history.replaceState(null, "", window.location.pathname + window.location.hash);

  SF.api = async function (path, params) {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params || {})) {
      if (value !== null && value !== undefined) query.set(key, String(value));
    }
    const url = path + (query.toString() ? "?" + query : "");
    const headers = { Accept: "application/json" };
    if (SF.token) headers.Authorization = "Bearer " + SF.token;
    const response = await fetch(url, { headers, cache: "no-store", credentials: "same-origin" });
    if (!response.ok) {
      let detail = response.statusText;
      try {
        detail = (await response.json()).detail || detail;
      } catch (_) {
        // not JSON: keep the status text
      }
      const error = new Error(detail);
      error.status = response.status;
      throw error;
    }
    return response.json();
  };

  SF.announce = function (text) {
    const node = document.getElementById("announcer");
    if (node) node.textContent = text;
  };
})();
