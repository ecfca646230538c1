// The console's pages: login, instance list, instance. They read the Trove API through the
// console gateway (/console/api/v1.0/…), which adds the token from the HttpOnly cookie: this
// script never sees the token. Every text from the API is set with textContent.
"use strict";

const LIST_REFRESH_MS = 10000;
const INSTANCE_REFRESH_MS = 30000;
const POINTS_PER_CHART = 120;

function faultMessage(body) {
  const fault = body && typeof body === "object" ? Object.values(body)[0] : null;
  return fault && fault.message ? fault.message : null;
}

async function api(path) {
  const response = await fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (response.status === 401) {
    window.location.assign("/console/login");
    throw new Error("Your session ended: log in again.");
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(faultMessage(body) || response.statusText);
    error.status = response.status;
    throw error;
  }
  return body;
}

function element(name, text, className) {
  const node = document.createElement(name);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function row(cells) {
  const tr = document.createElement("tr");
  for (const cell of cells) {
    const td = document.createElement("td");
    if (cell instanceof Node) td.append(cell);
    else td.textContent = cell === null || cell === undefined ? "—" : String(cell);
    tr.append(td);
  }
  return tr;
}

function fillTable(table, rows, emptyText) {
  const body = table.tBodies[0];
  body.replaceChildren(...rows);
  const empty = table.parentElement.querySelector(".empty");
  if (empty) empty.hidden = rows.length > 0;
  if (empty) empty.textContent = emptyText;
  table.hidden = rows.length === 0;
}

function utc(timestamp) {
  return timestamp ? new Date(timestamp.endsWith("Z") ? timestamp : timestamp + "Z") : null;
}

function say(id, text, isError) {
  const node = document.getElementById(id);
  node.textContent = text;
  node.classList.toggle("error", Boolean(isError));
}

function statusBadge(text) {
  const value = text || "UNKNOWN";
  return element("span", value, "badge " + value.toLowerCase().replace(/[^a-z]/g, "-"));
}

function datastoreText(instance) {
  const ds = instance.datastore || {};
  return [ds.type, ds.version].filter(Boolean).join(" ");
}

function addressesText(instance) {
  return (instance.addresses || []).map((a) => a.address + (a.type ? " (" + a.type + ")" : "")).join(", ");
}

// --- session ---------------------------------------------------------------------------------

async function startSession() {
  const { session } = await api("/console/api/session");
  document.getElementById("who").textContent = session.user_name + " · project " + session.project_name;
  document.getElementById("logout").addEventListener("click", logOut);
  return session;
}

async function logOut() {
  await fetch("/console/logout", { method: "POST", credentials: "same-origin" });
  window.location.assign("/console/login");
}

function setUpLogin() {
  const form = document.getElementById("login-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields = new FormData(form);
    const body = {};
    for (const name of ["user", "password", "project", "domain"]) body[name] = String(fields.get(name) || "");
    say("login-error", "");
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const response = await fetch("/console/login", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body),
      });
      if (response.ok) {
        window.location.assign("/console");
        return;
      }
      const answer = await response.json().catch(() => ({}));
      say("login-error", faultMessage(answer) || "Login failed (" + response.status + ").", true);
    } catch (error) {
      say("login-error", "The console cannot be reached: " + error.message, true);
    } finally {
      button.disabled = false;
    }
  });
}

// --- instance list ---------------------------------------------------------------------------

async function flavorNames(base) {
  try {
    const { flavors } = await api(base + "/flavors");
    return new Map(flavors.map((f) => [String(f.id), f.name]));
  } catch (error) {
    return new Map();
  }
}

async function refreshList(base, flavors) {
  try {
    const { instances } = await api(base + "/instances/detail");
    const rows = instances.map((instance) => {
      const link = element("a", instance.name);
      link.href = "/console/instances/" + encodeURIComponent(instance.id);
      const flavorId = instance.flavor ? String(instance.flavor.id) : "";
      return row([
        link,
        statusBadge(instance.status),
        statusBadge(instance.operating_status),
        datastoreText(instance),
        flavors.get(flavorId) || flavorId,
        addressesText(instance),
      ]);
    });
    fillTable(document.getElementById("instances"), rows, "No instances yet.");
    say("list-status", "Updated " + new Date().toLocaleTimeString() + "; refreshes every 10 s.");
  } catch (error) {
    say("list-status", "Could not load the instances: " + error.message, true);
  }
}

async function setUpList() {
  const session = await startSession();
  const base = "/console/api/v1.0/" + encodeURIComponent(session.project_id);
  const flavors = await flavorNames(base);
  await refreshList(base, flavors);
  window.setInterval(() => refreshList(base, flavors), LIST_REFRESH_MS);
}

// --- one instance ----------------------------------------------------------------------------

const page = { base: "", id: "", range: 3600, charts: [], flavors: new Map() };

