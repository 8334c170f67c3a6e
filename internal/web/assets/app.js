// trailq web UI. Every value from the logs is put on the page with textContent or as a text node, never as
// HTML: user agents, user names and request parameters are attacker-controlled.
"use strict";

// ---- helpers ----------------------------------------------------------------------------------------------

const $ = (id) => document.getElementById(id);

// el builds an element. attrs are properties (className, title, …) or data-*/aria-* attributes; children are
// nodes or strings (always added as text).
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k.startsWith("data-") || k.startsWith("aria-")) e.setAttribute(k, v);
    else if (k === "onclick") e.addEventListener("click", v);
    else e[k] = v;
  }
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function clear(node) { node.replaceChildren(); return node; }

const SVGNS = "http://www.w3.org/2000/svg";
function svg(tag, attrs, text) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = String(text);
  return e;
}

class APIError extends Error {
  constructor(status, body) {
    super((body && body.error) || ("HTTP " + status));
    this.status = status;
    this.body = body || {};
  }
}

// api calls the JSON API. State-changing requests carry the CSRF header.
async function api(path, opts = {}) {
  const init = { method: opts.method || "GET", headers: {}, signal: opts.signal, credentials: "same-origin" };
  if (init.method !== "GET") init.headers["X-Trailq-Request"] = "1";
  if (opts.body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(opts.body);
  }
  const res = await fetch(path, init);
  showWarning(res.headers.get("Trailq-Warning"));
  if (opts.raw && res.ok) return res;
  let body = null;
  try { body = await res.json(); } catch (e) { /* not JSON */ }
  // answered counts the answers read (the browser tests wait on it: the page has had each answer by then).
  api.answered++;
  if (!res.ok) throw new APIError(res.status, body);
  return body;
}
api.answered = 0;

// showWarning shows, above every page, what the store's answers lack (the server says it on every response).
function showWarning(text) {
  const el = document.getElementById("store-warning");
  if (!el) return;
  el.textContent = text ? "Warning: " + text : "";
  el.hidden = !text;
}

const fmtInt = (n) => (n === undefined || n === null) ? "–" : Number(n).toLocaleString("en-US");

const count = (n, noun) => fmtInt(n) + " " + noun + (n === 1 ? "" : "s");

function fmtBytes(n) {
  const u = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n : n.toFixed(1)) + " " + u[i];
}

function isoDate(d) {
  const p = (n) => String(n).padStart(2, "0");
  return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate());
}

function showError(node, err) {
  if (!err) { node.hidden = true; node.textContent = ""; return; }
  node.hidden = false;
  node.textContent = err.message || String(err);
}

// ---- routing ----------------------------------------------------------------------------------------------

const PAGES = ["signins", "findings", "query", "data", "entity"];

