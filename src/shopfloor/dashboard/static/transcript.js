// The transcript as a coding agent's screen: replies as text, Writes as code, Edits as diffs, Bash as a
// terminal, to-do lists as checklists, sub-agents nested, and what the harness said as system events.
"use strict";

(function () {
  const SF = (window.SF = window.SF || {});
  const { h } = SF;

  const LONG_LINES = 40;
  const { promptKind, messageLabel, diffBlock, codeBlock, collapsible, todoList, HOOK_VERDICT } =
    SF.blocks;
  const { PROMPT_LABEL } = SF;

  // Renders transcript events into a container, one at a time, so live events append in place.
  // A nested view holds a sub-agent's steps inside the Agent call that started it; events reach it by
  // the call ids in their `via` (a sub-agent's sub-agent is nested one level further down).
  class TranscriptView {
    constructor(container, sessionsBefore, nested) {
      this.container = container;
      this.body = container;
      this.calls = new Map();
      this.subs = new Map();
      this.session = sessionsBefore || 0;
      this.open = Boolean(nested);
      this.prompted = false;
      this.nested = Boolean(nested);
      this.workdir = nested ? nested.workdir : "";
      this.lastCall = null;
    }

    rel(path) {
      const p = String(path || "");
      if (this.workdir && p === this.workdir) return ".";
      if (this.workdir && p.startsWith(this.workdir + "/")) return p.slice(this.workdir.length + 1);
      return p;
    }

    startSession(opener) {
      this.session += 1;
      this.open = true;
      const section = h("section", { class: "session", id: "session-" + this.session, tabindex: "-1",
        "aria-label": `Session ${this.session}` },
        h("h3", {}, `Session ${this.session}`, h("span", { class: "muted" }, ` · opened by ${PROMPT_LABEL[opener]}`)));
      this.container.append(section);
      this.sessionNode = section;
      this.body = section;
    }

    // A sub-agent starts: its steps go in the Agent call that asked for it.
    subagent(ev) {
      const call = [...this.calls.values()].reverse().find((c) => (c.name === "Agent" || c.name === "Task") && !c.sub);
      const box = call ? call.box : h("div", { class: "tool subagent" });
      if (!call) this.body.append(box);
      const log = h("div", { class: "transcript nested-transcript", dataset: { call: ev.call } });
      box.append(h("p", { class: "sys-label" }, `${ev.agent} at work`, h("span", { class: "muted" }, ` on ${ev.model} · depth ${ev.depth}`)), log);
      const child = new TranscriptView(log, 0, { workdir: this.workdir });
      if (call) call.sub = child;
      this.subs.set(ev.call, child);
    }

    // The task list: a TodoWrite call just shown takes the list as set; otherwise it shows on its own.
    todos(items) {
      const call = this.lastCall;
      if (call && call.name === "TodoWrite" && call.todos) {
        call.todos.replaceWith((call.todos = todoList(items)));
        return;
      }
      this.sys("todos", "To-do list", todoList(items));
    }

    sys(cls, label, ...body) {
      const node = h("div", { class: "sys-event " + cls, role: "note" }, h("p", { class: "sys-label" }, label), ...body);
      (this.sessionNode || this.container).append(node);
      return node;
    }

    // A Claude Code hook ran: beside the call it guarded (or in the session), with what it said.
    hook(ev) {
      const verdict = HOOK_VERDICT[ev.outcome] || ev.outcome;
      const file = String(ev.source || "").split("/").slice(-2).join("/");
      const node = h("div", { class: `sys-event hook hook-${ev.outcome}`, role: "note", dataset: { event: ev.event } },
        h("p", { class: "sys-label" }, `Hook ${ev.event}${ev.subject ? " · " + ev.subject : ""}: ${verdict}`),
        h("p", {}, h("code", {}, ev.command)),
        ev.message ? SF.pre(`What the ${ev.event} hook said`, "prose-pre", ev.message) : null,
        h("p", { class: "muted" }, `exit code ${ev.exit_code ?? "none"} · ${SF.duration(ev.duration_s)} · ${file}`));
      this.body.append(node);
      if (ev.outcome === "blocked" && (ev.event === "Stop" || ev.event === "SubagentStop")) this.sentBack = ev.message;
    }

    turn(ev) {
      const article = h("article", { class: "turn", "aria-label": `Turn ${ev.turn}` },
        h("h4", {}, `Turn ${ev.turn} `,
          h("span", { class: "muted" }, `· sent ${SF.plural(ev.messages, "message")}, ${SF.tokens(ev.request_chars)} characters`)));
      (this.sessionNode || this.container).append(article);
      this.body = article;
    }

    add(ev) {
      let view = this;
      for (const id of ev.via || []) {
        const next = view.subs.get(id);
        if (!next) {
          // Not a sub-agent: a tool that asked a model (WebFetch, say) in the agent's name.
          view.own(ev, id);
          return;
        }
        view = next;
      }
      view.own(ev, null);
    }

    own(ev, asker) {
      switch (ev.kind) {
        case "run_started":
          this.workdir = ev.workdir || "";
          this.prompted = false;
          this.startSession("task");
          this.sys("start", `${ev.agent} started on ${ev.provider === "scripted" ? "the scripted model" : ev.model}`,
            h("p", { class: "muted" }, `${ev.provider} · tools: ${(ev.tools || []).join(", ") || "none"}`),
            (ev.notices || []).map((n) => h("p", { class: "notice" }, n)));
          break;
        case "user_message":
          this.message(ev.text || "");
          break;
        case "model_called":
          this.turn(ev);
          break;
        case "model_replied":
          if (asker) this.sys("side-model", `${asker} asked a model`, h("div", { class: "reply prose" }, SF.markdown(ev.text || "")));
          else this.reply(ev);
          break;
        case "tool_called":
          this.call(ev);
          break;
        case "tool_answered":
          this.answer(ev);
          break;
        case "notice":
          this.sys("notice", "Notice", h("p", {}, ev.message));
          break;
        case "hook_ran":
          this.hook(ev);
          break;
        case "todos_changed":
          this.todos(ev.todos);
          break;
        case "subagent_started":
          this.subagent(ev);
          break;
        case "subagent_finished": {
          const child = this.subs.get(ev.call);
          if (child) child.finished(ev, true);
          break;
        }
        case "run_finished":
          this.finished(ev);
          break;
        default:
          break;
      }
    }

    message(text) {
      const first = !this.prompted;
      this.prompted = true;
      const sentBack = Boolean(this.sentBack) && text === this.sentBack;
      this.sentBack = null;
      if (sentBack && this.open) {
        this.sys("hook-message", "A stop hook sent the agent back to work", SF.pre("Stop hook's reason", "prose-pre", text));
        return;
      }
      if (this.nested) {
        this.sys(first ? "prompt" : "message", first ? "Prompt from the delegating agent" : "Message",
          collapsible(!first, "Show it", SF.pre("Prompt", "prose-pre", text)));
        return;
      }
      if (!this.open) this.startSession(promptKind(text, first));
      if (first) {
        this.sys("prompt", "Task prompt", collapsible(false, "Show the prompt", SF.pre("Task prompt", "prose-pre", text)));
        return;
      }
      const [cls, label] = messageLabel(text);
      this.sys(cls, label, SF.pre(label, "prose-pre", text));
    }

    reply(ev) {
      const u = ev.usage || {};
      if (ev.text) this.body.append(h("div", { class: "reply prose" }, SF.markdown(ev.text)));
      this.body.append(h("p", { class: "usage" },
        `${SF.statusLabel(ev.stop_reason)} · input ${SF.tokens(u.input_tokens)}, output ${SF.tokens(u.output_tokens)}, ` +
        `cache read ${SF.tokens(u.cache_read_tokens)}, cache write ${SF.tokens(u.cache_write_tokens)} tokens · ` +
        `${SF.cost(ev.cost_usd)} · ${SF.duration(ev.duration_s)}`));
    }

    call(ev) {
      const input = ev.input || {};
      const status = h("span", { class: "call-status" }, "running");
      const head = h("p", { class: "tool-head" }, h("span", { class: "tool-name" }, ev.name), " ");
      const box = h("div", { class: "tool", dataset: { tool: ev.name } }, head);
      const call = { box, status, name: ev.name, output: null };
      const path = this.rel(input.file_path || input.path || input.notebook_path || "");
      switch (ev.name) {
        case "Write": {
          const text = String(input.content || "");
          const lines = text.split("\n").length;
          head.append(h("code", {}, path), " ", h("span", { class: "muted" }, SF.plural(lines, "line")));
          box.append(collapsible(lines <= LONG_LINES, "Code written", codeBlock(text, "Written to " + path)));
          break;
        }
        case "Edit":
        case "MultiEdit": {
          const edits = ev.name === "Edit" ? [input] : input.edits || [];
          head.append(h("code", {}, path));
          let added = 0;
          let removed = 0;
          for (const e of edits) {
            const d = diffBlock(e.old_string, e.new_string, "Edit of " + path);
            added += d.added;
            removed += d.removed;
            box.append(d.node);
          }
          head.append(" ", h("span", { class: "muted" }, `+${added} −${removed}${input.replace_all ? " · every occurrence" : ""}`));
          break;
        }
        case "Bash": {
          if (input.description) head.append(h("span", { class: "muted" }, input.description));
          const term = h("pre", { class: "terminal" }, h("span", { class: "prompt" }, "$ "), String(input.command || ""), "\n");
          call.output = term;
          box.append(SF.scroller("Terminal: " + String(input.command || "").slice(0, 60), term, "code-wrap"));
          break;
        }
        case "TodoWrite":
          head.append(h("span", { class: "muted" }, "to-do list"));
          call.todos = todoList(input.todos);
          box.append(call.todos);
          break;
        case "Task":
        case "Agent": {
          box.classList.add("subagent");
          head.append(h("strong", {}, input.subagent_type || "sub-agent"), " ",
            h("span", {}, SF.inline(input.description || "")));
          box.append(collapsible(false, "Its prompt", SF.pre("Sub-agent prompt", "prose-pre", String(input.prompt || ""))));
          break;
        }
        case "Read":
          SF.add(head, h("code", {}, path),
            input.offset || input.limit ? h("span", { class: "muted" }, ` lines ${input.offset || 1}–${(input.offset || 1) + (input.limit || 0)}`) : null);
          break;
        case "Grep":
        case "Glob":
          SF.add(head, h("code", {}, String(input.pattern || "")), path ? [" in ", h("code", {}, path)] : null);
          break;
        default: {
          const key = ["command", "url", "skill", "query"].find((k) => typeof input[k] === "string");
          if (key) head.append(h("code", {}, String(input[key]).slice(0, 200)));
          box.append(collapsible(false, "Input", SF.pre(`Input of ${ev.name}`, null, JSON.stringify(input, null, 2))));
        }
      }
      head.append(" ", status);
      this.calls.set(ev.call_id, call);
      this.lastCall = call;
      this.body.append(box);
    }

    answer(ev) {
      let call = this.calls.get(ev.call_id);
      if (!call) {
        this.call({ kind: "tool_called", call_id: ev.call_id, name: ev.name, input: {} });
        call = this.calls.get(ev.call_id);
      }
      call.status.textContent = (ev.is_error ? "error" : "ok") + ` · ${SF.duration(ev.duration_s)}`;
      if (ev.is_error) call.box.classList.add("tool-error");
      const content = String(ev.content || "");
      if (call.output) {
        call.output.append(h("span", { class: ev.is_error ? "t-err" : null }, content || "(no output)"));
      } else if (call.name === "Task" || call.name === "Agent") {
        call.box.append(h("p", { class: "sys-label" }, "What it handed back"), h("div", { class: "reply prose nested" }, SF.markdown(content)));
      } else if (ev.is_error || !["Write", "Edit", "MultiEdit", "TodoWrite"].includes(call.name)) {
        const lines = content.split("\n").length;
        call.box.append(collapsible(ev.is_error, ev.is_error ? "Error" : `Output (${SF.plural(lines, "line")})`,
          SF.pre(`Output of ${call.name}`, null, content)));
      }
    }

    finished(ev, sub) {
      if (sub) {
        this.container.append(h("p", { class: "usage" },
          `${ev.agent} ${ev.outcome === "completed" ? "finished" : SF.statusLabel(ev.outcome)}` +
          `${ev.reason ? ": " + ev.reason : ""} · ${SF.plural(ev.turns, "turn")} · ${SF.cost(ev.cost_usd)} · ${SF.duration(ev.duration_s)}`));
        return;
      }
      this.open = false;
      const said = ev.outcome === "completed" ? "completed: the agent wrote its marker" : SF.statusLabel(ev.outcome);
      this.sys("session-end", `Session ended, ${said}`,
        ev.reason ? h("p", {}, ev.reason) : null,
        h("p", { class: "muted" },
          `${SF.plural(ev.turns, "turn")} so far · ${SF.tokens(SF.totalTokens(ev.usage))} tokens · ` +
          `${SF.cost(ev.cost_usd)} · this session ${SF.duration(ev.duration_s)}`));
      this.body = this.container;
      this.sessionNode = null;
    }
  }

  SF.TRANSCRIPT_KINDS = new Set([
    "run_started", "user_message", "model_called", "model_replied", "tool_called", "tool_answered", "notice",
    "hook_ran", "todos_changed", "subagent_started", "subagent_finished", "run_finished",
  ]);

  // The transcript section, and the view live events are appended to.
  SF.renderTranscript = function (detail, scripted) {
    const tr = detail.transcript;
    const log = h("div", { class: "transcript", id: "transcript-log" });
    const view = new TranscriptView(log, tr.sessions_before);
    if (tr.total > tr.events.length) {
      log.append(h("p", { class: "muted" }, `Showing the last ${tr.events.length} of ${tr.total} events.`));
    }
    for (const ev of tr.events) view.add(ev);
    const files = tr.paths.map((p) => h("code", {}, p));
    const node = h(
      "section",
      { "aria-labelledby": "transcript-heading", id: "transcript", tabindex: "-1" },
      h("h2", { id: "transcript-heading" }, "Transcript"),
      h("p", { class: "muted" },
        `${SF.plural(tr.turns, "turn")} · ${SF.tokens(SF.totalTokens(tr.usage))} tokens · ` +
        `${scripted ? "would have cost " : ""}${SF.cost(tr.cost_usd)}`,
        files.length ? [" · ", files.flatMap((f, i) => (i ? [", ", f] : [f]))] : null),
      tr.events.length ? null : h("p", { class: "muted", id: "transcript-empty" }, "No transcript yet."),
      log,
    );
    return { node, transcript: view };
  };
})();
