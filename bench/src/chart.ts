import { columnSpread } from "./report.js";
import type { Results } from "./runner.js";
import { LIBRARY_NAMES } from "./scenarios.js";

const COLORS = { tq: "#2563eb", baseline: "#93c5fd", bullmq: "#dc2626", "bee-queue": "#d97706" } as const;

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
