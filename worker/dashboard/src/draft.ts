/**
 * The experiment form's state (strings, as typed) and its conversion to and from the wire
 * model. Percent inputs are converted to fractions here; the server validates the rest.
 */

import { conditionToRows, type TargetingRow } from './targeting';
import type { Experiment, FieldProblem, Variant } from './types';

/** One variant row as typed. */
export interface VariantDraft {
  name: string;
  /** Weight (relative) or allocation (percent), depending on the form's split mode. */
  share: string;
  is_control: boolean;
  description: string;
  /** JSON text; empty for none. */
  config: string;
}

/** The whole form as typed. */
export interface Draft {
  name: string;
  key: string;
  description: string;
  hypothesis: string;
  split: 'weight' | 'allocation';
  variants: VariantDraft[];
  /** Event names, comma-separated; the first is primary. */
  metrics: string;
  /** Percent of users in the experiment. */
  traffic: string;
  /** Percent. */
  baseRate: string;
  /** Percent (relative) or percentage points (absolute). */
  mde: string;
  mdeType: 'relative' | 'absolute';
  alpha: string;
  power: string;
  target: string;
  salt: string;
  newPhase: boolean;
  /** The targeting condition as JSON text; empty for everybody. */
  targeting: string;
  /** The rows that wrote `targeting`, or `null` when it is edited as raw JSON. */
  targetingRows: TargetingRow[] | null;
  /** Exclusion layer name; empty for none. */
  layerName: string;
  /** Percent. */
  layerStart: string;
  /** Percent. */
  layerEnd: string;
  /** Names of the holdouts listed. */
  holdouts: string[];
  /** The Unleash toggle that must be on for a unit; empty for no gate. */
  gate: string;
  /** Whether exposures and conversions also go to Plausible (when it is configured). */
  plausible: boolean;
}

/** A blank variant row. */
export function blankVariant(name: string, share: string): VariantDraft {
  return { name, share, is_control: false, description: '', config: '' };
}

/** The form for a new experiment: control vs treatment, 50/50, 95% / 80%. */
export function emptyDraft(): Draft {
  return {
    name: '',
    key: '',
    description: '',
    hypothesis: '',
    split: 'weight',
    variants: [{ ...blankVariant('control', '1'), is_control: true }, blankVariant('treatment', '1')],
    metrics: 'conversion',
    traffic: '100',
    baseRate: '',
    mde: '',
    mdeType: 'relative',
    alpha: '0.05',
    power: '0.8',
    target: '',
    salt: '',
    newPhase: false,
    targeting: '',
    targetingRows: [],
    layerName: '',
    layerStart: '0',
    layerEnd: '100',
    holdouts: [],
    gate: '',
    plausible: true,
  };
}

const toText = (x: number | null | undefined, scale = 1) =>
  x == null ? '' : String(Number((x * scale).toPrecision(12)));

/** The form filled from a stored experiment. */
export function draftOf(e: Experiment): Draft {
  const allocation = e.variants.some((v) => v.allocation != null);
  return {
    name: e.name,
    key: e.key,
    description: e.description ?? '',
    hypothesis: e.hypothesis ?? '',
    split: allocation ? 'allocation' : 'weight',
    variants: e.variants.map((v) => ({
      name: v.name,
      share: allocation ? toText(v.allocation, 100) : toText(v.weight ?? 1),
      is_control: v.is_control ?? false,
      description: v.description ?? '',
      config: v.config == null ? '' : JSON.stringify(v.config, null, 2),
    })),
    metrics: (e.metrics ?? []).join(', '),
    traffic: toText(e.traffic_allocation ?? 1, 100),
    baseRate: toText(e.base_rate, 100),
    mde: toText(e.min_detectable_effect, 100),
    mdeType: e.mde_type ?? 'relative',
    alpha: toText(e.significance_level ?? 0.05),
    power: toText(e.power ?? 0.8),
    target: toText(e.target_sample_size),
    salt: e.salt ?? '',
    newPhase: false,
    targeting: e.targeting == null ? '' : JSON.stringify(e.targeting, null, 2),
    targetingRows: conditionToRows(e.targeting),
    layerName: e.layer?.name ?? '',
    layerStart: toText(e.layer?.start ?? 0, 100),
    layerEnd: toText(e.layer?.end ?? 1, 100),
    holdouts: e.holdouts ?? [],
    gate: e.gate?.unleash ?? '',
    plausible: e.plausible ?? true,
  };
}

