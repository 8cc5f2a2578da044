// FaaSO's web UI: live logs and deploy progress over server-sent events.
// Everything else is htmx attributes in the HTML.
"use strict";

/**
 * Appends a line to a log view, keeping it scrolled to the end when it was.
 * `html`, when given, is the server's rendering of the line's colours (ansi_up,
 * text already escaped); else `text` goes in as text.
 */
function appendLine(pre, prefix, text, html) {
  const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
  const line = document.createElement("div");
  if (prefix) {
    const who = document.createElement("span");
    who.className = "instance";
    who.textContent = `${prefix} | `;
    line.append(who);
  }
  if (html === undefined) {
    line.append(document.createTextNode(text));
  } else {
    const body = document.createElement("span");
    body.innerHTML = html;
    line.append(body);
  }
  pre.append(line);
  while (pre.childElementCount > 2000) pre.firstElementChild.remove();
  if (atEnd) pre.scrollTop = pre.scrollHeight;
}

/** Follows a funko's logs while the "Follow" box is checked. */
function startLogs(section) {
  const pre = section.querySelector("pre.log");
  const follow = section.querySelector("input[name=follow]");
  const status = section.querySelector("[data-log-status]");
  let source;
  const open = () => {
    pre.textContent = "";
    source = new EventSource(section.dataset.logs);
    status.textContent = "following";
    source.addEventListener("line", (event) => {
      const line = JSON.parse(event.data);
      appendLine(pre, line.instance, line.text, line.html);
    });
    source.addEventListener("end", (event) => {
      status.textContent = event.data;
      source.close();
    });
    source.onerror = () => {
      status.textContent = "disconnected: retrying";
    };
  };
  const close = () => {
    source?.close();
    status.textContent = "paused";
  };
  follow.addEventListener("change", () => follow.checked ? open() : close());
  if (follow.checked) open();
}

/** Shows a deploy's progress as it happens, then refreshes the funko's card. */
function startJob(box) {
  const pre = box.querySelector("pre.log");
  const status = box.querySelector("[data-job-status]");
  const source = new EventSource(box.dataset.job);
  source.addEventListener("progress", (event) => appendLine(pre, "", JSON.parse(event.data).text));
  source.addEventListener("done", (event) => {
    const outcome = JSON.parse(event.data);
    status.textContent = outcome.message;
    status.className = `badge ${outcome.ok ? "ok" : "bad"}`;
    for (const line of outcome.details ?? []) appendLine(pre, "", line);
    source.close();
    const card = document.getElementById(box.dataset.refresh);
    if (card && globalThis.htmx) globalThis.htmx.trigger(card, "refresh");
  });
  source.onerror = () => source.close();
}

/** Starts what new content needs: `root` itself and what it holds. */
function wire(root) {
  const within = (selector) => [...(root.matches?.(selector) ? [root] : []), ...root.querySelectorAll(selector)];
  for (const section of within("[data-logs]:not([data-wired])")) {
    section.dataset.wired = "1";
    startLogs(section);
  }
  for (const box of within("[data-job]:not([data-wired])")) {
    box.dataset.wired = "1";
    startJob(box);
  }
}

document.addEventListener("DOMContentLoaded", () => wire(document));
// htmx:load fires for every element htmx puts on the page.
document.addEventListener("htmx:load", (event) => wire(event.target));
