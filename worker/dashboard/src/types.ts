/**
 * The dashboard's names for the API's shapes. Every shape comes from `api-schema.ts`, which
 * `make openapi` generates from the OpenAPI document (npm openapi-typescript); nothing here
 * restates a field.
 */
import type { components } from './api-schema';

type Schemas = components['schemas'];

/** Lifecycle state of an experiment. */
export type Status = Schemas['Status'];
/** One arm of an experiment. */
export type Variant = Schemas['Variant'];
/** An experiment. */
export type Experiment = Schemas['Experiment'];
/** `GET /api/v1/progress` entry. */
export type Progress = Schemas['ExperimentProgress'];
/** Per-variant description in a report. */
export type VariantReport = Schemas['VariantReport'];
/** A treatment against the control. */
export type Comparison = Schemas['Comparison'];
/** The core's analysis (`POST /api/v1/analyze`). */
export type Report = Schemas['Report'];
/** `GET /api/v1/experiments/{id}/stats`: the analysis of one experiment's metric. */
export type StatsReport = Schemas['StatsResponse'];
/** `POST /api/v1/sample-size`. */
export type SampleSize = Schemas['SampleSizeResponse'];
/** One problem with a field: the server's (with its `code`), or one the form finds itself. */
export type FieldProblem = Omit<Schemas['FieldError'], 'code'> & Partial<Pick<Schemas['FieldError'], 'code'>>;
/** An error answer's body. */
export type ErrorBody = Schemas['ErrorBody'];
/** An experiment's range of an exclusion layer. */
export type LayerRange = Schemas['LayerRange'];
/** A holdout. */
export type Holdout = Schemas['Holdout'];
/** A saved group. */
export type SavedGroup = Schemas['SavedGroup'];
/** `POST /api/v1/experiments/{id}/evaluate`: the dry run's answer. */
export type Evaluation = Schemas['EvaluateResponse'];
/** `POST /api/v1/targeting/check`: a condition the server accepts. */
export type TargetingCheck = Schemas['CheckResponse'];
/** Results by segment (`/stats?dimension=`). */
export type Segments = Schemas['Segments'];

/** A holdout's results: `held_out` (control) against `exposed`. */
export type HoldoutResults = Schemas['HoldoutResults'];
/** `DELETE /api/v1/units/{id}`: what removing a unit removed. */
export type UnitDeleted = Schemas['UnitDeleted'];
/** `GET /api/v1/integrations`: how Unleash and Plausible are doing. */
export type Integrations = Schemas['Integrations'];
/** `POST /api/v1/unleash/refresh`: how the fetch went. */
export type UnleashStatus = Schemas['UnleashStatus'];