/** The JSON error of the targeting text, if any (empty means everybody). */
export function targetingProblem(text: string): string | null {
  if (!text.trim()) return null;
  try {
    const v = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? null : 'must be a JSON object';
  } catch (e) {
    return `not valid JSON: ${(e as Error).message}`;
  }
}

/** A typed number: `null` when empty, `NaN` when not a number. */
export function numberOf(text: string): number | null {
  const t = text.trim();
  return t === '' ? null : Number(t);
}

/** The JSON error of a variant's config text, if any. */
export function configProblem(text: string): string | null {
  if (!text.trim()) return null;
  try {
    JSON.parse(text);
    return null;
  } catch (e) {
    return `not valid JSON: ${(e as Error).message}`;
  }
}

/**
 * The request body for the draft, and the problems that stop it being sent (text that is
 * not a number or not JSON). Everything else is left to the server's validation.
 */
export function toBody(d: Draft, editing: boolean): { body: Record<string, unknown>; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const num = (field: string, text: string, scale = 1): number | null => {
    const n = numberOf(text);
    if (n !== null && !Number.isFinite(n)) {
      problems.push({ field, message: 'must be a number' });
      return null;
    }
    return n === null ? null : Number((n / scale).toPrecision(15));
  };
  const variants: Variant[] = d.variants.map((v, i) => {
    const out: Variant = { name: v.name.trim(), is_control: v.is_control, description: v.description };
    const share = num(`variants[${i}].${d.split}`, v.share, d.split === 'allocation' ? 100 : 1);
    if (share !== null) out[d.split] = share;
    const bad = configProblem(v.config);
    if (bad) problems.push({ field: `variants[${i}].config`, message: bad });
    else if (v.config.trim()) out.config = JSON.parse(v.config);
    return out;
  });
  const body: Record<string, unknown> = {
    name: d.name.trim(),
    description: d.description,
    hypothesis: d.hypothesis,
    variants,
    metrics: d.metrics
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean),
    traffic_allocation: num('traffic_allocation', d.traffic, 100) ?? 1,
    significance_level: num('significance_level', d.alpha) ?? 0.05,
    power: num('power', d.power) ?? 0.8,
    base_rate: num('base_rate', d.baseRate, 100),
    min_detectable_effect: num('min_detectable_effect', d.mde, 100),
    mde_type: d.mdeType,
    target_sample_size: num('target_sample_size', d.target),
  };
  const targetingBad = targetingProblem(d.targeting);
  if (targetingBad) problems.push({ field: 'targeting', message: targetingBad });
  body.targeting = targetingBad || !d.targeting.trim() ? null : JSON.parse(d.targeting);
  body.layer = d.layerName.trim()
    ? {
        name: d.layerName.trim(),
        start: num('layer.start', d.layerStart, 100) ?? 0,
        end: num('layer.end', d.layerEnd, 100) ?? 1,
      }
    : null;
  body.holdouts = d.holdouts;
  body.gate = d.gate.trim() ? { unleash: d.gate.trim() } : null;
  body.plausible = d.plausible;
  if (d.key.trim()) body.key = d.key.trim();
  if (d.salt.trim()) body.salt = d.salt.trim();
  if (editing && d.newPhase) body.new_phase = true;
  return { body, problems };
}

/** The `/api/v1/sample-size` request for the planning fields, when they are complete. */
export function sampleSizeQuery(d: Draft): Record<string, unknown> | null {
  const base = numberOf(d.baseRate);
  const mde = numberOf(d.mde);
  const alpha = numberOf(d.alpha) ?? 0.05;
  const power = numberOf(d.power) ?? 0.8;
  const ok = (x: number | null, lo: number, hi: number) => x !== null && Number.isFinite(x) && x > lo && x < hi;
  if (!ok(base, 0, 100) || mde === null || !Number.isFinite(mde) || mde === 0) return null;
  if (!ok(alpha, 0, 0.5) || !ok(power, 0.49999, 1)) return null;
  return {
    base_rate: (base as number) / 100,
    mde: mde / 100,
    mde_type: d.mdeType,
    alpha,
    power,
    variants: Math.max(2, d.variants.length),
  };
}
