// Reads deploy/backstage/catalog-info.yaml as Backstage would (npm `yaml`), checks it is a
// catalog entity, and prints the experiment keys of its `fawkes.io/experiments` annotation
// as a JSON array for tests/tests/backstage_catalog.rs.
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';

const doc = parseDocument(readFileSync('deploy/backstage/catalog-info.yaml', 'utf8'));
if (doc.errors.length > 0) throw new Error(`YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
const entity = doc.toJS();
const need = (ok, what) => {
  if (!ok) throw new Error(`catalog-info.yaml: ${what}`);
};
need(entity.apiVersion === 'backstage.io/v1alpha1', 'apiVersion must be backstage.io/v1alpha1');
need(typeof entity.kind === 'string', 'kind is required');
need(/^[a-z0-9A-Z]([-_.a-z0-9A-Z]{0,61}[a-z0-9A-Z])?$/.test(entity.metadata?.name ?? ''), 'metadata.name is not a valid entity name');
need(typeof entity.spec?.owner === 'string', 'spec.owner is required');
const annotation = entity.metadata?.annotations?.['fawkes.io/experiments'];
need(typeof annotation === 'string' && annotation.length > 0, 'the fawkes.io/experiments annotation is missing');
const keys = annotation.split(',').map((k) => k.trim()).filter((k) => k.length > 0);
need(keys.length > 0, 'the annotation names no experiment');
console.log(JSON.stringify(keys));
