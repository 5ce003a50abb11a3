import { useState } from 'preact/hooks';
import { ApiError, request } from '../api';
import { CiChart } from '../components/CiChart';
import { ProblemList } from '../components/FieldError';
import { Notice } from '../components/Notice';
import { ResultsTables } from '../components/ResultsTables';
import { SampleSizeEstimate } from '../components/SampleSizeEstimate';
import { numberOf } from '../draft';
import type { FieldProblem, Report } from '../types';

interface Arm {
  name: string;
  users: string;
  conversions: string;
}

/** The stateless endpoints: plan a sample size, or analyse counts, with no experiment. */
export function Calculator() {
  return (
    <section class="calculator">
      <h1>Calculators</h1>
      <p class="muted">These use the public endpoints <code>/api/v1/sample-size</code> and <code>/api/v1/analyze</code>; nothing is stored.</p>
      <SampleSizeCard />
      <AnalyzeCard />
    </section>
  );
}

function SampleSizeCard() {
  const [base, setBase] = useState('10');
  const [mde, setMde] = useState('10');
  const [mdeType, setMdeType] = useState<'relative' | 'absolute'>('relative');
  const [alpha, setAlpha] = useState('0.05');
  const [power, setPower] = useState('0.8');
  const [variants, setVariants] = useState('2');
  const n = (t: string) => numberOf(t);
  const b = n(base);
  const m = n(mde);
  const query =
    b !== null && m !== null && Number.isFinite(b) && Number.isFinite(m)
      ? {
          base_rate: b / 100,
          mde: m / 100,
          mde_type: mdeType,
          alpha: n(alpha) ?? 0.05,
          power: n(power) ?? 0.8,
          variants: Math.round(n(variants) ?? 2),
        }
      : null;
  return (
    <div class="card" data-testid="sample-size-calculator">
      <h2>Sample size</h2>
      <div class="grid3">
        <label>
          Base conversion rate (%)
          <input inputMode="decimal" value={base} onInput={(e) => setBase(e.currentTarget.value)} data-field="base_rate" />
        </label>
        <label>
          Minimum detectable effect ({mdeType === 'relative' ? '% of the base rate' : 'percentage points'})
          <input inputMode="decimal" value={mde} onInput={(e) => setMde(e.currentTarget.value)} data-field="mde" />
        </label>
        <label>
          Effect is
          <select value={mdeType} onChange={(e) => setMdeType(e.currentTarget.value as 'relative' | 'absolute')}>
            <option value="relative">relative</option>
            <option value="absolute">absolute</option>
          </select>
        </label>
        <label>
          Significance level α
          <input inputMode="decimal" value={alpha} onInput={(e) => setAlpha(e.currentTarget.value)} data-field="alpha" />
        </label>
        <label>
          Power
          <input inputMode="decimal" value={power} onInput={(e) => setPower(e.currentTarget.value)} data-field="power" />
        </label>
        <label>
          Variants (incl. control)
          <input inputMode="numeric" value={variants} onInput={(e) => setVariants(e.currentTarget.value)} data-field="variants" />
        </label>
      </div>
      <SampleSizeEstimate query={query} />
    </div>
  );
}

function AnalyzeCard() {
  const [arms, setArms] = useState<Arm[]>([
    { name: 'control', users: '1000', conversions: '100' },
    { name: 'treatment', users: '1000', conversions: '125' },
  ]);
  const [alpha, setAlpha] = useState('0.05');
  const [report, setReport] = useState<Report | null>(null);
  const [problems, setProblems] = useState<FieldProblem[]>([]);
  const [error, setError] = useState<string | null>(null);
  const set = (i: number, patch: Partial<Arm>) => setArms(arms.map((a, j) => (i === j ? { ...a, ...patch } : a)));

  async function analyze(e: Event) {
    e.preventDefault();
    setError(null);
    setProblems([]);
    const body = {
      alpha: numberOf(alpha) ?? 0.05,
      variants: arms.map((a) => ({
        name: a.name.trim(),
        sample_size: numberOf(a.users) ?? 0,
        conversions: numberOf(a.conversions) ?? 0,
      })),
    };
    try {
      setReport(await request<Report>('POST', '/api/v1/analyze', body, null));
    } catch (err) {
      const failure = err as ApiError;
      setReport(null);
      setProblems(failure.problems());
      setError(failure.message);
    }
  }

  return (
    <form class="card" onSubmit={analyze} noValidate data-testid="analyze-calculator">
      <h2>Analyse counts</h2>
      <table class="responsive arms">
        <thead>
          <tr>
            <th>Variant (first is control)</th>
            <th>Users</th>
            <th>Conversions</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {arms.map((a, i) => (
            <tr>
              <td data-label="Variant">
                <input value={a.name} aria-label={`variant ${i + 1} name`} onInput={(e) => set(i, { name: e.currentTarget.value })} />
              </td>
              <td data-label="Users">
                <input inputMode="numeric" value={a.users} aria-label={`variant ${i + 1} users`} onInput={(e) => set(i, { users: e.currentTarget.value })} />
              </td>
              <td data-label="Conversions">
                <input
                  inputMode="numeric"
                  value={a.conversions}
                  aria-label={`variant ${i + 1} conversions`}
                  onInput={(e) => set(i, { conversions: e.currentTarget.value })}
                />
              </td>
              <td>
                <button type="button" class="danger small" disabled={arms.length <= 2} onClick={() => setArms(arms.filter((_, j) => j !== i))}>
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="actions">
        <button type="button" onClick={() => setArms([...arms, { name: `variant-${arms.length}`, users: '', conversions: '' }])}>
          Add variant
        </button>
        <label class="inline">
          α <input class="narrow" inputMode="decimal" value={alpha} onInput={(e) => setAlpha(e.currentTarget.value)} />
        </label>
        <button type="submit" class="primary" data-testid="analyze">
          Analyse
        </button>
      </div>
      {error && (
        <Notice kind="error">
          {error}
          {problems.length > 1 && <ProblemList problems={problems} />}
        </Notice>
      )}
      {report && (
        <div data-testid="analysis">
          <Notice kind={report.statistical_significance ? 'success' : 'info'}>{report.recommendation}</Notice>
          <CiChart report={report} />
          <ResultsTables report={report} />
        </div>
      )}
    </form>
  );
}
