/** The wire model as the API returns it (docs/model.md). */

/** Lifecycle state of an experiment. */
export type Status = 'draft' | 'running' | 'paused' | 'stopped' | 'archived';

/** One arm of an experiment. */
export interface Variant {
  name: string;
  weight?: number | null;
  allocation?: number | null;
  is_control?: boolean;
  description?: string;
  config?: unknown;
}

/** An experiment. */
export interface Experiment {
  id: string;
  key: string;
  name: string;
  description?: string;
  hypothesis?: string;
  status: Status;
  variants: Variant[];
  metrics?: string[];
  traffic_allocation?: number;
  salt?: string | null;
  significance_level?: number;
  target_sample_size?: number | null;
  base_rate?: number | null;
  min_detectable_effect?: number | null;
  mde_type?: 'relative' | 'absolute';
  power?: number;
  created_at?: number;
  updated_at?: number;
  started_at?: number | null;
  stopped_at?: number | null;
}

/** `GET /api/v1/progress` entry. */
export interface Progress {
  experiment_id: string;
  status: Status;
  users: number;
  smallest_variant_users: number;
  required_sample_size: number | null;
  progress: number | null;
}

/** Per-variant description in a report. */
export interface VariantReport {
  variant: string;
  sample_size: number;
  conversions: number;
  conversion_rate: number;
  mean_value: number;
  std_dev: number;
  confidence_interval: [number, number] | null;
}

/** A treatment against the control. */
export interface Comparison {
  variant: string;
  test: string;
  statistic: number | null;
  p_value: number | null;
  adjusted_p_value: number | null;
  difference: number;
  difference_ci: [number, number] | null;
  relative_lift: number | null;
  significant: boolean;
  probability_to_beat_control: number | null;
  expected_loss: number | null;
}

/** Sample ratio mismatch check. */
export interface Srm {
  chi2: number;
  df: number;
  p_value: number;
  mismatch: boolean;
}

/** The core's analysis (`POST /api/v1/analyze`). */
export interface Report {
  metric_type: 'binary' | 'continuous';
  variants: VariantReport[];
  control_variant: string;
  winner: string | null;
  statistical_significance: boolean;
  p_value: number | null;
  confidence_level: number;
  recommendation: string;
  alpha: number;
  correction: string;
  comparisons: Comparison[];
  srm: Srm | null;
  required_sample_size: number | null;
  progress: number | null;
}

/** `GET /api/v1/experiments/{id}/stats`: the analysis of one experiment's metric. */
export interface StatsReport extends Report {
  experiment_id: string;
  experiment_name: string;
  status: Status;
  metric: string;
}

/** `POST /api/v1/sample-size`. */
export interface SampleSize {
  sample_size_per_variant: number;
  total_sample_size: number;
  base_rate: number;
  treatment_rate: number;
  variants: number;
}

/** One problem the server found with a field. */
export interface FieldProblem {
  field: string;
  code?: string;
  message: string;
}
