/** Number formatting shared by every page. */

/** `0.1234` → `12.34%`; `—` when absent. */
export function percent(x: number | null | undefined, digits = 2): string {
  return x == null || !Number.isFinite(x) ? '—' : `${(x * 100).toFixed(digits)}%`;
}

/** A signed percentage (lift): `+3.10%`. */
export function signedPercent(x: number | null | undefined, digits = 2): string {
  if (x == null || !Number.isFinite(x)) return '—';
  return `${x > 0 ? '+' : ''}${(x * 100).toFixed(digits)}%`;
}

/** An interval of fractions as percentages: `[1.20%, 3.40%]`. */
export function interval(ci: [number, number] | null | undefined, signed = false): string {
  if (!ci) return '—';
  const f = signed ? signedPercent : percent;
  return `[${f(ci[0])}, ${f(ci[1])}]`;
}

/** A p-value: 4 decimals, `< 0.0001` below that. */
export function pValue(p: number | null | undefined): string {
  if (p == null || !Number.isFinite(p)) return '—';
  return p < 0.0001 ? '< 0.0001' : p.toFixed(4);
}

/** An integer with thousands separators. */
export function count(n: number | null | undefined): string {
  return n == null ? '—' : Math.round(n).toLocaleString('en-US');
}

/** Milliseconds since the epoch as a local date and time. */
export function when(ms: number | null | undefined): string {
  return ms == null ? '—' : new Date(ms).toLocaleString();
}

/** "p = 0.0123" or "p < 0.0001". */
export function pEquals(p: number | null | undefined): string {
  const text = pValue(p);
  return text.startsWith('<') ? `p ${text}` : `p = ${text}`;
}
