// The chat history page: plain JavaScript over the JSON API, no build step.
// Routes: "/" the thread list, "/thread/{id}" one thread. The user is kept
// in localStorage ("?user=NAME" in the URL sets it) and sent as X-User, or
// as a bearer token when the server runs with tokens (/auth/config).
"use strict";

const PAGE = 10;
const $ = (id) => document.getElementById(id);
let authMode = "header";

function who() { return localStorage.getItem("chat-user") || ""; }

function status(msg) { $("status").textContent = msg || ""; }

class APIError extends Error {
  constructor(status, detail) { super(detail); this.status = status; }
}

async function api(method, path, body) {
  const headers = { "Accept": "application/json" };
  if (authMode === "token") headers["Authorization"] = "Bearer " + who();
  else headers["X-User"] = who();
  const init = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  if (!res.ok) {
    let detail = res.statusText;
    try { detail = (await res.json()).detail || detail; } catch (e) { /* not JSON */ }
    throw new APIError(res.status, detail);
  }
  return res;
}

async function apiJSON(method, path, body) { return (await api(method, path, body)).json(); }

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}

function when(ts) {
  if (!ts) return "";
  const d = new Date(ts);
  return isNaN(d) ? "" : d.toLocaleString();
}

// ---- the list ----

const list = { cursors: [""], index: 0, search: "", feedback: "" };

async function showList() {
  $("list-view").hidden = false;
  const body = {
    pagination: { first: PAGE, cursor: list.cursors[list.index] || null },
    filter: { search: list.search || null, feedback: list.feedback === "" ? null : Number(list.feedback) },
  };
  let page;
  try {
    page = await apiJSON("POST", "/project/threads", body);
  } catch (e) {
    status("Could not list threads: " + e.message);
    return;
  }
  const ul = $("threads");
  ul.replaceChildren();
  for (const t of page.data) {
    ul.append(el("li", { "data-id": t.id },
      el("a", { href: "/thread/" + t.id, class: "thread-link" },
        el("span", { class: "name" }, t.name || "(untitled)"),
        el("span", { class: "when" }, when(t.createdAt)))));
  }
  if (page.data.length === 0) ul.append(el("li", { class: "empty" }, list.search ? "No thread matches." : "No threads yet."));
  list.cursors[list.index + 1] = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : undefined;
  $("prev").disabled = list.index === 0;
  $("next").disabled = !page.pageInfo.hasNextPage;
  $("pageno").textContent = "page " + (list.index + 1);
  document.body.dataset.ready = "list";
}

// ---- a thread ----

let thread = null;

async function showThread(id) {
  let t;
  try {
    t = await apiJSON("GET", "/project/thread/" + encodeURIComponent(id));
  } catch (e) {
    if (e.status === 404 || e.status === 400) {
      $("missing-view").hidden = false;
      document.body.dataset.ready = "missing";
    } else {
      status("Could not load the thread: " + e.message);
    }
    return;
  }
  thread = t;
  $("thread-view").hidden = false;
  renderThread();
  document.body.dataset.ready = "thread";
}

