// tq dashboard: live figures and charts. Served as a file (the pages allow no inline script); it reads the data
// the server rendered into data-* attributes, draws the charts with uPlot, and follows the page's event stream
// (server-sent events) to update counts and charts without a reload.
(() => {
  const STATES = ["scheduled", "pending", "active", "completed", "failed"];
  const charts = new Map(); // queue name -> { throughput, wait, data }

  function age(ms) {
    if (typeof ms !== "number" || !Number.isFinite(ms)) return "-";
    const abs = Math.max(0, ms);
    if (abs < 1000) return `${Math.round(abs)} ms`;
    if (abs < 60000) return `${(abs / 1000).toFixed(1)} s`;
    const s = Math.floor(abs / 1000);
    const pad = (n) => String(n).padStart(2, "0");
    if (s < 3600) return `${Math.floor(s / 60)} min ${pad(s % 60)} s`;
    if (s < 86400) return `${Math.floor(s / 3600)} h ${pad(Math.floor(s / 60) % 60)} min`;
    return `${Math.floor(s / 86400)} d ${pad(Math.floor(s / 3600) % 24)} h`;
  }

  function throughputData(d) {
    const minute = Math.floor(d.at / 60000);
    const n = d.completed.length;
    const xs = d.completed.map((_, i) => (minute - (n - 1) + i) * 60);
    return [xs, d.completed, d.failed];
  }

  function waitData(d) {
    return [d.waits.map((w) => w[0] / 1000), d.waits.map((w) => w[1])];
  }

  function size(el) {
    return { width: Math.max(240, el.clientWidth || 420), height: 160 };
  }

  function drawCharts(card, d) {
    if (typeof window.uPlot !== "function") return;
    const name = card.getAttribute("data-queue");
    const throughputEl = card.querySelector('[data-chart="throughput"]');
    const waitEl = card.querySelector('[data-chart="wait"]');
    if (!throughputEl || !waitEl) return;
    const throughput = new window.uPlot(
      {
        ...size(throughputEl),
        series: [
          {},
          { label: "completed", stroke: "#2f855a", fill: "rgba(47,133,90,0.12)" },
          { label: "failed", stroke: "#c53030", fill: "rgba(197,48,48,0.12)" },
        ],
        axes: [{}, { label: "jobs/min" }],
      },
      throughputData(d),
      throughputEl,
    );
    const wait = new window.uPlot(
      {
        ...size(waitEl),
        series: [{}, { label: "wait (ms)", stroke: "#2b6cb0", points: { show: true } }],
        axes: [{}, { label: "ms" }],
      },
      waitData(d),
      waitEl,
    );
    charts.set(name, { throughput, wait });
  }

  function update(msg) {
    const cards = document.querySelectorAll(`[data-queue="${CSS.escape(msg.queue)}"]`);
    // A snapshot read before the one the page (or an earlier message) showed is old news: a stats read that was in
    // flight when an action ran must not undo what the page shows after it.
    const newest = Math.max(0, ...Array.from(cards, (card) => Number(card.getAttribute("data-at")) || 0));
    if (typeof msg.at === "number" && msg.at < newest) return;
    for (const card of cards) {
      card.setAttribute("data-at", String(msg.at));
      for (const state of STATES) {
        for (const el of card.querySelectorAll(`[data-field="${state}"]`)) {
          el.textContent = msg.counts[state].toLocaleString("en-US");
        }
      }
      for (const el of card.querySelectorAll('[data-field="paused"]')) {
        el.textContent = msg.paused ? "paused" : "running";
        el.className = msg.paused ? "paused" : "running";
      }
      for (const el of card.querySelectorAll('[data-field="workers"]')) el.textContent = String(msg.workers);
      for (const el of card.querySelectorAll('[data-field="oldest"]')) {
        el.textContent = msg.counts.pending > 0 ? age(msg.oldestPendingAgeMs) : "-";
      }
    }
    // the state tabs of a queue page sit outside the card
    for (const state of STATES) {
      for (const el of document.querySelectorAll(`.tabs [data-field="${state}"]`)) {
        el.textContent = msg.counts[state].toLocaleString("en-US");
      }
    }
    const chart = charts.get(msg.queue);
    if (chart) {
      chart.throughput.setData(throughputData(msg));
      chart.wait.setData(waitData(msg));
    }
    document.documentElement.setAttribute("data-live-updates", String(++updates));
  }

  let updates = 0;

  function follow(main) {
    const url = main.getAttribute("data-live");
    if (!url || typeof EventSource !== "function") return;
    const source = new EventSource(url);
    source.addEventListener("open", () => document.documentElement.setAttribute("data-live", "open"));
    source.addEventListener("error", () => document.documentElement.setAttribute("data-live", "retrying"));
    source.addEventListener("stats", (event) => {
      try {
        update(JSON.parse(event.data));
      } catch {
        // a malformed message changes nothing
      }
    });
    window.addEventListener("pagehide", () => source.close());
  }

  function confirmForms() {
    for (const form of document.querySelectorAll("form[data-confirm]")) {
      form.addEventListener("submit", (event) => {
        if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
      });
    }
  }

  function start() {
    for (const card of document.querySelectorAll("[data-queue]")) {
      const holder = card.querySelector("[data-charts]");
      if (!holder) continue;
      try {
        drawCharts(card, JSON.parse(holder.getAttribute("data-charts")));
      } catch {
        // no charts, figures still update
      }
    }
    confirmForms();
    const main = document.querySelector("main[data-live]");
    if (main) follow(main);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
