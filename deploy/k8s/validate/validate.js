#!/usr/bin/env node
// Validates rendered Kubernetes manifests (the output of `kubectl kustomize`), offline.
//
//   node validate.js --work DIR --repo ROOT NAME=rendered.yaml...
//
// DIR holds node_modules (npm ci of this folder's package-lock.json) and receives a
// generated TypeScript file; ROOT is the repository. Each NAME=file is one render.
// Every object must pass:
//   1. its schema: built-in kinds by kubernetes-models (types, required fields, formats
//      such as quantities), keda.sh and monitoring.coreos.com kinds by schemas/*.json;
//      a kind with no schema is an error;
//   2. unknown fields: built-in kinds are written into a TypeScript file typed with
//      kubernetes-models' interfaces and compiled (excess property checks), the CRD
//      schemas reject them themselves;
//   3. bulkd's own rules: selectors that select something, named ports and probe paths
//      that exist, config and credentials that bulkd reads, the pod security settings,
//      autoscalers pointing at the StatefulSet and at the group/topic in the config.
// Prints every problem and exits 1 if there is any.
'use strict';

const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const args = process.argv.slice(2);
let workDir = null;
let repo = null;
const renders = [];
for (let i = 0; i < args.length; ++i) {
  if (args[i] === '--work') workDir = args[++i];
  else if (args[i] === '--repo') repo = args[++i];
  else {
    const eq = args[i].indexOf('=');
    if (eq <= 0) usage();
    renders.push({ name: args[i].slice(0, eq), file: args[i].slice(eq + 1) });
  }
}
if (!workDir || !repo || renders.length === 0) usage();
function usage() {
  console.error('usage: validate.js --work DIR --repo ROOT NAME=rendered.yaml...');
  process.exit(2);
}

const modules = path.join(path.resolve(workDir), 'node_modules');
const need = (name) => require(path.join(modules, name));
const YAML = need('yaml');
const Ajv = need('ajv');

const problems = [];
function problem(render, obj, message) {
  const where = obj ? `${obj.kind || '?'}/${(obj.metadata && obj.metadata.name) || '?'}` : '-';
  problems.push(`${render.name}: ${where}: ${message}`);
}

// --- 1. schemas ------------------------------------------------------------------
const ajv = new Ajv({ allErrors: true, strict: true });
const crdSchemas = {};
const schemaDir = path.join(__dirname, 'schemas');
for (const f of fs.readdirSync(schemaDir).filter((n) => n.endsWith('.json'))) {
  const [group, version, kind] = f.replace(/\.json$/, '').split('_');
  crdSchemas[`${group}/${version}/${kind}`] = ajv.compile(JSON.parse(fs.readFileSync(path.join(schemaDir, f), 'utf8')));
}

// kubernetes-models lays its models out as <group>/<version>/<Kind> ("v1/ConfigMap" for
// the core group); the class validates, the interface I<Kind> is the TypeScript type.
function builtinModule(apiVersion, kind) {
  const parts = apiVersion.split('/');
  const rel = parts.length === 1 ? `${parts[0]}/${kind}` : `${parts[0]}/${parts[1]}/${kind}`;
  const file = path.join(modules, 'kubernetes-models', `${rel}.js`);
  return fs.existsSync(file) ? { file, spec: `kubernetes-models/${rel}`, kind } : null;
}

const tsLines = [];
let tsCount = 0;
const tsOrigin = [];  // line in the TS file -> [render, object]

function loadRender(render) {
  const text = fs.readFileSync(render.file, 'utf8');
  const docs = YAML.parseAllDocuments(text);
  const objects = [];
  for (const doc of docs) {
    if (doc.errors.length) {
      problem(render, null, `YAML: ${doc.errors[0].message}`);
      continue;
    }
    const obj = doc.toJS();
    if (obj === null || obj === undefined) continue;
    objects.push(obj);
  }
  if (objects.length === 0) problem(render, null, 'the render has no objects');
  return objects;
}

