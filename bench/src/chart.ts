import { columnSpread } from "./report.js";
import type { Results } from "./runner.js";
import { type BacklogShape, backlogOf, LIBRARY_NAMES } from "./scenarios.js";

const COLORS = {
  tq: "#2563eb",
  baseline: "#93c5fd",
  bullmq: "#dc2626",
  "bee-queue": "#d97706",
  floor: "#6b7280",
} as const;

const escapeXml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * A hand-drawn SVG of the throughput scenarios: one panel per scenario with its own scale, one bar per library at
 * the median, a thin line for the min–max range.
 */
export function renderChart(results: Results, subtitle: string): string {
  const width = 820;
  const labelWidth = 200;
  const barArea = width - labelWidth - 110;
  const barHeight = 14;
  const barGap = 5;
  const panelGap = 16;
  const top = 66;
  const scenarios = results.scenarios.filter((s) => s.chart);
  const libraries = results.libraries;
  const panelHeight = libraries.length * (barHeight + barGap);
  const height = top + scenarios.length * (panelHeight + panelGap) + 10;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="600" fill="#111827">Throughput, jobs/s (median; line: min–max) — higher is better</text>`,
    `<text x="12" y="40" fill="#4b5563">${escapeXml(subtitle)}</text>`,
  ];
  let lx = 12;
  for (const library of libraries) {
    const name = LIBRARY_NAMES[library];
    parts.push(
      `<rect x="${lx}" y="50" width="12" height="10" fill="${COLORS[library]}"/>`,
      `<text x="${lx + 16}" y="59" fill="#111827">${name}</text>`,
    );
    lx += Math.max(100, 28 + name.length * 7);
  }
  scenarios.forEach((scenario, index) => {
    const y0 = top + index * (panelHeight + panelGap);
    parts.push(
      `<text x="12" y="${y0 + panelHeight / 2 + 2}" fill="#111827">${escapeXml(scenario.short)}</text>`,
      `<line x1="${labelWidth}" y1="${y0 - 3}" x2="${labelWidth}" y2="${y0 + panelHeight - barGap + 3}" stroke="#9ca3af"/>`,
    );
    const skipped = results.skipped.get(scenario.id);
    if (skipped) {
      parts.push(`<text x="${labelWidth + 8}" y="${y0 + panelHeight / 2 + 2}" fill="#6b7280">not run</text>`);
      return;
    }
    const spreads = libraries.map((l) => columnSpread(results, scenario.id, l, "value"));
    const scale = Math.max(1, ...spreads.map((s) => s?.max ?? 0));
    spreads.forEach((s, i) => {
      const library = libraries[i] ?? "tq";
      const y = y0 + i * (barHeight + barGap);
      if (!s) {
        parts.push(`<text x="${labelWidth + 8}" y="${y + barHeight - 3}" fill="#6b7280">no result</text>`);
        return;
      }
      const w = (s.median / scale) * barArea;
      const x1 = labelWidth + (s.min / scale) * barArea;
      const x2 = labelWidth + (s.max / scale) * barArea;
      const mid = y + barHeight / 2;
      parts.push(
        `<rect x="${labelWidth}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" fill="${COLORS[library]}"/>`,
        `<line x1="${x1.toFixed(1)}" y1="${mid}" x2="${x2.toFixed(1)}" y2="${mid}" stroke="#111827" stroke-width="1.5"/>`,
        `<text x="${(Math.max(labelWidth + w, x2) + 6).toFixed(1)}" y="${y + barHeight - 3}" fill="#111827">${Math.round(s.median).toLocaleString("en-US")}</text>`,
      );
    });
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}

/**
 * A hand-drawn SVG of backlog growth: process jobs/s (median, and min–max as a vertical line) against the pending
 * backlog on a logarithmic axis, one line per library; the run behind the delayed jobs is a hollow marker at its
 * delayed count.
 */
export function renderBacklogChart(results: Results, subtitle: string): string {
  const width = 820;
  const height = 420;
  const left = 80;
  const right = 170;
  const top = 70;
  const bottom = 60;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const ran = results.scenarios.filter((s) => backlogOf(s) && !results.skipped.has(s.id));
  const points = ran.map((s) => {
    const shape = backlogOf(s) as BacklogShape;
    return { scenario: s, x: shape.delayed > 0 ? shape.delayed : shape.pending, delayed: shape.delayed > 0 };
  });
  const xs = points.map((p) => p.x);
  const spreads = new Map<string, ReturnType<typeof columnSpread>>();
  let maxY = 1;
  for (const p of points) {
    for (const library of results.libraries) {
      const s = columnSpread(results, p.scenario.id, library, "value");
      spreads.set(`${p.scenario.id}/${library}`, s);
      if (s) maxY = Math.max(maxY, s.max);
    }
  }
  const minX = Math.min(...xs, 1);
  const maxX = Math.max(...xs, minX * 10);
  const lx = (x: number) =>
    left + ((Math.log10(x) - Math.log10(minX)) / (Math.log10(maxX) - Math.log10(minX))) * plotW;
  const step = 10 ** Math.floor(Math.log10(maxY));
  const topY = Math.ceil(maxY / step) * step;
  const ly = (y: number) => top + plotH - (y / topY) * plotH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="600" fill="#111827">Process rate against backlog size, jobs/s (median; line: min–max) — flat is better</text>`,
    `<text x="12" y="40" fill="#4b5563">${escapeXml(subtitle)}; hollow marker: behind the delayed jobs</text>`,
    `<line x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}" stroke="#9ca3af"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="#9ca3af"/>`,
  ];
  for (let y = 0; y <= topY; y += topY / 5) {
    parts.push(
      `<line x1="${left}" y1="${ly(y).toFixed(1)}" x2="${left + plotW}" y2="${ly(y).toFixed(1)}" stroke="#e5e7eb"/>`,
      `<text x="${left - 8}" y="${(ly(y) + 4).toFixed(1)}" text-anchor="end" fill="#4b5563">${Math.round(y).toLocaleString("en-US")}</text>`,
    );
  }
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) {
    parts.push(
      `<text x="${lx(x).toFixed(1)}" y="${top + plotH + 18}" text-anchor="middle" fill="#4b5563">${x.toLocaleString("en-US")}</text>`,
    );
  }
  parts.push(
    `<text x="${left + plotW / 2}" y="${height - 16}" text-anchor="middle" fill="#111827">jobs waiting (log scale)</text>`,
  );
  results.libraries.forEach((library, index) => {
    const color = COLORS[library];
    const line = points
      .filter((p) => !p.delayed)
      .map((p) => ({ p, s: spreads.get(`${p.scenario.id}/${library}`) }))
      .filter((e) => e.s);
    if (line.length > 1) {
      const d = line.map((e) => `${lx(e.p.x).toFixed(1)},${ly(e.s?.median ?? 0).toFixed(1)}`).join(" ");
      parts.push(`<polyline points="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    }
    for (const p of points) {
      const s = spreads.get(`${p.scenario.id}/${library}`);
      if (!s) continue;
      const x = lx(p.x);
      parts.push(
        `<line x1="${x.toFixed(1)}" y1="${ly(s.min).toFixed(1)}" x2="${x.toFixed(1)}" y2="${ly(s.max).toFixed(1)}" stroke="${color}" stroke-width="1"/>`,
        `<circle cx="${x.toFixed(1)}" cy="${ly(s.median).toFixed(1)}" r="4" fill="${p.delayed ? "#ffffff" : color}" stroke="${color}" stroke-width="2"/>`,
      );
    }
    const ky = top + 10 + index * 18;
    parts.push(
      `<rect x="${left + plotW + 20}" y="${ky - 9}" width="12" height="10" fill="${color}"/>`,
      `<text x="${left + plotW + 36}" y="${ky}" fill="#111827">${LIBRARY_NAMES[library]}</text>`,
    );
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}
