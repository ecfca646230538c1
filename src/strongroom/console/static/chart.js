// Line charts in SVG, drawn from the metrics API's series. No library: axes with ticks and
// units, one path per series (broken where samples are missing), a circle per point with its
// value as a tooltip, and "no data yet" when there is nothing to draw.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const SIZE = { width: 640, height: 220, left: 70, right: 30, top: 12, bottom: 30 };
const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

function svgElement(name, attributes) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes || {})) {
    node.setAttribute(key, String(value));
  }
  return node;
}

function trimNumber(value) {
  if (value === 0) return "0";
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return String(Number(value.toFixed(digits)));
}

// A value as text in the chart's format: bytes in binary units, percent, seconds, numbers.
function formatValue(value, format) {
  if (format === "bytes") {
    let unit = 0;
    while (Math.abs(value) >= 1024 && unit < BYTE_UNITS.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return trimNumber(value) + " " + BYTE_UNITS[unit];
  }
  if (format === "percent") return trimNumber(value) + " %";
  if (format === "seconds") return trimNumber(value) + " s";
  if (Math.abs(value) >= 1e6) return trimNumber(value / 1e6) + "M";
  if (Math.abs(value) >= 1e4) return trimNumber(value / 1e3) + "k";
  return trimNumber(value);
}

// Tick values from 0 to at least `max`: about four steps of 1, 2 or 5 × 10^n (of the
// binary unit for bytes, so that the labels are round).
function valueTicks(max, format) {
  let base = 1;
  if (format === "bytes") {
    while (max / base >= 1024) base *= 1024;
  }
  const scaled = Math.max(max / base, 1e-9);
  const rough = scaled / 4;
  const power = Math.pow(10, Math.floor(Math.log10(rough)));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough);
  const ticks = [];
  for (let v = 0; v <= scaled + step * 0.001; v += step) ticks.push(v * base);
  if (ticks[ticks.length - 1] < max) ticks.push(ticks.length * step * base);
  return ticks;
}

function timeLabel(seconds, span) {
  const date = new Date(seconds * 1000);
  const pad = (n) => String(n).padStart(2, "0");
  const clock = pad(date.getHours()) + ":" + pad(date.getMinutes());
  if (span <= 86400) return clock;
  const day = date.toLocaleDateString(undefined, { weekday: "short", day: "numeric" });
  return span > 3 * 86400 ? day : day + " " + clock;
}

// Runs of points without a gap wider than 2.5 steps.
function segments(points, step) {
  const runs = [];
  let run = [];
  for (const point of points) {
    if (run.length && point[0] - run[run.length - 1][0] > 2.5 * step) {
      runs.push(run);
      run = [];
    }
    run.push(point);
  }
  if (run.length) runs.push(run);
  return runs;
}

function drawAxes(svg, scale, ticks, range, format) {
  const { left, top, width, height, bottom, right } = SIZE;
  const plotBottom = height - bottom;
  const group = svgElement("g", { class: "axes" });
  for (const tick of ticks) {
    const y = scale.y(tick);
    group.append(svgElement("line", { x1: left, x2: width - right, y1: y, y2: y, class: "grid" }));
    const label = svgElement("text", { x: left - 6, y: y + 4, class: "tick y" });
    label.textContent = formatValue(tick, format);
    group.append(label);
  }
  const span = range.end - range.start;
  for (let i = 0; i <= 4; i += 1) {
    const t = range.start + (span * i) / 4;
    const x = scale.x(t);
    group.append(svgElement("line", { x1: x, x2: x, y1: plotBottom, y2: plotBottom + 4, class: "axis" }));
    const label = svgElement("text", { x: x, y: plotBottom + 18, class: "tick x" });
    label.textContent = timeLabel(t, span);
    group.append(label);
  }
  group.append(svgElement("line", { x1: left, x2: width - right, y1: plotBottom, y2: plotBottom, class: "axis" }));
  group.append(svgElement("line", { x1: left, x2: left, y1: top, y2: plotBottom, class: "axis" }));
  svg.append(group);
}

function drawSeries(svg, scale, line, index, step, format) {
  const group = svgElement("g", { class: "series series-" + index });
  for (const run of segments(line.points, step)) {
    const d = run.map((p, i) => (i ? "L" : "M") + scale.x(p[0]).toFixed(1) + " " + scale.y(p[1]).toFixed(1));
    group.append(svgElement("path", { d: d.join(" "), class: "line" }));
  }
  for (const [t, v] of line.points) {
    const dot = svgElement("circle", { cx: scale.x(t).toFixed(1), cy: scale.y(v).toFixed(1), r: 2.2, class: "point" });
    const tip = svgElement("title");
    tip.textContent = line.label + " " + formatValue(v, format) + " at " + new Date(t * 1000).toLocaleString();
    dot.append(tip);
    group.append(dot);
  }
  svg.append(group);
}

function latest(line, format) {
  const last = line.points.length ? line.points[line.points.length - 1][1] : null;
  return line.label + (last === null ? ": no data" : ": " + formatValue(last, format));
}

function legend(lines, format) {
  const list = document.createElement("ul");
  list.className = "legend";
  lines.forEach((line, index) => {
    const item = document.createElement("li");
    item.className = "series-" + index;
    item.textContent = latest(line, format);
    list.append(item);
  });
  return list;
}

// Draws `chart` ({id, title, unit, format, lines: [{label, points: [[t, v], …]}]}) over
// `range` ({start, end, step} in Unix seconds) into `figure`, replacing what was there.
function drawChart(figure, chart, range) {
  figure.replaceChildren();
  figure.className = "chart";
  const caption = document.createElement("figcaption");
  caption.id = "chart-title-" + chart.id;
  caption.textContent = chart.title + " (" + chart.unit + ")";
  figure.append(caption);
  const lines = chart.lines.filter((line) => line.points.length);
  if (!lines.length) {
    const empty = document.createElement("p");
    empty.className = "empty";
    empty.textContent = "no data yet";
    figure.append(empty);
    return;
  }
  const max = Math.max(...lines.flatMap((line) => line.points.map((p) => p[1])), 0);
  const ticks = valueTicks(max > 0 ? max : 1, chart.format);
  const top = ticks[ticks.length - 1];
  const { width, height, left, right, bottom } = SIZE;
  const scale = {
    x: (t) => left + ((t - range.start) / (range.end - range.start)) * (width - left - right),
    y: (v) => height - bottom - (v / top) * (height - bottom - SIZE.top),
  };
  const text = caption.textContent + ", latest: " + lines.map((l) => latest(l, chart.format)).join("; ");
  const svg = svgElement("svg", { viewBox: "0 0 " + width + " " + height, role: "img", "aria-label": text });
  const summary = svgElement("title");
  summary.textContent = text;
  svg.append(summary);
  drawAxes(svg, scale, ticks, range, chart.format);
  chart.lines.forEach((line, index) => {
    if (line.points.length) drawSeries(svg, scale, line, index, range.step, chart.format);
  });
  figure.append(svg, legend(chart.lines, chart.format));
}

window.StrongroomChart = { drawChart, formatValue };