// The hash is "#page" or "#page?key=value&…".
function route() {
  const h = location.hash.replace(/^#/, "");
  const i = h.indexOf("?");
  const page = (i < 0 ? h : h.slice(0, i)) || "signins";
  const params = new URLSearchParams(i < 0 ? "" : h.slice(i + 1));
  return { page: PAGES.includes(page) ? page : "signins", params };
}

const loaded = {};

function showPage() {
  const { page, params } = route();
  for (const p of PAGES) {
    $("page-" + p).hidden = p !== page;
    if ($("nav-" + p)) $("nav-" + p).classList.toggle("active", p === page);
  }
  // A link in the event view leads to another page: the view closes.
  if ($("event-dialog").open) $("event-dialog").close();
  if (page !== "entity") document.title = "trailq";
  if (page === "signins") Dashboard.open(params);
  if (page === "findings") Findings.open(params);
  if (page === "query") Editor.open(params);
  if (page === "data") Data.open();
  if (page === "entity") Entity.open(params);
  loaded[page] = true;
}

// ---- sign-in dashboard ------------------------------------------------------------------------------------

const Dashboard = {
  data: null,
  sort: { key: "time_utc", dir: -1 },
  page: 0,
  pageSize: 50,
  inited: false,
  seq: 0,

  init() {
    const localTZ = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
    let zones = [];
    try { zones = Intl.supportedValuesOf("timeZone"); } catch (e) { zones = []; }
    for (const z of ["UTC", localTZ]) if (!zones.includes(z)) zones.unshift(z);
    const sel = $("tz");
    for (const z of zones) sel.append(el("option", { value: z }, z));
    sel.value = localTZ;
    const today = new Date();
    $("to").value = isoDate(today);
    $("from").value = isoDate(new Date(today.getFullYear(), today.getMonth(), today.getDate() - 29));
    for (const b of document.querySelectorAll(".quick button")) {
      b.addEventListener("click", () => {
        const to = new Date($("to").value + "T00:00:00");
        const days = Number(b.dataset.days);
        $("from").value = isoDate(new Date(to.getFullYear(), to.getMonth(), to.getDate() - days + 1));
        this.submit();
      });
    }
    $("period").addEventListener("submit", (ev) => { ev.preventDefault(); this.submit(); });
    for (const k of this.flagNames) $("q-" + k).addEventListener("change", () => this.submit());
    $("f-result").addEventListener("change", () => { this.page = 0; this.renderRows(); });
    $("f-text").addEventListener("input", () => { this.page = 0; this.renderRows(); });
    this.inited = true;
  },

  filterNames: ["user", "account", "region", "ip"],
  flagNames: ["failed", "root", "no_mfa", "all"],

  // params are the period and the server-side filters (those of trailq signins).
  params() {
    const q = new URLSearchParams({ from: $("from").value, to: $("to").value, tz: $("tz").value });
    for (const k of this.filterNames) if ($("q-" + k).value.trim()) q.set(k, $("q-" + k).value.trim());
    for (const k of this.flagNames) if ($("q-" + k).checked) q.set(k, "true");
    return q;
  },

  // submit puts the form into the address; the hashchange loads it. The page is marked loading at once, so
  // nothing reads the old table as the answer to the new filters.
  submit() {
    const hash = "#signins?" + this.params().toString();
    document.body.dataset.signins = "loading";
    if (location.hash === hash) this.load();
    else location.hash = hash;
  },

  open(params) {
    if (!this.inited) this.init();
    if (params.get("from")) $("from").value = params.get("from");
    if (params.get("to")) $("to").value = params.get("to");
    if (params.get("tz")) {
      const tz = params.get("tz");
      if (![...$("tz").options].some((o) => o.value === tz)) $("tz").append(el("option", { value: tz }, tz));
      $("tz").value = tz;
    }
    for (const k of this.filterNames) $("q-" + k).value = params.get(k) || "";
    for (const k of this.flagNames) $("q-" + k).checked = params.get(k) === "true";
    this.load();
  },

  // load asks for the form's sign-ins; an answer to an older request that comes after a newer one is dropped.
  async load() {
    const seq = ++this.seq;
    document.body.dataset.signins = "loading";
    let d = null, error = null;
    try {
      d = await api("/api/signins?" + this.params().toString());
    } catch (err) {
      error = err;
    }
    if (seq !== this.seq) return;
    showError($("signins-error"), error && staleError(error, this.data));
    $("page-signins").classList.toggle("stale", !!error);
    if (d) {
      this.data = d;
      this.page = 0;
      this.render();
    }
    document.body.dataset.signins = "ready";
  },

  render() {
    const d = this.data, s = d.summary;
    $("n-signins").textContent = fmtInt(s.signins);
    $("n-failures").textContent = fmtInt(s.failures);
    $("n-root").textContent = fmtInt(s.root);
    $("n-nomfa").textContent = fmtInt(s.no_mfa);
    $("n-users").textContent = fmtInt(s.users);
    $("n-ips").textContent = fmtInt(s.ips);
    $("chart-sub").textContent = "per " + d.bucket + ", " + d.from + " to " + d.to + " (" + d.tz + ")";
    this.renderChart();
    this.renderRows();
    this.renderPrincipals();
  },

  renderChart() {
    const series = this.data.series, box = clear($("chart"));
    const W = 1000, H = 220, L = 40, B = 28, T = 10;
    const max = Math.max(1, ...series.map((b) => b.success + b.failure + b.other));
    const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "sign-ins over time" });
    const plotW = W - L - 10, plotH = H - B - T;
    const bw = plotW / Math.max(1, series.length);
    // Horizontal grid lines with counts.
    const ticks = max <= 4 ? max : 4;
    for (let i = 0; i <= ticks; i++) {
      const v = Math.round(max * i / ticks), y = T + plotH - plotH * v / max;
      root.append(svg("line", { x1: L, x2: W - 10, y1: y, y2: y, class: "axis" }));
      root.append(svg("text", { x: L - 6, y: y + 4, "text-anchor": "end" }, v));
    }
    const labelEvery = Math.ceil(series.length / 10);
    series.forEach((b, i) => {
      const x = L + i * bw;
      let y = T + plotH;
      const g = svg("g");
      for (const [k, cls] of [["success", "ok"], ["failure", "bad"], ["other", "other"]]) {
        if (!b[k]) continue;
        const h = plotH * b[k] / max;
        y -= h;
        g.append(svg("rect", { x: x + bw * 0.1, y, width: Math.max(1, bw * 0.8), height: h, class: cls }));
      }
      g.append(svg("title", {}, `${b.label}: ${b.success} successful, ${b.failure} failed` + (b.other ? `, ${b.other} other` : "")));
      // An invisible full-height target so that the tooltip works on empty bars too.
      g.prepend(svg("rect", { x, y: T, width: bw, height: plotH, fill: "transparent" }));
      root.append(g);
      if (i % labelEvery === 0) {
        root.append(svg("text", { x: x + bw / 2, y: H - 8, "text-anchor": "middle" }, b.label));
      }
    });
    box.append(root);
    box.append(el("div", { className: "legend" },
      el("span", {}, el("i", { className: "ok-bg" }), "success"),
      el("span", {}, el("i", { className: "bad-bg" }), "failure"),
      el("span", {}, el("i", { className: "other-bg" }), "no result recorded")));
  },

  // The columns of trailq signins on a terminal.
  columns: [
    ["time_utc", "Time"], ["account", "Account"], ["region", "Region"], ["event", "Event"], ["result", "Result"],
    ["principal", "Principal"], ["identity_type", "Type"], ["source_ip", "Source IP"], ["client", "Client"],
    ["mfa", "MFA"], ["failure_reason", "Failure reason"],
  ],

  filtered() {
    const res = $("f-result").value, text = $("f-text").value.trim().toLowerCase();
    let rows = this.data.rows.filter((r) => (!res || r.result === res) &&
      (!text || [r.principal, r.arn, r.source_ip, r.user_agent, r.client, r.account, r.region, r.event, r.failure_reason]
        .some((v) => (v || "").toLowerCase().includes(text))));
    const { key, dir } = this.sort;
    rows = rows.slice().sort((a, b) => {
      const x = a[key] || "", y = b[key] || "";
      return (x < y ? -1 : x > y ? 1 : 0) * dir || (a.time_utc < b.time_utc ? 1 : -1);
    });
    return rows;
  },

  renderRows() {
    if (!this.data) return;
    const table = clear($("signins-table"));
    const head = el("tr");
    for (const [key, name] of this.columns) {
      head.append(sortableHeader(key, key === "time_utc" ? name + " (" + this.data.tz + ")" : name, this.sort,
        (s) => { this.sort = s; this.renderRows(); }));
    }
    table.append(el("thead", {}, head));
    const rows = this.filtered(), per = periodOf("");
    const pages = Math.max(1, Math.ceil(rows.length / this.pageSize));
    this.page = Math.min(this.page, pages - 1);
    const body = el("tbody");
    for (const r of rows.slice(this.page * this.pageSize, (this.page + 1) * this.pageSize)) {
      const tr = el("tr", { title: "click to see the event", "data-eventid": r.event_id },
        el("td", { className: "nowrap" }, r.local),
        el("td", {}, r.account),
        el("td", {}, r.region),
        el("td", {}, r.event),
        el("td", { className: "result-" + r.result }, r.result || "—"),
        el("td", { title: r.arn, className: "wrap" }, principalLink(r.arn, r.principal, per)),
        el("td", {}, r.identity_type),
        el("td", {}, entityLink("ip", r.source_ip, per)),
        el("td", { title: r.user_agent, className: "wrap" }, r.client || r.user_agent),
        el("td", { className: "wrap" }, r.mfa + (r.mfa_type ? " (" + r.mfa_type + ")" : "")),
        el("td", { className: "wrap" }, r.failure_reason));
      tr.tabIndex = 0;
      tr.addEventListener("click", () => showEvent(r, this.data.tz));
      // preventDefault: the Enter that opens the view must not also press its close button.
      tr.addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); showEvent(r, this.data.tz); } });
      body.append(tr);
    }
    if (rows.length === 0) body.append(el("tr", {}, el("td", { colSpan: this.columns.length, className: "empty" }, "No sign-ins in this period.")));
    table.append(body);
    $("rows-sub").textContent = fmtInt(rows.length) + " of " + fmtInt(this.data.rows.length) + " sign-ins" +
      (this.data.truncated ? " (the newest " + fmtInt(this.data.rows.length) + " are listed)" : "");
    pager($("signins-pager"), this.page, pages, (p) => { this.page = p; this.renderRows(); });
    this.offerWholePeriod();
  },

  // offerWholePeriod says at the top of the page when the period holds no sign-ins, and offers the span of
  // the events the store holds, when there are some.
  async offerWholePeriod() {
    const box = $("signins-empty"), data = this.data;
    if (data.rows.length > 0) { box.hidden = true; return; }
    let d;
    try { d = await api("/api/data"); } catch (err) { return; }
    if (this.data !== data) return;
    box.hidden = false;
    clear(box).append("No sign-ins from " + data.from + " to " + data.to + ". ");
    if (!d.first || !d.last) { box.append("The store holds no events yet: see the Data page."); return; }
    const first = d.first.slice(0, 10), last = d.last.slice(0, 10);
    box.append("The store holds " + count(d.records, "event") + " from " + first + " to " + last + ". ",
      el("button", { id: "whole-period", type: "button", className: "primary", onclick: () => {
        $("from").value = first;
        $("to").value = last;
        this.submit();
      } }, "Show " + first + " to " + last));
  },

  renderPrincipals() {
    const table = clear($("principals-table"));
    const heads = ["Account", "Principal", "Type", "Sign-ins", "Failures", "Last success", "First seen", "Last seen", "IPs", "User agents", "With MFA"];
    table.append(el("thead", {}, el("tr", {}, ...heads.map((h) => el("th", {}, h)))));
    const body = el("tbody");
    for (const p of this.data.principals) {
      body.append(el("tr", {},
        el("td", {}, p.account), el("td", { className: "wrap" }, p.principal), el("td", {}, p.identity_type),
        el("td", { className: "num" }, fmtInt(p.sign_ins)), el("td", { className: "num" }, fmtInt(p.failures)),
        el("td", {}, p.last_success), el("td", {}, p.first_seen), el("td", {}, p.last_seen),
        el("td", { className: "num" }, fmtInt(p.source_ips)), el("td", { className: "num" }, fmtInt(p.user_agents)),
        el("td", {}, p.with_mfa)));
    }
    if (this.data.principals.length === 0) body.append(el("tr", {}, el("td", { colSpan: heads.length, className: "empty" }, "No sign-ins in this period.")));
    table.append(body);
  },
};

