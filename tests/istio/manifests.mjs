// Validates deploy/istio/wasmplugin.yaml offline: the WasmPlugin against Istio's CRD schema
// (@kubernetes-models/istio), the ConfigMap as a Kubernetes object with a JSON bootstrap.
// Prints {"plugin_config": ..., "bootstrap": ...} for tests/tests/istio_manifests.rs, which
// runs both configurations through the filter's own parser and Envoy.
// Usage: node tests/istio/manifests.mjs
import { readFileSync } from 'node:fs';
import { WasmPlugin } from '@kubernetes-models/istio/extensions.istio.io/v1alpha1/WasmPlugin';
import { parseAllDocuments } from 'yaml';

const docs = parseAllDocuments(readFileSync('deploy/istio/wasmplugin.yaml', 'utf8'));
for (const d of docs) {
  if (d.errors.length > 0) throw new Error(`YAML: ${d.errors.map((e) => e.message).join('; ')}`);
}
const objects = docs.map((d) => d.toJS());
const plugin = objects.find((o) => o.kind === 'WasmPlugin');
const configMap = objects.find((o) => o.kind === 'ConfigMap');
if (!plugin || !configMap) throw new Error('expected a WasmPlugin and a ConfigMap');
new WasmPlugin(plugin).validate(); // throws naming the field on a schema violation
if (configMap.apiVersion !== 'v1' || typeof configMap.metadata?.name !== 'string') {
  throw new Error('the ConfigMap needs apiVersion v1 and metadata.name');
}
const bootstrap = JSON.parse(configMap.data['custom_bootstrap.json']);
console.log(JSON.stringify({ plugin_config: plugin.spec.pluginConfig, bootstrap }));