function checkSchema(render, obj) {
  if (typeof obj !== 'object' || Array.isArray(obj) || typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string') {
    problem(render, null, 'a document that is not a Kubernetes object (apiVersion and kind)');
    return;
  }
  const key = `${obj.apiVersion.split('/')[0]}/${obj.apiVersion.split('/')[1]}/${obj.kind}`;
  if (crdSchemas[key]) {
    const validate = crdSchemas[key];
    if (!validate(obj)) {
      for (const e of validate.errors) problem(render, obj, `schema: ${e.instancePath || '/'} ${e.message}${e.params && e.params.additionalProperty ? ` (${e.params.additionalProperty})` : ''}`);
    }
    return;
  }
  const mod = builtinModule(obj.apiVersion, obj.kind);
  if (!mod) {
    problem(render, obj, `no schema for ${obj.apiVersion} ${obj.kind}: add one (schemas/README.md)`);
    return;
  }
  const Model = require(mod.file)[obj.kind];
  try {
    new Model(obj).validate();
  } catch (e) {
    problem(render, obj, `schema: ${e.message}`);
  }
  const id = `o${tsCount++}`;
  tsLines.push(`import type { I${obj.kind} as T${id} } from ${JSON.stringify(mod.spec)};`);
  tsOrigin.push(null);
  tsLines.push(`export const ${id}: T${id} = ${JSON.stringify(obj)};`);
  tsOrigin.push([render, obj]);
}

// --- 2. unknown fields (TypeScript excess property checks) ------------------------
function checkUnknownFields() {
  if (tsCount === 0) return;
  const dir = path.resolve(workDir);
  const tsFile = path.join(dir, 'rendered-objects.ts');
  fs.writeFileSync(tsFile, tsLines.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, module: 'commonjs', moduleResolution: 'node', target: 'es2020', types: [], skipLibCheck: true },
    files: ['rendered-objects.ts'],
  }));
  try {
    execFileSync(process.execPath, [path.join(modules, 'typescript', 'lib', 'tsc.js'), '-p', dir], { cwd: dir, encoding: 'utf8' });
  } catch (e) {
    const out = `${e.stdout || ''}${e.stderr || ''}`;
    let matched = 0;
    for (const line of out.split('\n')) {
      const m = /^rendered-objects\.ts\((\d+),\d+\): error TS\d+: (.*)$/.exec(line.trim());
      if (!m) continue;
      const origin = tsOrigin[Number(m[1]) - 1];
      ++matched;
      if (origin) problem(origin[0], origin[1], `type: ${m[2]}`);
      else problems.push(`typescript: ${m[2]}`);
    }
    if (matched === 0) problems.push(`typescript failed: ${out.trim() || e.message}`);
  }
}

// --- 3. bulkd's rules ----------------------------------------------------------------
const ADMIN_PATHS = ['/livez', '/readyz', '/metrics'];  // dispatcher/http/admin_server.cc

function matches(selector, labels) {
  if (!selector || !selector.matchLabels || Object.keys(selector.matchLabels).length === 0) return false;
  return Object.entries(selector.matchLabels).every(([k, v]) => labels && labels[k] === v);
}

// Every BULKD_* name the daemon reads, from its sources.
function bulkdEnvNames() {
  const names = new Set();
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (/\.(cc|h)$/.test(entry.name)) {
        for (const m of fs.readFileSync(p, 'utf8').matchAll(/"(BULKD_[A-Z0-9_]+)"/g)) names.add(m[1]);
      }
    }
  };
  walk(path.join(repo, 'dispatcher'));
  return names;
}
// Reserved for Kafka static membership (group.instance.id); not read by bulkd yet.
const RESERVED_ENV = new Set(['BULKD_INSTANCE_ID']);

function exampleSecretKeys() {
  const file = path.join(repo, 'deploy', 'k8s', 'secrets', 'bulkd-credentials.example.env');
  return new Set(fs.readFileSync(file, 'utf8').split('\n')
    .filter((l) => /^[A-Za-z0-9_.-]+=/.test(l)).map((l) => l.slice(0, l.indexOf('='))));
}

