/** The lifecycle table (docs/model.md), so buttons are disabled where the API would say 409. */

import type { Status } from './types';

/** A lifecycle action. */
export type Action = 'start' | 'pause' | 'resume' | 'stop' | 'archive';

/** Every action, in button order. */
export const ACTIONS: Action[] = ['start', 'pause', 'resume', 'stop', 'archive'];

const NEXT: Record<Status, Partial<Record<Action, Status>>> = {
  draft: { start: 'running', archive: 'archived' },
  running: { pause: 'paused', stop: 'stopped' },
  paused: { resume: 'running', stop: 'stopped' },
  stopped: { archive: 'archived' },
  archived: {},
};

/** Whether `action` is legal from `status`. */
export function allowed(status: Status, action: Action): boolean {
  return NEXT[status][action] !== undefined;
}

/** Deleting is refused while users are being assigned. */
export function deletable(status: Status): boolean {
  return status !== 'running' && status !== 'paused';
}

/** Archived experiments are read-only. */
export function editable(status: Status): boolean {
  return status !== 'archived';
}

/** Every status, for filters. */
export const STATUSES: Status[] = ['draft', 'running', 'paused', 'stopped', 'archived'];
