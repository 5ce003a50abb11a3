/**
 * The targeting editor's rows (attribute / operator / value) and their condition. Rows only
 * build simple conditions (every row must hold); anything else is edited as raw JSON. The
 * server decides what is valid (`POST /api/v1/targeting/check`, the rule experiments are
 * saved with), so nothing here restates the condition language beyond building it.
 */

/** One row as typed. */
export interface TargetingRow {
  attribute: string;
  operator: string;
  /** As typed: JSON if it parses, else a string; for list operators, comma-separated. */
  value: string;
}

/** The operators the rows offer (the raw JSON takes every operator). */
export const ROW_OPERATORS: { op: string; label: string; list?: boolean }[] = [
  { op: '$eq', label: 'equals' },
  { op: '$ne', label: 'does not equal' },
  { op: '$in', label: 'is one of', list: true },
  { op: '$nin', label: 'is none of', list: true },
  { op: '$gt', label: '>' },
  { op: '$gte', label: '≥' },
  { op: '$lt', label: '<' },
  { op: '$lte', label: '≤' },
  { op: '$regex', label: 'matches regex' },
  { op: '$exists', label: 'exists (true/false)' },
  { op: '$vgte', label: 'version ≥' },
  { op: '$inGroup', label: 'in saved group' },
  { op: '$notInGroup', label: 'not in saved group' },
];

/** A typed value: JSON when it parses (numbers, booleans, quoted strings), else the text. */
function literal(text: string): unknown {
  const t = text.trim();
  try {
    return JSON.parse(t);
  } catch {
    return t;
  }
}

/** The condition the rows describe (`null` when there are none). */
export function rowsToCondition(rows: TargetingRow[]): Record<string, unknown> | null {
  const condition: Record<string, Record<string, unknown>> = {};
  for (const r of rows) {
    const attribute = r.attribute.trim();
    if (!attribute) continue;
    const list = ROW_OPERATORS.find((o) => o.op === r.operator)?.list;
    const stringOnly = r.operator === '$regex' || r.operator === '$inGroup' || r.operator === '$notInGroup' || r.operator === '$vgte';
    const value = list
      ? r.value
          .split(',')
          .map((v) => v.trim())
          .filter(Boolean)
          .map(literal)
      : stringOnly
        ? r.value.trim()
        : literal(r.value);
    condition[attribute] = { ...(condition[attribute] ?? {}), [r.operator]: value };
  }
  return Object.keys(condition).length > 0 ? condition : null;
}

/** Rows for a stored condition, when it is that simple; `null` when only raw JSON fits. */
export function conditionToRows(condition: unknown): TargetingRow[] | null {
  if (condition == null) return [];
  if (typeof condition !== 'object' || Array.isArray(condition)) return null;
  const rows: TargetingRow[] = [];
  for (const [attribute, test] of Object.entries(condition as Record<string, unknown>)) {
    if (attribute.startsWith('$')) return null;
    const ops = test !== null && typeof test === 'object' && !Array.isArray(test) ? Object.entries(test as Record<string, unknown>) : [['$eq', test] as [string, unknown]];
    for (const [op, value] of ops) {
      const known = ROW_OPERATORS.find((o) => o.op === op);
      if (!known) return null;
      const text = known.list && Array.isArray(value) ? value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ') : typeof value === 'string' ? value : JSON.stringify(value);
      rows.push({ attribute, operator: op, value: text });
    }
  }
  return rows;
}