function checkRules(render, objects, envNames, secretKeys) {
  const of = (kind) => objects.filter((o) => o.kind === kind);
  const named = (kind, name) => of(kind).find((o) => o.metadata && o.metadata.name === name);
  const sets = of('StatefulSet');
  if (sets.length !== 1) {
    problem(render, null, `expected one StatefulSet, found ${sets.length}`);
    return;
  }
  const sts = sets[0];
  const tmpl = (sts.spec && sts.spec.template) || {};
  const podLabels = (tmpl.metadata && tmpl.metadata.labels) || {};
  const pod = tmpl.spec || {};
  const containers = pod.containers || [];
  const bulkd = containers.find((c) => c.name === 'bulkd');
  if (!bulkd) { problem(render, sts, 'no container named bulkd'); return; }
  const portNames = new Set((bulkd.ports || []).map((p) => p.name));

  // Namespaces: one, set on every namespaced object.
  const namespaces = new Set(objects.filter((o) => o.kind !== 'Namespace').map((o) => o.metadata && o.metadata.namespace));
  if (namespaces.size !== 1 || namespaces.has(undefined)) problem(render, null, `objects are spread over namespaces ${[...namespaces].join(', ')}`);
  for (const ns of of('Namespace')) if (!namespaces.has(ns.metadata.name)) problem(render, ns, 'a Namespace no object is in');

  // Selectors.
  if (!matches(sts.spec.selector, podLabels)) problem(render, sts, 'spec.selector does not select the pod template');
  const svc = named('Service', sts.spec.serviceName);
  if (!svc) problem(render, sts, `serviceName ${sts.spec.serviceName} names no Service`);
  for (const s of of('Service')) {
    if (!matches({ matchLabels: s.spec.selector }, podLabels)) problem(render, s, 'selector does not select the bulkd pods');
    for (const p of s.spec.ports || []) {
      if (typeof p.targetPort === 'string' && !portNames.has(p.targetPort)) problem(render, s, `targetPort ${p.targetPort} is no container port`);
    }
  }
  for (const o of [...of('PodDisruptionBudget'), ...of('NetworkPolicy')]) {
    const sel = o.kind === 'NetworkPolicy' ? o.spec.podSelector : o.spec.selector;
    if (!matches(sel, podLabels)) problem(render, o, 'selector does not select the bulkd pods');
  }
  for (const sm of of('ServiceMonitor')) {
    const targets = of('Service').filter((s) => matches(sm.spec.selector, s.metadata.labels));
    if (targets.length === 0) problem(render, sm, 'selector selects no Service');
    for (const ep of sm.spec.endpoints || []) {
      if (!targets.some((s) => (s.spec.ports || []).some((p) => p.name === ep.port))) problem(render, sm, `endpoint port ${ep.port} is no port of the selected Service`);
      if (ep.path && !ADMIN_PATHS.includes(ep.path)) problem(render, sm, `path ${ep.path} is not served by bulkd's admin server`);
    }
  }

  // Probes: on the admin port, at paths the admin server serves.
  for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
    const p = bulkd[probe];
    if (!p) { if (probe !== 'startupProbe') problem(render, sts, `no ${probe}`); continue; }
    const get = p.httpGet;
    if (!get) { problem(render, sts, `${probe} is not an httpGet`); continue; }
    if (!ADMIN_PATHS.includes(get.path)) problem(render, sts, `${probe} path ${get.path} is not served by bulkd's admin server`);
    if (typeof get.port === 'string' && !portNames.has(get.port)) problem(render, sts, `${probe} port ${get.port} is no container port`);
  }
  if (bulkd.livenessProbe && bulkd.livenessProbe.httpGet && bulkd.livenessProbe.httpGet.path === '/readyz') problem(render, sts, 'liveness on /readyz would restart every worker when Redis is down');

  // Security settings.
  const psc = pod.securityContext || {};
  for (const c of containers) {
    const sc = c.securityContext || {};
    if (sc.allowPrivilegeEscalation !== false) problem(render, sts, `container ${c.name}: allowPrivilegeEscalation is not false`);
    if (sc.readOnlyRootFilesystem !== true) problem(render, sts, `container ${c.name}: readOnlyRootFilesystem is not true`);
    if (!(sc.capabilities && (sc.capabilities.drop || []).includes('ALL'))) problem(render, sts, `container ${c.name}: capabilities do not drop ALL`);
    if (sc.runAsNonRoot !== true && psc.runAsNonRoot !== true) problem(render, sts, `container ${c.name}: not runAsNonRoot`);
    const seccomp = (sc.seccompProfile || psc.seccompProfile || {}).type;
    if (seccomp !== 'RuntimeDefault') problem(render, sts, `container ${c.name}: seccomp profile is ${seccomp || 'unset'}, not RuntimeDefault`);
    const r = c.resources || {};
    for (const k of ['cpu', 'memory']) if (!(r.requests && r.requests[k])) problem(render, sts, `container ${c.name}: no ${k} request`);
    if (!(r.limits && r.limits.memory)) problem(render, sts, `container ${c.name}: no memory limit`);
  }
  if (pod.terminationGracePeriodSeconds === undefined) problem(render, sts, 'no terminationGracePeriodSeconds');

  // Environment: every BULKD_* variable is one bulkd reads; credentials come from the
  // Secret keys listed in the example file.
  for (const e of bulkd.env || []) {
    if (e.name.startsWith('BULKD_') && !envNames.has(e.name) && !RESERVED_ENV.has(e.name)) problem(render, sts, `env ${e.name} is not read by bulkd (dispatcher/)`);
    const ref = e.valueFrom && e.valueFrom.secretKeyRef;
    if (ref && !secretKeys.has(ref.key)) problem(render, sts, `env ${e.name}: Secret key ${ref.key} is not in deploy/k8s/secrets/bulkd-credentials.example.env`);
  }
  const id = (bulkd.env || []).find((e) => e.name === 'BULKD_INSTANCE_ID');
  if (!id || !id.valueFrom || !id.valueFrom.fieldRef || id.valueFrom.fieldRef.fieldPath !== 'metadata.name') problem(render, sts, 'BULKD_INSTANCE_ID is not the pod name');

  // The config: a mounted ConfigMap holding the file named by --config.
  const cargs = bulkd.args || [];
  const configPath = cargs[cargs.indexOf('--config') + 1];
  let config = null;
  if (cargs.indexOf('--config') < 0 || !configPath) problem(render, sts, 'bulkd is not started with --config');
  else {
    const mount = (bulkd.volumeMounts || []).find((m) => configPath.startsWith(m.mountPath.replace(/\/$/, '') + '/'));
    const volume = mount && (pod.volumes || []).find((v) => v.name === mount.name);
    const cm = volume && volume.configMap && named('ConfigMap', volume.configMap.name);
    const key = mount && configPath.slice(mount.mountPath.replace(/\/$/, '').length + 1);
    if (!cm || !cm.data || typeof cm.data[key] !== 'string') problem(render, sts, `--config ${configPath} is not a key of a ConfigMap in the render`);
    else {
      try { config = YAML.parse(cm.data[key]) || {}; } catch (e) { problem(render, cm, `${key}: ${e.message}`); }
    }
  }
  if (config) {
    const admin = config.admin || {};
    if ((admin.port === undefined ? 9464 : admin.port) !== 9464 || !portNames.has('admin') || bulkd.ports.find((p) => p.name === 'admin').containerPort !== 9464) problem(render, sts, 'admin.port in the config and the admin container port differ');
    if (admin.bind !== '0.0.0.0') problem(render, sts, `admin.bind is ${admin.bind || '127.0.0.1 (default)'}: probes and scrapes cannot reach it`);
  }

  // Autoscalers: at the StatefulSet, within the partition count's bound, on the config's
  // group and topic.
  const kafka = (config && config.kafka) || {};
  for (const so of of('ScaledObject')) {
    const t = so.spec.scaleTargetRef || {};
    if (t.kind !== 'StatefulSet' || t.name !== sts.metadata.name) problem(render, so, `scaleTargetRef is ${t.kind}/${t.name}, not the StatefulSet`);
    if (!(so.spec.minReplicaCount <= so.spec.maxReplicaCount)) problem(render, so, 'minReplicaCount is not <= maxReplicaCount');
    for (const tr of so.spec.triggers || []) {
      if (tr.type !== 'kafka') continue;
      const m = tr.metadata || {};
      if (m.consumerGroup !== (kafka.group_id || 'bulkd')) problem(render, so, `consumerGroup ${m.consumerGroup} is not kafka.group_id ${kafka.group_id || 'bulkd'}`);
      if (m.topic !== (kafka.jobs_topic || 'bulkd.jobs')) problem(render, so, `topic ${m.topic} is not kafka.jobs_topic`);
      if (m.bootstrapServers !== kafka.brokers) problem(render, so, `bootstrapServers ${m.bootstrapServers} is not kafka.brokers ${kafka.brokers}`);
      if (!/^[1-9][0-9]*$/.test(m.lagThreshold || '')) problem(render, so, 'lagThreshold is not a positive integer');
    }
  }
  for (const hpa of of('HorizontalPodAutoscaler')) {
    const t = hpa.spec.scaleTargetRef || {};
    if (t.kind !== 'StatefulSet' || t.name !== sts.metadata.name) problem(render, hpa, `scaleTargetRef is ${t.kind}/${t.name}, not the StatefulSet`);
  }
  if (of('ScaledObject').length + of('HorizontalPodAutoscaler').length > 1) problem(render, null, 'more than one autoscaler for the StatefulSet');
}

const envNames = bulkdEnvNames();
const secretKeys = exampleSecretKeys();
let total = 0;
for (const render of renders) {
  const objects = loadRender(render);
  total += objects.length;
  for (const obj of objects) checkSchema(render, obj);
  if (objects.length) checkRules(render, objects, envNames, secretKeys);
}
checkUnknownFields();

if (problems.length) {
  for (const p of problems) console.log(`FAIL ${p}`);
  console.log(`${problems.length} problem(s) in ${renders.length} render(s)`);
  process.exit(1);
}
for (const render of renders) console.log(`ok ${render.name}`);
console.log(`${total} objects in ${renders.length} render(s) valid`);
