import { percent } from '../format';

/** Progress towards the planned sample size (an accessible `<progress>` with its label). */
export function ProgressBar({ value, label }: { value: number | null; label?: string }) {
  if (value == null) return <span class="muted">no plan</span>;
  return (
    <span class="progress-cell">
      <progress max={1} value={value} aria-label={label ?? 'sample-size progress'} />
      <span class="progress-text">{percent(value, 0)}</span>
    </span>
  );
}