function renderThread() {
  const t = thread;
  $("thread-name").textContent = t.name || "(untitled)";
  document.title = (t.name || "Thread") + " · Strata chat history";
  const tags = (t.tags || []).length ? " · tags: " + t.tags.join(", ") : "";
  $("thread-meta").textContent = "created " + when(t.createdAt) + " by " + t.userIdentifier + tags;

  const byParent = new Map();
  for (const s of t.steps || []) {
    const k = s.parentId || "";
    if (!byParent.has(k)) byParent.set(k, []);
    byParent.get(k).push(s);
  }
  const ids = new Set((t.steps || []).map((s) => s.id));
  const roots = (t.steps || []).filter((s) => !s.parentId || !ids.has(s.parentId));
  const render = (steps) => steps.map((s) => {
    const li = el("li", { class: "step" + (s.isError ? " error" : ""), "data-id": s.id },
      el("div", { class: "head" }, el("span", { class: "name" }, s.name || s.type), el("span", {}, s.type), el("span", {}, when(s.createdAt))),
      s.input ? el("pre", { class: "input" }, s.input) : null,
      s.output ? el("pre", { class: "output" }, s.output) : null,
      feedbackBar(s));
    const kids = byParent.get(s.id);
    if (kids) li.append(el("ol", { class: "children" }, ...render(kids)));
    return li;
  });
  $("steps").replaceChildren(...render(roots));
  if (!roots.length) $("steps").append(el("li", { class: "empty" }, "No steps."));

  $("elements").replaceChildren(...(t.elements || []).map((e) => {
    const li = el("li", { "data-id": e.id }, e.name + " (" + (e.mime || e.type) + ", " + e.size + " bytes) ");
    if (e.blobURL) showBlob(e, li);
    else if (e.size > 0) li.append(el("button", { type: "button", onclick: () => openElement(e, li) }, "Open"));
    else if (e.url && /^https?:\/\//.test(e.url)) li.append(el("a", { href: e.url, rel: "noopener noreferrer" }, "link"));
    return li;
  }));
  if (!(t.elements || []).length) $("elements").append(el("li", { class: "empty" }, "No elements."));
}

function feedbackBar(s) {
  const f = s.feedback;
  const set = (value) => async () => {
    try {
      const r = await apiJSON("PUT", "/feedback", { feedback: { forId: s.id, threadId: thread.id, value, comment: null } });
      s.feedback = { id: r.feedbackId, forId: s.id, threadId: thread.id, value, comment: null };
      renderThread();
    } catch (e) { status("Feedback failed: " + e.message); }
  };
  const clear = async () => {
    try {
      await api("DELETE", "/feedback", { feedbackId: f.id, threadId: thread.id });
      s.feedback = null;
      renderThread();
    } catch (e) { status("Could not remove the feedback: " + e.message); }
  };
  return el("div", { class: "fb" },
    el("button", { type: "button", class: "up" + (f && f.value === 1 ? " on" : ""), title: "Good answer", onclick: set(1) }, "+1 good"),
    el("button", { type: "button", class: "down" + (f && f.value === 0 ? " on" : ""), title: "Bad answer", onclick: set(0) }, "-1 bad"),
    f ? el("button", { type: "button", class: "clear", onclick: clear }, "clear") : null);
}

async function openElement(e, li) {
  try {
    const res = await api("GET", "/project/thread/" + thread.id + "/element/" + e.id + "/content");
    e.blobURL = URL.createObjectURL(await res.blob());
    li.querySelector("button")?.remove();
    showBlob(e, li);
  } catch (err) { status("Could not open " + e.name + ": " + err.message); }
}

function showBlob(e, li) {
  if ((e.mime || "").startsWith("image/")) li.append(el("img", { src: e.blobURL, alt: e.name }));
  else li.append(el("a", { href: e.blobURL, download: e.name }, "download"));
}

async function rename(ev) {
  ev.preventDefault();
  const name = $("rename-input").value;
  try {
    const r = await apiJSON("PUT", "/project/thread", { threadId: thread.id, name });
    thread.name = r.thread ? r.thread.name : name;
    $("rename-form").hidden = true;
    status("");
    renderThread();
  } catch (e) { status("Rename failed: " + e.message); }
}

async function del() {
  try {
    await api("DELETE", "/project/thread", { threadId: thread.id });
  } catch (e) {
    if (e.status !== 404) { status("Delete failed: " + e.message); return; }
  }
  location.assign("/");
}

// ---- start ----

async function start() {
  const params = new URLSearchParams(location.search);
  if (params.get("user")) localStorage.setItem("chat-user", params.get("user"));
  $("who").value = who();
  $("login").addEventListener("submit", (ev) => {
    ev.preventDefault();
    localStorage.setItem("chat-user", $("who").value.trim());
    location.assign("/");
  });
  try {
    authMode = (await (await fetch("/auth/config")).json()).mode || "header";
  } catch (e) { /* keep the header */ }
  if (authMode === "token") $("who").type = "password";

  $("search").addEventListener("submit", (ev) => {
    ev.preventDefault();
    Object.assign(list, { cursors: [""], index: 0, search: $("q").value, feedback: $("feedback").value });
    showList();
  });
  $("prev").addEventListener("click", () => { if (list.index > 0) { list.index--; showList(); } });
  $("next").addEventListener("click", () => { if (list.cursors[list.index + 1]) { list.index++; showList(); } });
  $("rename").addEventListener("click", () => {
    $("rename-input").value = thread.name;
    $("rename-form").hidden = false;
    $("rename-input").focus();
  });
  $("rename-cancel").addEventListener("click", () => { $("rename-form").hidden = true; });
  $("rename-form").addEventListener("submit", rename);
  $("delete").addEventListener("click", () => { $("delete-confirm").hidden = false; });
  $("delete-no").addEventListener("click", () => { $("delete-confirm").hidden = true; });
  $("delete-yes").addEventListener("click", del);

  if (!who()) {
    status("Sign in with a user identifier to see its threads.");
    document.body.dataset.ready = "login";
    return;
  }
  const m = location.pathname.match(/^\/thread\/([^/]+)$/);
  if (m) await showThread(decodeURIComponent(m[1]));
  else await showList();
}

start();
