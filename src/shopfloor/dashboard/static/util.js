// Small helpers shared by the dashboard's scripts: building elements, formatting, calling the API.
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

  SF.clear = function (node) {
    node.replaceChildren();
    return node;
  };

  // Replace a node's children, skipping null and false as `h` does.
  SF.fill = function (node, ...children) {
    node.replaceChildren();
    return append(node, children);
  };

  SF.cost = function (usd) {
    if (usd === null || usd === undefined) return "–";
    if (usd === 0) return "$0";
    return "$" + (usd < 1 ? usd.toFixed(4) : usd.toFixed(2));
  };

  SF.tokens = function (n) {
    if (n === null || n === undefined) return "–";
    if (n < 1000) return String(n);
    if (n < 1e6) return (n / 1e3).toFixed(n < 1e4 ? 1 : 0) + "k";
    return (n / 1e6).toFixed(n < 1e7 ? 2 : 1) + "M";
  };

  SF.duration = function (seconds) {
    if (seconds === null || seconds === undefined) return "–";
    const s = Math.max(0, Math.round(seconds));
    if (s < 60) return s + "s";
    const m = Math.floor(s / 60);
    if (m < 60) return m + "m " + String(s % 60).padStart(2, "0") + "s";
    return Math.floor(m / 60) + "h " + String(m % 60).padStart(2, "0") + "m";
  };

  SF.time = function (ts) {
    if (!ts) return "–";
    return new Date(ts * 1000).toLocaleTimeString();
  };

  SF.statusLabel = function (status) {
    return String(status || "unknown").replace(/_/g, " ");
  };

  SF.badge = function (status) {
    return SF.h("span", { class: "badge", dataset: { status: status } }, SF.statusLabel(status));
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

  // The token comes from the page's own URL; API calls send it as a header.
  SF.token = new URLSearchParams(window.location.search).get("token") || "";

  SF.api = async function (path) {
    const response = await fetch(path, {
      headers: { Authorization: "Bearer " + SF.token, Accept: "application/json" },
      cache: "no-store",
    });
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
