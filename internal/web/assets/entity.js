// trailq web UI: the entity pages (a principal, access key, session, IP, role or resource: GET /api/trace) and
// the links to them from every page. Loaded after app.js, whose helpers (el, api, …) it uses. Every value from
// the logs goes on the page as text.
"use strict";

const ENTITY_KINDS = {
  session: "Session", "access-key": "Access key", principal: "Principal", ip: "IP address", role: "Role", resource: "Resource",
};

// entityHref is the address of an entity's page; period holds from, to and tz when the link keeps a period.
function entityHref(kind, id, period) {
  const q = new URLSearchParams({ kind, id });
  for (const k of ["from", "to", "tz"]) if (period && period[k]) q.set(k, period[k]);
  return "#entity?" + q.toString();
}

// entityLink is a link to an entity's page showing text (id by default). A click on it does not also count as
// a click on the row it is in.
function entityLink(kind, id, period, text) {
  if (!id) return document.createTextNode(text || "");
  const a = el("a", { href: entityHref(kind, id, period), className: "entity", title: ENTITY_KINDS[kind] + " " + id, "data-kind": kind }, text || id);
  a.addEventListener("click", (ev) => ev.stopPropagation());
  a.addEventListener("keydown", (ev) => ev.stopPropagation());
  return a;
}

// principalLink links a principal by its ARN when it has one (shown as text), else by the name itself.
function principalLink(arn, text, period) {
  if (arn) return entityLink("principal", arn, period, text || arn);
  return document.createTextNode(text || "");
}

// linkKind says which entity a column of the query grid names, by its name, or "".
function linkKind(column) {
  const c = column.toLowerCase().replace(/^.*\./, "");
  if (["eventid", "event_id"].includes(c)) return "session";
  if (["sourceipaddress", "source_ip", "sourceip", "ip"].includes(c)) return "ip";
  if (["accesskeyid", "access_key", "accesskey"].includes(c)) return "access-key";
  if (["arn", "principal_arn", "useridentity_arn", "user_arn"].includes(c)) return "principal";
  if (["role_arn", "rolearn", "sessionissuer_arn"].includes(c)) return "role";
  return "";
}

// periodOf reads the period fields of a page (ids like "from", "fd-from", "en-from").
function periodOf(prefix) {
  const v = (k) => { const n = $(prefix + k); return n ? n.value : ""; };
  return { from: v("from"), to: v("to"), tz: v("tz") };
}

// eventLinks are the links of one stored record: its session, principal, access key, source IP and role.
function eventLinks(rec, period) {
  const id = rec.useridentity || {};
  const issuer = ((id.sessioncontext || {}).sessionissuer) || {};
  const out = [];
  const add = (label, node) => out.push(el("span", { className: "link-item" }, label + " ", node));
  if (rec.eventid) add("Session:", entityLink("session", rec.eventid, period, "trace this event's session"));
  if (id.arn) add("Principal:", entityLink("principal", id.arn, period));
  if (id.accesskeyid) add("Access key:", entityLink("access-key", id.accesskeyid, period));
  if (rec.sourceipaddress) add("IP:", entityLink("ip", rec.sourceipaddress, period));
  if (issuer.type === "Role" && issuer.arn) add("Role:", entityLink("role", issuer.arn, period));
  return out;
}

// niceScale is the axis of a chart whose highest bar is top: a step of 1, 2, 2.5 or 5 times a power of ten
// (a whole number: these are counts) that gives at most 5 intervals, and the axis's end, a multiple of it
// (0, 25, 50, 75, 100; not 0, 25, 49, 74, 98).
function niceScale(top) {
  const raw = top / 4, pow = Math.pow(10, Math.floor(Math.log10(raw)));
  let step = [1, 2, 2.5, 5, 10].map((m) => m * pow).find((s) => s >= raw && Number.isInteger(s));
  if (step < 1) step = 1;
  return { step, max: Math.ceil(top / step) * step };
}

