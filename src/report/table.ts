// Plain-text tables for the command line.

/** Formats rows as left-aligned text columns under a header, with a rule below the header. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], rightAlign: readonly number[] = []): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) =>
    r.map((v, i) => (rightAlign.includes(i) ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** A number in short scientific notation, or '-' for NaN. */
export function sci(v: number): string {
  return Number.isNaN(v) ? 'NaN' : v.toExponential(2);
}

/** An integer with thousands separators: 60,965,224. */
export function thousands(n: number): string {
  return n.toLocaleString('en-US');
}