// showEvent shows the stored record of a sign-in. Records can share an event ID (AWS's examples, test fixtures)
// or have none, so the time, source IP and ARN pick it out too.
// The title gives the time in the page's zone (tz), as the row does; the links lead to the pages of the
// record's session, principal, access key, IP and role.
async function showEvent(r, tz) {
  const dlg = $("event-dialog"), seq = ++showEvent.seq;
  $("event-title").textContent = "Event " + (r.event_id || "(no event ID)") + " at " + (r.local || zoned(r.time) || r.time_utc) +
    (tz ? " (" + tz + ")" : "");
  $("event-json").textContent = "loading…";
  const links = clear($("event-links"));
  dlg.dataset.state = "loading";
  if (!dlg.open) dlg.showModal();
  const q = new URLSearchParams({ eventid: r.event_id, time: r.time_utc, ip: r.source_ip, arn: r.arn });
  try {
    const res = await api("/api/events?" + q.toString());
    if (seq !== showEvent.seq) return;
    const shown = res.events.length === 1 ? res.events[0] : res.events;
    $("event-json").textContent = (res.count > 1 ? "// " + res.count + " stored records match this row\n" : "") +
      JSON.stringify(shown, null, 2);
    links.append(...eventLinks(res.events[0], pagePeriod()));
  } catch (err) {
    if (seq !== showEvent.seq) return;
    $("event-json").textContent = err.message;
  }
  dlg.dataset.state = "ready";
}
showEvent.seq = 0;

// pagePeriod is the period of the page shown, for the links it makes.
function pagePeriod() {
  return periodOf({ signins: "", findings: "fd-", entity: "en-" }[route().page] ?? "");
}

// staleError says that what the page shows is the answer to the previous request, when there is one.
function staleError(err, old) {
  return old ? new Error(err.message + " (what is shown below answers the previous request)") : err;
}

// ---- findings ---------------------------------------------------------------------------------------------

const LEVELS = ["critical", "high", "medium", "low", "informational"];
const LEVEL_RANK = { informational: 1, low: 2, medium: 3, high: 4, critical: 5 };

// zoneOptions fills a time-zone select with the browser's zones, UTC and the browser's own first.
function zoneOptions(sel) {
  const localTZ = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  let zones = [];
  try { zones = Intl.supportedValuesOf("timeZone"); } catch (e) { zones = []; }
  for (const z of ["UTC", localTZ]) if (!zones.includes(z)) zones.unshift(z);
  for (const z of zones) sel.append(el("option", { value: z }, z));
  sel.value = localTZ;
}