function showDetails(instance) {
  document.getElementById("instance-name").textContent = instance.name;
  document.title = instance.name + " · Strongroom console";
  const volume = instance.volume || {};
  const details = [
    ["Status", statusBadge(instance.status)],
    ["Health", statusBadge(instance.operating_status)],
    ["Datastore", datastoreText(instance)],
    ["Flavor", page.flavors.get(String((instance.flavor || {}).id)) || (instance.flavor || {}).id],
    ["Volume", volume.size + " GiB" + (volume.used_percent !== null && volume.used_percent !== undefined ? ", " + volume.used_percent + " % used" : "")],
    ["Addresses", addressesText(instance) || "—"],
    ["Id", instance.id],
  ];
  const list = document.getElementById("details");
  list.replaceChildren();
  for (const [term, value] of details) {
    list.append(element("dt", term));
    const dd = element("dd");
    dd.append(value instanceof Node ? value : document.createTextNode(String(value)));
    list.append(dd);
  }
}

async function refreshCharts() {
  const end = Math.floor(Date.now() / 1000);
  const start = end - page.range;
  const step = Math.max(10, Math.round(page.range / POINTS_PER_CHART));
  const names = [...new Set(page.charts.flatMap((c) => c.lines.map((l) => l.metric)))];
  const query = new URLSearchParams({ names: names.join(","), start: String(start), end: String(end), step: String(step) });
  const { metrics } = await api(page.base + "/instances/" + page.id + "/metrics?" + query);
  const byName = new Map(metrics.series.map((s) => [s.name, s.points]));
  const range = { start, end, step: metrics.step };
  for (const chart of page.charts) {
    const lines = chart.lines.map((l) => ({
      label: l.label,
      points: (byName.get(l.metric) || []).map(([t, v]) => [t, v * chart.scale]),
    }));
    const figure = document.getElementById("chart-" + chart.id);
    const empty = lines.every((l) => !l.points.length);
    figure.hidden = chart.optional && empty;
    if (!figure.hidden) window.StrongroomChart.drawChart(figure, { ...chart, lines }, range);
  }
}

async function refreshEvents() {
  const { events } = await api(page.base + "/instances/" + page.id + "/events");
  const rows = events
    .slice()
    .reverse()
    .map((e) => row([utc(e.created).toLocaleString(), e.kind, e.message]));
  fillTable(document.getElementById("events"), rows, "No events yet.");
}

async function refreshTopQueries() {
  const { top_queries: top } = await api(page.base + "/instances/" + page.id + "/top-queries");
  const rows = top.queries.map((q) =>
    row([element("code", q.text), q.calls, q.total_time_ms.toFixed(1), q.mean_time_ms.toFixed(2), q.rows_examined])
  );
  fillTable(document.getElementById("top-queries"), rows, top.collected ? "No statements yet." : "no data yet");
  document.getElementById("top-collected").textContent = top.collected
    ? "Collected " + utc(top.collected).toLocaleString() + "."
    : "";
}

async function refreshInstance() {
  try {
    const { instance } = await api(page.base + "/instances/" + page.id);
    showDetails(instance);
    await Promise.all([refreshCharts(), refreshEvents(), refreshTopQueries()]);
    say("instance-status", "Updated " + new Date().toLocaleTimeString() + "; refreshes every 30 s.");
  } catch (error) {
    if (error.status === 404) {
      document.getElementById("instance-name").textContent = "Instance not found";
      document.getElementById("instance-body").hidden = true;
    }
    say("instance-status", error.message, true);
  }
}

function setUpRanges() {
  const buttons = document.querySelectorAll("#ranges button");
  for (const button of buttons) {
    button.addEventListener("click", () => {
      page.range = Number(button.dataset.seconds);
      for (const other of buttons) other.setAttribute("aria-pressed", String(other === button));
      refreshInstance();
    });
  }
}

function chartFigures() {
  const holder = document.getElementById("charts");
  holder.replaceChildren();
  for (const chart of page.charts) {
    const figure = element("figure", null, "chart");
    figure.id = "chart-" + chart.id;
    figure.append(element("figcaption", chart.title + " (" + chart.unit + ")"), element("p", "loading…", "empty"));
    holder.append(figure);
  }
}

async function setUpInstance() {
  const session = await startSession();
  page.base = "/console/api/v1.0/" + encodeURIComponent(session.project_id);
  page.id = encodeURIComponent(decodeURIComponent(window.location.pathname.split("/").pop()));
  page.charts = (await api("/console/api/charts")).charts;
  page.flavors = await flavorNames(page.base);
  chartFigures();
  setUpRanges();
  await refreshInstance();
  window.setInterval(refreshInstance, INSTANCE_REFRESH_MS);
}

const SETUP = { login: setUpLogin, instances: setUpList, instance: setUpInstance };

document.addEventListener("DOMContentLoaded", () => {
  const setUp = SETUP[document.body.dataset.page];
  if (setUp) {
    Promise.resolve(setUp()).catch((error) => {
      const status = document.querySelector("[role=status]");
      if (status) status.textContent = error.message;
    });
  }
});