// ---- entity page ------------------------------------------------------------------------------------------

const Entity = {
  data: null,
  inited: false,
  seq: 0,
  sort: { key: "time_utc", dir: 1 },
  page: 0,
  pageSize: 100,
  kind: "",
  id: "",

  init() {
    zoneOptions($("en-tz"));
    const today = new Date();
    $("en-to").value = isoDate(today);
    $("en-from").value = isoDate(new Date(today.getFullYear(), today.getMonth(), today.getDate() - 29));
    $("en-form").addEventListener("submit", (ev) => { ev.preventDefault(); this.submit(); });
    $("en-f-text").addEventListener("input", () => { this.page = 0; this.renderEvents(); });
    this.inited = true;
  },

  params() {
    return new URLSearchParams({ kind: this.kind, id: this.id, from: $("en-from").value, to: $("en-to").value, tz: $("en-tz").value });
  },

  submit() {
    const hash = "#entity?" + this.params().toString();
    document.body.dataset.entity = "loading";
    if (location.hash === hash) this.load();
    else location.hash = hash;
  },

  open(params) {
    if (!this.inited) this.init();
    this.kind = params.get("kind") || "principal";
    this.id = params.get("id") || "";
    if (params.get("from")) $("en-from").value = params.get("from");
    if (params.get("to")) $("en-to").value = params.get("to");
    if (params.get("tz")) selectValue($("en-tz"), params.get("tz"));
    $("en-kind").textContent = ENTITY_KINDS[this.kind] || this.kind;
    $("en-id").textContent = this.id;
    document.title = (ENTITY_KINDS[this.kind] || this.kind) + " " + this.id + " · trailq";
    this.load();
  },

  // load asks for the trace; an answer to an older request that comes after a newer one is dropped. Until the
  // new answer comes, the old one is marked stale; after an error, it is cleared.
  async load() {
    const seq = ++this.seq;
    document.body.dataset.entity = "loading";
    $("page-entity").classList.add("stale");
    let d = null, error = null;
    try {
      d = await api("/api/trace?" + this.params().toString());
    } catch (err) {
      error = err;
    }
    if (seq !== this.seq) return;
    showError($("entity-error"), error);
    this.suggest(error);
    this.data = d;
    $("entity-body").hidden = !d;
    if (d) {
      this.page = 0;
      this.render();
    }
    $("page-entity").classList.remove("stale");
    document.body.dataset.entity = error ? "error" : "ready";
  },

  // suggest lists, after a 404, what the store holds near the start: each a link to its page.
  suggest(err) {
    const box = clear($("entity-suggest"));
    box.hidden = true;
    if (!err || err.status !== 404) return;
    const b = err.body || {};
    const items = [];
    if (b.outside) {
      const q = new URLSearchParams(b.outside.href.replace(/^[^?]*\?/, ""));
      items.push(el("li", {}, el("a", { href: entityHref(this.kind, this.id, { from: q.get("from"), to: q.get("to"), tz: q.get("tz") }), id: "entity-outside" },
        "the period that holds its " + count(b.outside.events, "event")), " (" + b.outside.first + " to " + b.outside.last + ")"));
    }
    for (const s of b.suggestions || []) {
      const q = new URLSearchParams(s.href.replace(/^[^?]*\?/, ""));
      const a = el("a", { href: entityHref(s.kind, s.id, { from: q.get("from"), to: q.get("to"), tz: q.get("tz") }), className: "suggestion" }, s.id);
      items.push(el("li", {}, (ENTITY_KINDS[s.kind] || s.kind) + " ", a, s.events ? " (" + count(s.events, "event") + ", " + s.first + " to " + s.last + ")" : ""));
    }
    if (b.store) items.push(el("li", {}, "Nothing near it is stored; the store holds " + count(b.store.events, "event") + " from " + b.store.first + " to " + b.store.last + "."));
    if (items.length === 0) return;
    box.hidden = false;
    box.append(el("p", {}, "Try:"), el("ul", {}, ...items));
  },

  period() { return periodOf("en-"); },

  render() {
    const d = this.data, p = d.profile;
    const set = (id, v) => { $(id).textContent = v; };
    set("en-n-events", fmtInt(d.count));
    set("en-n-denied", fmtInt(p.denied));
    set("en-n-failed", fmtInt(p.failed));
    set("en-n-write", fmtInt(p.write));
    set("en-n-read", fmtInt(p.read));
    set("en-n-sessions", fmtInt(this.sessionCount(d.sessions)));
    set("en-span", p.first_seen ? zoned(p.first_seen) + " to " + zoned(p.last_seen) + " (" + d.tz + ")" : "no events");
    this.renderTree();
    this.renderChart();
    this.renderProfile();
    this.renderSignIns();
    this.renderEvents();
    const notes = clear($("en-notes"));
    for (const n of d.notes) notes.append(el("li", {}, n));
  },

  sessionCount(s) { return (s.kind === "console" || s.kind === "key" ? 1 : 0) + s.children.reduce((n, c) => n + this.sessionCount(c), 0); },

  // renderTree draws the sessions as nested lists: each with what it is, who, the key, the call that opened
  // it, and its counts; the principals, keys and openers link to their pages.
  renderTree() {
    const per = this.period();
    const node = (s) => {
      const what = { console: "console session", key: "access key session", "identity-center": "IAM Identity Center sign-in" }[s.kind] || s.kind;
      const line = el("div", { className: "session-line", "data-session": s.id },
        el("strong", {}, s.id), " ", what, s.label ? " " : "", s.label || "");
      const facts = [];
      if (s.arn) facts.push(["principal", principalLink(s.arn, s.arn, per)]);
      if (s.access_key) facts.push(["key", entityLink("access-key", s.access_key, per)]);
      if (s.role_arn) facts.push(["role", entityLink("role", s.role_arn, per)]);
      if (s.session_name) facts.push(["session name", s.session_name]);
      if (s.source_identity) facts.push(["source identity", s.source_identity]);
      if (s.created) facts.push(["created", zoned(s.created)]);
      if (s.opened_by) {
        facts.push(["opened by", entityLink("session", s.opened_by.event_id, per, s.opened_by.event + " " + s.opened_by.event_id)]);
        if (s.opened_by.access_key) facts.push(["with", entityLink("access-key", s.opened_by.access_key, per)]);
      }
      if (s.keys.length && !(s.keys.length === 1 && s.keys[0] === s.access_key)) {
        facts.push(["keys", el("span", {}, ...s.keys.flatMap((k, i) => [i ? ", " : "", entityLink("access-key", k, per)]))]);
      }
      facts.push(["calls", fmtInt(s.calls) + (s.denied ? " (" + fmtInt(s.denied) + " denied)" : "")]);
      if (s.first_seen) facts.push(["from", zoned(s.first_seen) + " to " + zoned(s.last_seen)]);
      if (s.not_followed) facts.push(["not followed", count(s.not_followed, "session") + " at the depth limit"]);
      const dl = el("div", { className: "session-facts" }, ...facts.map(([k, v]) => el("span", {}, el("span", { className: "sub" }, k + " "), v)));
      const li = el("li", {}, line, dl);
      if (s.children.length) li.append(el("ul", {}, ...s.children.map(node)));
      return li;
    };
    clear($("en-tree")).append(node(this.data.sessions));
  },

  // renderChart draws the events per bucket, stacked by result: worked, denied, other error.
  renderChart() {
    const d = this.data, series = d.series, box = clear($("en-chart"));
    $("en-chart-sub").textContent = "per " + d.bucket + ", " + d.from + " to " + d.to + " (" + d.tz + ")";
    const W = 1000, H = 200, L = 48, B = 28, T = 10;
    const { step, max } = niceScale(Math.max(1, ...series.map((b) => b.ok + b.denied + b.failed)));
    const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "events over time by result" });
    const plotW = W - L - 10, plotH = H - B - T, bw = plotW / Math.max(1, series.length);
    for (let v = 0; v <= max; v += step) {
      const y = T + plotH - plotH * v / max;
      root.append(svg("line", { x1: L, x2: W - 10, y1: y, y2: y, class: "axis" }));
      root.append(svg("text", { x: L - 6, y: y + 4, "text-anchor": "end" }, v));
    }
    const labelEvery = Math.ceil(series.length / 10);
    series.forEach((b, i) => {
      const x = L + i * bw, g = svg("g", { "data-start": b.start });
      let y = T + plotH;
      for (const [k, cls] of [["ok", "ok"], ["failed", "other"], ["denied", "bad"]]) {
        if (!b[k]) continue;
        const h = plotH * b[k] / max;
        y -= h;
        g.append(svg("rect", { x: x + bw * 0.1, y, width: Math.max(1, bw * 0.8), height: h, class: cls, "data-n": b[k] }));
      }
      g.append(svg("title", {}, `${b.label}: ${b.ok} worked, ${b.denied} denied, ${b.failed} other errors`));
      g.prepend(svg("rect", { x, y: T, width: bw, height: plotH, fill: "transparent" }));
      root.append(g);
      if (i % labelEvery === 0) root.append(svg("text", { x: x + bw / 2, y: H - 8, "text-anchor": "middle" }, b.label));
    });
    box.append(root, el("div", { className: "legend" },
      el("span", {}, el("i", { className: "ok-bg" }), "worked"),
      el("span", {}, el("i", { className: "bad-bg" }), "denied"),
      el("span", {}, el("i", { className: "other-bg" }), "other error")));
  },

  facetNames: [
    ["arn", "Principals", "principal"], ["access_key", "Access keys", "access-key"], ["source_ip", "Source IPs", "ip"],
    ["account", "Accounts"], ["region", "Regions"], ["service", "Services"], ["event", "Events"],
    ["user_agent", "User agents"], ["denied", "Denied calls"],
  ],

  // renderProfile shows each list of the profile (the first 10 values, with counts); principals, keys and
  // addresses link to their pages.
  renderProfile() {
    const box = clear($("en-profile")), per = this.period();
    for (const [name, title, kind] of this.facetNames) {
      const list = this.data.profile.facets[name] || [];
      if (list.length === 0) continue;
      const table = el("table", { className: "grid facet", "data-facet": name, "aria-label": title },
        el("thead", {}, el("tr", {}, el("th", { scope: "col" }, title + " (" + list.length + ")"), el("th", { scope: "col", className: "num" }, "events"))));
      const body = el("tbody");
      for (const c of list.slice(0, 10)) {
        body.append(el("tr", { title: "first " + zoned(c.first_seen) + ", last " + zoned(c.last_seen) },
          el("td", { className: "wrap" }, kind ? entityLink(kind, c.value, per) : c.value), el("td", { className: "num" }, fmtInt(c.count))));
      }
      table.append(body);
      box.append(el("div", { className: "facet-box" }, table));
    }
  },

  renderSignIns() {
    const rows = this.data.sign_ins, per = this.period();
    $("en-signins-panel").hidden = rows.length === 0;
    const table = clear($("en-signins"));
    table.append(el("thead", {}, el("tr", {}, ...["Time (" + this.data.tz + ")", "Event", "Result", "Principal", "Source IP", "MFA", "User agent"].map((h) => el("th", { scope: "col" }, h)))));
    const body = el("tbody");
    for (const r of rows) body.append(this.eventRow(r, [
      el("td", { className: "nowrap" }, r.local), el("td", {}, r.event), el("td", {}, r.result),
      el("td", { className: "wrap" }, principalLink(r.arn, r.principal, per)), el("td", {}, entityLink("ip", r.source_ip, per)),
      el("td", {}, r.mfa), el("td", { className: "wrap" }, r.user_agent)]));
    table.append(body);
  },

  // eventRow is a row that opens the event's record (click, or Enter when focused).
  eventRow(r, cells) {
    const tr = el("tr", { title: "click to see the event", "data-eventid": r.event_id }, ...cells);
    tr.tabIndex = 0;
    tr.addEventListener("click", () => showEvent(r, this.data.tz));
    tr.addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); showEvent(r, this.data.tz); } });
    return tr;
  },

  columns: [
    ["time_utc", "Time"], ["session", "Session"], ["account", "Account"], ["region", "Region"], ["service", "Service"],
    ["event", "Event"], ["result", "Result"], ["principal", "Principal"], ["source_ip", "Source IP"],
    ["access_key", "Access key"], ["resources", "Resources"], ["user_agent", "User agent"],
  ],

  filtered() {
    const text = $("en-f-text").value.trim().toLowerCase();
    let rows = this.data.events.filter((r) => !text || [r.event, r.service, r.result, r.principal, r.arn, r.source_ip,
      r.access_key, r.account, r.region, r.user_agent, r.resources.join(" "), r.event_id].some((v) => (v || "").toLowerCase().includes(text)));
    const { key, dir } = this.sort;
    const val = (r) => key === "resources" ? r.resources.join(" ") : (r[key] || "");
    return rows.slice().sort((a, b) => {
      const x = val(a), y = val(b);
      return (x < y ? -1 : x > y ? 1 : 0) * dir || (a.time_utc < b.time_utc ? -1 : a.time_utc > b.time_utc ? 1 : 0);
    });
  },

  renderEvents() {
    if (!this.data) return;
    const d = this.data, per = this.period(), table = clear($("en-events"));
    const head = el("tr");
    for (const [key, name] of this.columns) {
      head.append(sortableHeader(key, key === "time_utc" ? name + " (" + d.tz + ")" : name, this.sort, (s) => { this.sort = s; this.renderEvents(); }));
    }
    table.append(el("thead", {}, head));
    const rows = this.filtered();
    const pages = Math.max(1, Math.ceil(rows.length / this.pageSize));
    this.page = Math.min(this.page, pages - 1);
    const body = el("tbody");
    for (const r of rows.slice(this.page * this.pageSize, (this.page + 1) * this.pageSize)) {
      body.append(this.eventRow(r, [
        el("td", { className: "nowrap" }, r.local), el("td", {}, r.session), el("td", {}, r.account), el("td", {}, r.region),
        el("td", {}, r.service.replace(/\.amazonaws\.com$/, "")), el("td", {}, r.event),
        el("td", { className: r.result === "OK" ? "" : r.denied ? "result-Failure" : "result-other" }, r.result),
        el("td", { className: "wrap" }, principalLink(r.arn, r.principal, per)), el("td", { className: "nowrap" }, entityLink("ip", r.source_ip, per)),
        el("td", { className: "nowrap" }, entityLink("access-key", r.access_key, per)),
        el("td", { className: "wrap" }, ...r.resources.flatMap((x, i) => [i ? " " : "", entityLink("resource", x, per)])),
        el("td", { className: "wrap" }, r.user_agent)]));
    }
    if (rows.length === 0) body.append(el("tr", {}, el("td", { colSpan: this.columns.length, className: "empty" }, "No events.")));
    table.append(body);
    $("en-rows-sub").textContent = fmtInt(rows.length) + " of " + fmtInt(d.count) + " events" +
      (d.truncated ? " (the first " + fmtInt(d.events.length) + " are listed)" : "");
    pager($("en-pager"), this.page, pages, (p) => { this.page = p; this.renderEvents(); });
  },
};