// selectValue selects v in sel, adding it as an option when it is not one.
function selectValue(sel, v, label) {
  if (![...sel.options].some((o) => o.value === v)) sel.append(el("option", { value: v }, label || v));
  sel.value = v;
}

// zoned shows an RFC 3339 time of the API (in the requested zone, with its offset) for reading.
const zoned = (t) => (t || "").replace("T", " ");

const Findings = {
  data: null,
  sort: { key: "time", dir: -1 },
  page: 0,
  pageSize: 50,
  inited: false,
  seq: 0,

  init() {
    zoneOptions($("fd-tz"));
    const today = new Date();
    $("fd-to").value = isoDate(today);
    $("fd-from").value = isoDate(new Date(today.getFullYear(), today.getMonth(), today.getDate() - 29));
    $("fd-form").addEventListener("submit", (ev) => { ev.preventDefault(); this.submit(); });
    $("fd-severity").addEventListener("change", () => this.submit());
    $("fd-rule").addEventListener("change", () => this.submit());
    this.inited = true;
  },

  // params are the period and the filters of GET /api/findings.
  params() {
    const q = new URLSearchParams({ from: $("fd-from").value, to: $("fd-to").value, tz: $("fd-tz").value });
    if ($("fd-severity").value) q.set("severity", $("fd-severity").value);
    if ($("fd-rule").value) q.set("rule", $("fd-rule").value);
    return q;
  },

  // submit puts the form into the address; the hashchange loads it. The page is marked loading at once, so
  // nothing reads the old list as the answer to the new filters.
  submit() {
    const hash = "#findings?" + this.params().toString();
    document.body.dataset.findings = "loading";
    if (location.hash === hash) this.load();
    else location.hash = hash;
  },

  open(params) {
    if (!this.inited) this.init();
    if (params.get("from")) $("fd-from").value = params.get("from");
    if (params.get("to")) $("fd-to").value = params.get("to");
    if (params.get("tz")) selectValue($("fd-tz"), params.get("tz"));
    $("fd-severity").value = "";
    if (params.get("severity")) selectValue($("fd-severity"), params.get("severity"));
    $("fd-rule").value = "";
    if (params.get("rule")) selectValue($("fd-rule"), params.get("rule"));
    this.load();
  },

  // load asks for the form's findings; when the filters change again before the answer comes, the older
  // answer is dropped, so the page always shows the last request's findings.
  async load() {
    const seq = ++this.seq;
    document.body.dataset.findings = "loading";
    let d = null, error = null;
    try {
      d = await api("/api/findings?" + this.params().toString());
    } catch (err) {
      error = err;
    }
    if (seq !== this.seq) return;
    showError($("findings-error"), error && staleError(error, this.data));
    $("page-findings").classList.toggle("stale", !!error);
    if (d) {
      this.data = d;
      this.page = 0;
      this.render();
    }
    document.body.dataset.findings = "ready";
  },

  render() {
    const d = this.data;
    $("fn-total").textContent = fmtInt(d.total);
    $("fd-source").textContent = fmtInt(d.rules) + " rules over " + d.from + " to " + d.to + " (" + d.tz + "): " +
      (d.stored ? "every event of the store, read from its findings table (computed " + d.stored_at + ")" : "computed now");
    for (const c of d.by_severity) {
      const n = $("fn-" + c.level);
      if (n) n.textContent = fmtInt(c.count);
    }
    // The rule filter offers the rules with findings in the period.
    const sel = $("fd-rule"), cur = sel.value;
    clear(sel).append(el("option", { value: "" }, "any"));
    for (const r of d.by_rule) sel.append(el("option", { value: r.rule_id }, r.title + " (" + r.count + ")"));
    if (cur) selectValue(sel, cur);
    this.renderRules();
    this.renderChart();
    this.renderRows();
    $("finding-detail").hidden = true;
  },

  renderRules() {
    const table = clear($("fd-rules"));
    table.append(el("thead", {}, el("tr", {}, ...["Rule", "Severity", "Findings", "Rule ID"].map((h) => el("th", {}, h)))));
    const body = el("tbody");
    for (const r of this.data.by_rule) {
      const tr = el("tr", { title: "list this rule's findings", "data-rule": r.rule_id },
        el("td", { className: "wrap" }, r.title),
        el("td", {}, el("span", { className: "level level-" + r.level }, r.level)),
        el("td", { className: "num" }, fmtInt(r.count)),
        el("td", { className: "sub" }, r.rule_id));
      tr.addEventListener("click", () => { selectValue($("fd-rule"), r.rule_id); this.submit(); });
      body.append(tr);
    }
    if (this.data.by_rule.length === 0) body.append(el("tr", {}, el("td", { colSpan: 4, className: "empty" }, "No findings in this period.")));
    table.append(body);
  },

  // renderChart draws the listed findings per day (or month, over more than two months) of their first event,
  // stacked by severity.
  renderChart() {
    const d = this.data, box = clear($("fd-chart"));
    const from = new Date(d.from + "T00:00:00Z"), to = new Date(d.to + "T00:00:00Z");
    const monthly = (to - from) / 86400000 > 62;
    const keys = [];
    for (let t = new Date(from); t <= to;) {
      keys.push(t.toISOString().slice(0, monthly ? 7 : 10));
      if (monthly) t = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 1));
      else t = new Date(t.getTime() + 86400000);
    }
    const counts = new Map(keys.map((k) => [k, {}]));
    for (const f of d.findings) {
      const c = counts.get((f.first || "").slice(0, monthly ? 7 : 10));
      if (c) c[f.level] = (c[f.level] || 0) + 1;
    }
    $("fd-chart-sub").textContent = "per " + (monthly ? "month" : "day") + " of the first event, " + d.from + " to " + d.to + " (" + d.tz + ")";
    const W = 1000, H = 180, L = 40, B = 28, T = 10;
    const total = (c) => LEVELS.reduce((n, l) => n + (c[l] || 0), 0);
    const max = Math.max(1, ...[...counts.values()].map(total));
    const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "findings over time" });
    const plotW = W - L - 10, plotH = H - B - T, bw = plotW / Math.max(1, keys.length);
    const ticks = max <= 4 ? max : 4;
    for (let i = 0; i <= ticks; i++) {
      const v = Math.round(max * i / ticks), y = T + plotH - plotH * v / max;
      root.append(svg("line", { x1: L, x2: W - 10, y1: y, y2: y, class: "axis" }));
      root.append(svg("text", { x: L - 6, y: y + 4, "text-anchor": "end" }, v));
    }
    const labelEvery = Math.ceil(keys.length / 10);
    keys.forEach((k, i) => {
      const c = counts.get(k), x = L + i * bw, g = svg("g");
      let y = T + plotH;
      for (const l of [...LEVELS].reverse()) {
        if (!c[l]) continue;
        const h = plotH * c[l] / max;
        y -= h;
        g.append(svg("rect", { x: x + bw * 0.1, y, width: Math.max(1, bw * 0.8), height: h, class: "lv-" + l }));
      }
      g.append(svg("title", {}, k + ": " + (LEVELS.filter((l) => c[l]).map((l) => c[l] + " " + l).join(", ") || "no findings")));
      g.prepend(svg("rect", { x, y: T, width: bw, height: plotH, fill: "transparent" }));
      root.append(g);
      if (i % labelEvery === 0) root.append(svg("text", { x: x + bw / 2, y: H - 8, "text-anchor": "middle" }, k));
    });
    box.append(root);
    box.append(el("div", { className: "legend" }, ...LEVELS.map((l) => el("span", {}, el("i", { className: "lv-" + l }), l))));
  },

  columns: [
    ["time", "First"], ["last", "Last"], ["severity", "Severity"], ["title", "Rule"], ["principal", "Principal"],
    ["account", "Account"], ["region", "Region"], ["ips", "Source IPs"], ["count", "Events"], ["summary", "What happened"],
  ],

  sortValue(f, key) {
    switch (key) {
      case "time": return f.first_utc;
      case "last": return f.last_utc;
      case "severity": return LEVEL_RANK[f.level] || 0;
      case "ips": return f.source_ips.join(", ");
      case "count": return f.count;
    }
    return f[key] || "";
  },

  sorted() {
    const { key, dir } = this.sort;
    return this.data.findings.slice().sort((a, b) => {
      const x = this.sortValue(a, key), y = this.sortValue(b, key);
      return (x < y ? -1 : x > y ? 1 : 0) * dir || (a.first_utc < b.first_utc ? 1 : a.first_utc > b.first_utc ? -1 : 0);
    });
  },

  renderRows() {
    if (!this.data) return;
    const table = clear($("findings-table"));
    const head = el("tr");
    for (const [key, name] of this.columns) {
      head.append(sortableHeader(key, key === "time" ? name + " (" + this.data.tz + ")" : name, this.sort,
        (s) => { this.sort = s; this.renderRows(); }, key === "time" || key === "severity" || key === "count" ? -1 : 1));
    }
    table.append(el("thead", {}, head));
    const rows = this.sorted();
    const pages = Math.max(1, Math.ceil(rows.length / this.pageSize));
    this.page = Math.min(this.page, pages - 1);
    const body = el("tbody"), per = periodOf("fd-");
    for (const f of rows.slice(this.page * this.pageSize, (this.page + 1) * this.pageSize)) {
      const tr = el("tr", { title: "click to see the evidence events", "data-id": f.id, "data-level": f.level },
        el("td", { title: f.first_utc }, zoned(f.first)),
        el("td", { title: f.last_utc }, zoned(f.last)),
        el("td", {}, el("span", { className: "level level-" + f.level }, f.level)),
        el("td", { className: "wrap", title: f.rule_id }, f.title),
        el("td", { className: "wrap" }, f.principal),
        el("td", {}, f.account),
        el("td", { className: "wrap" }, f.region),
        el("td", { className: "wrap" }, ...f.source_ips.flatMap((ip, i) => [i ? ", " : "", entityLink("ip", ip, per)])),
        el("td", { className: "num" }, fmtInt(f.count)),
        el("td", { className: "wrap summary" }, f.summary));
      tr.tabIndex = 0;
      tr.addEventListener("click", () => this.show(f));
      tr.addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); this.show(f); } });
      body.append(tr);
    }
    if (rows.length === 0) body.append(el("tr", {}, el("td", { colSpan: this.columns.length, className: "empty" }, "No findings in this period.")));
    table.append(body);
    $("fd-rows-sub").textContent = fmtInt(this.data.count) + " listed of " + fmtInt(this.data.total) + " findings in the period";
    pager($("findings-pager"), this.page, pages, (p) => { this.page = p; this.renderRows(); });
  },

  // show shows a finding: what the rule says, links to its principal's and IPs' other events on the query page,
  // and its evidence events' JSON, each fetched by its event ID.
  async show(f) {
    const panel = $("finding-detail");
    panel.hidden = false;
    panel.dataset.id = f.id;
    $("fdd-title").textContent = f.title;
    const facts = clear($("fdd-facts"));
    const fact = (k, v) => { if (v !== "" && v !== undefined && v !== null) facts.append(el("dt", {}, k), el("dd", {}, v)); };
    fact("What happened", f.summary);
    fact("Severity", f.level);
    fact("First", zoned(f.first) + "  (" + f.first_utc + ")");
    fact("Last", zoned(f.last) + "  (" + f.last_utc + ")");
    fact("Principal", f.principal);
    fact("Account", f.account);
    fact("Region", f.region);
    const per = periodOf("fd-");
    fact("Source IPs", f.source_ips.length ? el("span", {}, ...f.source_ips.flatMap((ip, i) => [i ? ", " : "", entityLink("ip", ip, per)])) : "");
    fact("Events", fmtInt(f.count));
    fact("ATT&CK", f.techniques.join(", "));
    fact("Rule", f.rule_id + (f.rule_version ? " (version " + f.rule_version + ")" : ""));
    fact("Author", f.author);
    fact("Licence", f.license);
    fact("Rule set", f.rule_set);
    fact("Finding", f.id + ", computed " + f.computed_at);
    for (const [id, sql] of [["fdd-principal", f.principal_sql], ["fdd-ip", f.ip_sql]]) {
      const a = $(id);
      a.hidden = !sql;
      a.href = sql ? "#query?" + new URLSearchParams({ sql }).toString() : "#query";
    }
    panel.scrollIntoView({ block: "nearest" });
    await this.evidence(f);
  },

  maxEvidence: 20,

  async evidence(f) {
    document.body.dataset.evidence = "loading";
    const box = clear($("fdd-evidence"));
    const ids = [...new Set(f.event_ids)];
    $("fdd-evidence-sub").textContent = fmtInt(f.event_ids.length) + " event" + (f.event_ids.length === 1 ? "" : "s") +
      (ids.length > this.maxEvidence ? ", the first " + this.maxEvidence + " shown" : "");
    const jobs = ids.slice(0, this.maxEvidence).map(async (id) => {
      const pre = el("pre", { className: "json", tabIndex: 0 }, "loading…"), links = el("div", { className: "event-links" });
      box.append(el("div", { className: "evidence", "data-eventid": id }, el("strong", {}, "Event " + (id || "(no event ID)")), links, pre));
      if (!id) { pre.textContent = "This event has no event ID: it cannot be looked up by one."; return; }
      try {
        const res = await api("/api/events?" + new URLSearchParams({ eventid: id }).toString());
        if (res.events.length) links.append(...eventLinks(res.events[0], periodOf("fd-")));
        const shown = res.events.length === 1 ? res.events[0] : res.events;
        pre.textContent = (res.count > 1 ? "// " + res.count + " stored records have this event ID\n" : "") +
          (res.count === 0 ? "// no stored record has this event ID" : JSON.stringify(shown, null, 2));
      } catch (err) {
        pre.textContent = err.message;
      }
    });
    await Promise.all(jobs);
    if ($("finding-detail").dataset.id === f.id) document.body.dataset.evidence = "ready";
  },
};

