import type { Status } from '../types';

/** A coloured status label. */
export function StatusBadge({ status }: { status: Status }) {
  return (
    <span class={`badge badge-${status}`} data-testid="status">
      {status}
    </span>
  );
}