// ---- query editor -----------------------------------------------------------------------------------------

const HISTORY_KEY = "trailq.history";
const HISTORY_MAX = 50;

const Editor = {
  inited: false,
  controller: null,
  lastSQL: "",
  seq: 0,

  async init() {
    this.inited = true;
    const sql = $("sql");
    sql.addEventListener("keydown", (ev) => {
      if ((ev.ctrlKey || ev.metaKey) && ev.key === "Enter") { ev.preventDefault(); this.run(); }
    });
    $("run").addEventListener("click", () => this.run());
    $("cancel").addEventListener("click", () => this.cancel());
    $("dl-csv").addEventListener("click", () => this.download("csv"));
    $("dl-json").addEventListener("click", () => this.download("json"));
    $("history-clear").addEventListener("click", () => { localStorage.removeItem(HISTORY_KEY); this.renderHistory(); });
    this.renderHistory();
    try {
      const presets = await api("/api/presets");
      const sel = $("preset");
      presets.forEach((p, i) => sel.append(el("option", { value: String(i) }, p.name)));
      sel.addEventListener("change", () => {
        if (sel.value !== "") { sql.value = presets[Number(sel.value)].sql; sql.focus(); }
      });
      if (!sql.value) sql.value = presets[0].sql;
    } catch (err) { /* presets are a convenience */ }
  },

  // open takes the SQL to edit from the hash (#query?sql=…, as the findings page links to it).
  open(params) {
    if (params && params.get("sql")) {
      $("sql").value = params.get("sql");
      $("dialect").value = "athena";
    }
    if (!this.inited) this.init();
  },

  setRunning(on) {
    $("cancel").disabled = !on;
    document.body.dataset.query = on ? "running" : "done";
  },

  // run runs the editor's SQL. A run started while another runs supersedes it: the older one is cancelled and
  // its answer, should it come anyway, dropped. The grid is marked stale until the answer comes.
  async run() {
    const q = $("sql").value;
    if (!q.trim()) return;
    if (this.controller) this.controller.abort();
    const seq = ++this.seq, controller = new AbortController();
    this.controller = controller;
    this.setRunning(true);
    $("result").classList.add("stale");
    $("query-status").textContent = "running…";
    showQueryError(null);
    const started = performance.now();
    try {
      const res = await api("/api/query", {
        method: "POST", signal: controller.signal,
        body: { sql: q, dialect: $("dialect").value, limit: Number($("limit").value) },
      });
      if (seq !== this.seq) return;
      this.lastSQL = q;
      renderResult(res);
      const secs = ((performance.now() - started) / 1000).toFixed(2);
      $("query-status").textContent = fmtInt(res.count) + (res.count === 1 ? " row" : " rows") +
        (res.truncated ? " (more rows not shown: download for all)" : "") + " in " + secs + " s";
      $("dl-csv").disabled = $("dl-json").disabled = false;
      addHistory({ sql: q, at: new Date().toISOString(), rows: res.count, ms: Math.round(performance.now() - started) });
    } catch (err) {
      if (seq !== this.seq) return;
      if (err.name === "AbortError") {
        $("query-status").textContent = "cancelled";
      } else {
        $("query-status").textContent = "";
        clear($("result"));
        $("dl-csv").disabled = $("dl-json").disabled = true;
        showQueryError(err, q);
        addHistory({ sql: q, at: new Date().toISOString(), error: err.message });
      }
    } finally {
      if (seq === this.seq) {
        this.controller = null;
        $("result").classList.remove("stale");
        this.setRunning(false);
      }
    }
  },

  cancel() { if (this.controller) this.controller.abort(); },

  async download(format) {
    const q = this.lastSQL || $("sql").value;
    try {
      const res = await api("/api/query", { method: "POST", raw: true, body: { sql: q, dialect: $("dialect").value, format } });
      let blob;
      try {
        blob = await res.blob();
      } catch (e) {
        // The server aborts a download whose query fails midway: never save a file that only looks whole.
        throw new Error("the download broke off before its end (the query was stopped by the server's --query-timeout, or failed midway): nothing was saved");
      }
      const url = URL.createObjectURL(blob);
      const a = el("a", { href: url, download: "trailq-result." + format });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (err) {
      showQueryError(err, q);
    }
  },

  renderHistory() {
    const list = clear($("history"));
    const items = loadHistory();
    if (items.length === 0) list.append(el("li", { className: "empty" }, "Queries you run are kept here, in this browser."));
    for (const h of items) {
      const li = el("li", { title: h.sql },
        el("code", {}, h.sql.replace(/\s+/g, " ").trim()),
        el("span", { className: "sub" }, h.error ? "error" : fmtInt(h.rows) + " rows, " + h.ms + " ms"),
        el("span", { className: "sub" }, new Date(h.at).toLocaleString()));
      li.addEventListener("click", () => { $("sql").value = h.sql; $("sql").focus(); });
      list.append(li);
    }
  },
};

function loadHistory() {
  try { return JSON.parse(localStorage.getItem(HISTORY_KEY)) || []; } catch (e) { return []; }
}

function addHistory(item) {
  const items = loadHistory().filter((h) => h.sql !== item.sql);
  items.unshift(item);
  try { localStorage.setItem(HISTORY_KEY, JSON.stringify(items.slice(0, HISTORY_MAX))); } catch (e) { /* full */ }
  Editor.renderHistory();
}

function showQueryError(err, q) {
  const box = $("query-error");
  if (!err) { box.hidden = true; return; }
  box.hidden = false;
  const b = err.body || {};
  $("query-error-msg").textContent = err.message + (b.line ? " (line " + b.line + ", column " + b.column + ")" : "");
  const where = $("query-error-where");
  where.textContent = "";
  if (b.offset !== undefined && q !== undefined) {
    const lines = q.split("\n");
    const line = lines[b.line - 1] || "";
    where.textContent = line + "\n" + " ".repeat(Math.max(0, b.column - 1)) + "^";
    const ta = $("sql");
    ta.focus();
    ta.setSelectionRange(b.offset, Math.min(q.length, b.offset + 1));
  }
}

// renderCell shows one grid value: nested values as indented JSON, NULL marked.
function renderCell(v, col) {
  if (v === null || v === undefined) return el("td", { className: "null" }, "NULL");
  if (col.nested || typeof v === "object") {
    const pre = el("pre", { className: "nested", title: "click to expand" }, JSON.stringify(v, null, 2));
    pre.addEventListener("click", () => pre.classList.toggle("open"));
    return el("td", {}, pre);
  }
  if (typeof v === "number") return el("td", { className: "num" }, String(v));
  if (typeof v === "string" && v.length <= 40) return el("td", { className: "nowrap" }, v);
  if (typeof v === "string" && v.length > 1 && (v[0] === "{" || v[0] === "[")) {
    // JSON text (requestparameters, responseelements, …): indent it when it parses.
    try {
      const parsed = JSON.parse(v);
      const pre = el("pre", { className: "nested", title: "click to expand" }, JSON.stringify(parsed, null, 2));
      pre.addEventListener("click", () => pre.classList.toggle("open"));
      return el("td", {}, pre);
    } catch (e) { /* plain text */ }
  }
  return el("td", {}, String(v));
}

// renderResult draws the grid; a text value of a column that names a principal, IP, access key, role or event
// ID (by the column's name: arn, sourceipaddress, accesskeyid, eventid, …) links to its page.
function renderResult(res) {
  const table = clear($("result"));
  table.append(el("thead", {}, el("tr", {}, ...res.columns.map((c) => el("th", { title: c.type, scope: "col" }, c.name)))));
  const kinds = res.columns.map((c) => c.nested ? "" : linkKind(c.name));
  const body = el("tbody");
  for (const row of res.rows) {
    body.append(el("tr", {}, ...row.map((v, i) => kinds[i] && typeof v === "string" && v ?
      el("td", { className: "nowrap" }, entityLink(kinds[i], v, null)) : renderCell(v, res.columns[i]))));
  }
  table.append(body);
}

// ---- data page --------------------------------------------------------------------------------------------

const Data = {
  timer: null,
  inited: false,
  seq: 0,
  shown: false,

  init() {
    this.inited = true;
    $("load").addEventListener("click", () => this.startLoad());
  },

  open() {
    if (!this.inited) this.init();
    this.refresh();
    this.poll();
  },

  async refresh() {
    const seq = ++this.seq;
    document.body.dataset.data = "loading";
    let d = null, error = null;
    try {
      d = await api("/api/data");
    } catch (err) {
      error = err;
    }
    if (seq !== this.seq) return;
    showError($("data-error"), error && staleError(error, this.shown));
    $("page-data").classList.toggle("stale", !!error);
    if (d) {
      this.render(d);
      this.shown = true;
    }
    document.body.dataset.data = "ready";
  },

  render(d) {
    $("d-records").textContent = fmtInt(d.records);
    $("d-objects").textContent = fmtInt(d.objects);
    $("d-bytes").textContent = fmtBytes(d.bytes);
    $("d-broken").textContent = fmtInt(d.broken.length) + (d.broken_truncated ? "+" : "");
    $("d-source").textContent = d.source || "(none: serving a store only)";
    $("d-store").textContent = d.store;
    $("d-span").textContent = d.first ? d.first + " to " + d.last : "no events";
    $("d-lastload").textContent = d.last_load ? new Date(d.last_load).toLocaleString() + " (" + d.last_load + ")" : "never";
    $("d-outcomes").textContent = Object.entries(d.outcomes).sort().map(([k, v]) => k + " " + fmtInt(v)).join(" · ") || "none";
    $("d-following").textContent = d.following ? followText(d.following, 0) +
      (d.following.next_full ? "; next whole listing " + new Date(d.following.next_full).toLocaleTimeString() : "") +
      "; " + fmtInt(d.following.loaded) + " objects loaded since the server started" :
      "no (trailq serve --follow loads new logs as CloudTrail delivers them)";
    $("load").disabled = !d.can_load;
    if (!d.can_load) $("load-status").textContent = "no source to load from";

    const cov = clear($("coverage"));
    cov.append(el("thead", {}, el("tr", {}, ...["Account", "Region", "First event", "Last event", "Records"].map((h) => el("th", {}, h)))));
    const body = el("tbody");
    for (const c of d.coverage) {
      body.append(el("tr", {}, el("td", {}, c.account), el("td", {}, c.region), el("td", {}, c.first),
        el("td", {}, c.last), el("td", { className: "num" }, fmtInt(c.records))));
    }
    cov.append(body);

    const broken = clear($("broken"));
    if (d.broken.length === 0) broken.append(el("p", { className: "empty" }, "Every file loaded cleanly."));
    for (const f of d.broken) {
      const details = el("ul");
      for (const p of f.details.slice(0, 5)) {
        details.append(el("li", {}, "record " + p.record + (p.field ? ", " + p.field : "") + ": " + p.message + (p.skipped ? " (record skipped)" : "")));
      }
      if (f.problems > 5) details.append(el("li", {}, "… " + fmtInt(f.problems - 5) + " more"));
      broken.append(el("div", { className: "broken-file" },
        el("span", { className: "tag " + f.outcome }, f.outcome), el("code", {}, f.key),
        el("div", { className: "sub" }, (f.detail ? f.detail + " · " : "") + fmtInt(f.records) + " records loaded"),
        f.details.length ? details : null));
    }
  },

  async startLoad() {
    try {
      await api("/api/load", { method: "POST" });
    } catch (err) {
      if (err.status !== 409) { $("load-status").textContent = err.message; return; }
    }
    this.poll();
  },

  async poll() {
    clearTimeout(this.timer);
    let st;
    try { st = await api("/api/load"); } catch (err) { return; }
    const bar = $("load-progress");
    $("busy").hidden = !st.running;
    $("load").disabled = st.running || !st.available;
    if (st.running) {
      bar.hidden = false;
      if (st.total > 0) { bar.max = st.total; bar.value = st.done; } else { bar.removeAttribute("value"); }
      $("load-status").textContent = "loading: " + fmtInt(st.done) + (st.total ? " of " + fmtInt(st.total) : "") +
        " objects, " + fmtBytes(st.bytes) + ", " + fmtInt(st.records) + " records";
      this.timer = setTimeout(() => this.poll(), 500);
      this.wasRunning = true;
      return;
    }
    bar.hidden = true;
    if (st.error) {
      $("load-status").textContent = "the last load failed: " + st.error;
    } else if (st.report) {
      const r = st.report;
      $("load-status").textContent = "last load: " + count(r.loaded, "new object") + ", " + count(r.inserted, "record") +
        " added, " + fmtInt(r.unchanged) + " unchanged" + (r.duplicates ? ", " + count(r.duplicates, "duplicate") + " not stored again" : "") +
        (r.problems ? ", " + count(r.problems, "file") + " with problems" : "") +
        " (" + (st.elapsed_ms / 1000).toFixed(1) + " s)";
    }
    if (this.wasRunning) {
      this.wasRunning = false;
      this.refresh();
    }
  },
};

// ---- following (trailq serve --follow) ----------------------------------------------------------------------

// ago says how long n seconds are, roughly.
function ago(n) {
  if (n < 60) return Math.max(0, Math.round(n)) + " s";
  if (n < 3600) return Math.round(n / 60) + " min";
  return Math.round(n / 3600) + " h";
}

// followText is the follower's line: "following: last poll 12 s ago, 3 new objects"; extra seconds have passed
// since the status was read.
function followText(f, extra) {
  if (!f.last_poll) return "following: first poll…";
  let s = "following: last poll " + ago(f.last_poll_ago_s + extra) + " ago, " + count(f.last_new, "new object");
  if (f.failures) s += "; failing (" + count(f.failures, "poll") + " in a row): " + f.last_error;
  return s;
}

// Follow shows the follower's line in the header (read every 5 s, its age counted every second) and reads
// the page's numbers again after a poll that changed the events.
const Follow = {
  status: null,
  readAt: 0,
  changes: null,

  async tick() {
    clearTimeout(this.timer);
    let st = null;
    try { st = await api("/api/load"); } catch (err) { /* the next tick tries again */ }
    if (st && !st.following) { $("following").hidden = true; return; } // not following
    if (st) {
      const f = st.following;
      if (this.changes !== null && f.changes !== this.changes) refreshPage();
      this.changes = f.changes;
      this.status = f;
      this.readAt = Date.now();
      if (!this.clock) this.clock = setInterval(() => this.show(), 1000);
      this.show();
    }
    this.timer = setTimeout(() => this.tick(), 5000);
  },

  show() {
    const f = this.status, line = $("following");
    if (!f) return;
    line.hidden = false;
    line.textContent = followText(f, (Date.now() - this.readAt) / 1000);
    line.classList.toggle("failing", f.failures > 0);
  },
};

// refreshPage reads the numbers of the page shown again (not the query page: it runs the user's SQL).
function refreshPage() {
  const { page } = route();
  if (page === "data") Data.refresh();
  if (page === "findings" && loaded.findings) Findings.load();
  if (page === "signins" && loaded.signins) Dashboard.load();
}

// ---- start ------------------------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  // The access token came in the URL; the server has set it as a cookie, so take it out of the address bar
  // (and of the history and bookmarks).
  if (new URLSearchParams(location.search).has("token")) {
    history.replaceState(null, "", location.pathname + location.hash);
  }
  $("event-close").addEventListener("click", () => $("event-dialog").close());
  window.addEventListener("hashchange", showPage);
  showPage();
  Follow.tick();
});
