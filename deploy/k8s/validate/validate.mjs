// validate.mjs: validates rendered Kubernetes manifests (kubectl kustomize output) OFFLINE.
//
//   node validate.mjs FILE.yaml [FILE.yaml ...]     exit 0 = every document valid, 1 = not
//
// Three layers, each able to fail:
//  1. Schema: every document is checked against the Kubernetes object schema of its apiVersion/kind
//     (the npm package kubernetes-models: JSON schemas generated from Kubernetes' OpenAPI spec,
//     compiled with ajv). Wrong types, missing required fields, bad enum values fail. An
//     apiVersion/kind without a schema fails too.
//  2. Unknown fields: kubernetes-models' schemas leave objects open, so a misspelt field would pass.
//     We walk each document along the model's TypeScript declarations (the same generated
//     definitions, one interface per object type) and reject any field the type does not declare.
//  3. Hadron's own rules for these manifests: selectors match their pod templates, every container
//     has an image, probes, requests and limits and runs non-root with no privilege escalation,
//     referenced ConfigMaps exist, the HPA targets a rendered Deployment, and the frontend's grace
//     period outlasts its preStop sleep plus --drain_timeout_seconds.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";

const here = path.dirname(fileURLToPath(import.meta.url));
const modules = path.join(here, "node_modules");

// ---------- 1. schema ----------
function modelPath(apiVersion, kind) {
  // core "v1" -> kubernetes-models/v1/Kind; "apps/v1" -> kubernetes-models/apps/v1/Kind
  return path.join(modules, "kubernetes-models", ...apiVersion.split("/"), `${kind}.js`);
}

async function schemaErrors(doc) {
  const p = modelPath(doc.apiVersion, doc.kind);
  if (!fs.existsSync(p)) return [`no schema for apiVersion ${doc.apiVersion} kind ${doc.kind}`];
  const mod = await import(p);
  const Model = mod[doc.kind];
  try {
    new Model(doc).validate();
    return [];
  } catch (e) {
    return [String(e.message || e)];
  }
}

// ---------- 2. unknown fields ----------
const declCache = new Map();
// Parses one generated declaration file: the first interface's fields and their types, and the
// files its imported interfaces come from.
function loadDecl(file) {
  if (declCache.has(file)) return declCache.get(file);
  const text = fs.readFileSync(file, "utf8");
  const imports = new Map();
  for (const m of text.matchAll(/import \{ ([^}]+) \} from "([^"]+)";/g)) {
    let target = m[2];
    if (target.startsWith(".")) target = path.resolve(path.dirname(file), target.replace(/\.js$/, ".d.ts"));
    else target = path.join(modules, target.replace(/\.js$/, "") + ".d.ts");
    for (const name of m[1].split(",").map((s) => s.trim())) imports.set(name, target);
  }
  const body = text.match(/export interface \w+(?: extends ([\w, ]+))? \{([\s\S]*?)\n\}/);
  const fields = new Map();
  if (body) {
    // TypeMeta (apiVersion, kind) is the only base interface the generated models extend.
    if (body[1] && body[1].includes("TypeMeta")) for (const f of ["apiVersion", "kind"]) fields.set(f, "string");
    // Top-level fields are indented by 4 spaces; nested inline types by more.
    for (const m of body[2].matchAll(/^ {4}"([^"]+)"\??: ([^;\n]*)/gm)) fields.set(m[1], m[2].trim());
  }
  const decl = { fields, imports };
  declCache.set(file, decl);
  return decl;
}

function fieldErrors(value, file, where, out) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return;
  const { fields, imports } = loadDecl(file);
  if (fields.size === 0) return; // free-form (e.g. a map type declared elsewhere)
  for (const [key, v] of Object.entries(value)) {
    if (!fields.has(key)) {
      out.push(`${where}.${key}: unknown field`);
      continue;
    }
    const type = fields.get(key);
    let m = type.match(/^(I\w+)$/);
    if (m && imports.has(m[1])) {
      fieldErrors(v, imports.get(m[1]), `${where}.${key}`, out);
      continue;
    }
    m = type.match(/^Array<(I\w+)>$/);
    if (m && imports.has(m[1]) && Array.isArray(v)) {
      v.forEach((item, i) => fieldErrors(item, imports.get(m[1]), `${where}.${key}[${i}]`, out));
    }
  }
}

function unknownFieldErrors(doc) {
  const file = modelPath(doc.apiVersion, doc.kind).replace(/\.js$/, ".d.ts");
  if (!fs.existsSync(file)) return [];
  const out = [];
  fieldErrors(doc, file, `${doc.kind}/${doc.metadata?.name}`, out);
  return out;
}

// ---------- 3. Hadron's rules ----------
function podSpecs(doc) {
  if (["Deployment", "StatefulSet", "DaemonSet", "Job"].includes(doc.kind)) return [doc.spec?.template];
  return [];
}

function matches(selector, labels) {
  return Object.entries(selector || {}).every(([k, v]) => (labels || {})[k] === v);
}

function hadronErrors(docs) {
  const out = [];
  const byKind = (k) => docs.filter((d) => d.kind === k);
  const configMaps = new Set(byKind("ConfigMap").map((d) => d.metadata.name));
  const templates = docs.flatMap((d) => podSpecs(d).map((t) => ({ owner: d, t })));

  for (const { owner, t } of templates) {
    const name = `${owner.kind}/${owner.metadata.name}`;
    const sel = owner.spec?.selector?.matchLabels;
    if (!sel || !matches(sel, t?.metadata?.labels)) out.push(`${name}: selector does not match the pod template labels`);
    const spec = t?.spec || {};
    if (spec.securityContext?.runAsNonRoot !== true) out.push(`${name}: pod securityContext.runAsNonRoot must be true`);
    for (const c of spec.containers || []) {
      const cn = `${name} container ${c.name}`;
      if (!c.image) out.push(`${cn}: no image`);
      for (const p of ["readinessProbe", "livenessProbe"]) if (!c[p]) out.push(`${cn}: no ${p}`);
      for (const r of ["requests", "limits"])
        for (const q of ["cpu", "memory"])
          if (!c.resources?.[r]?.[q]) out.push(`${cn}: no resources.${r}.${q}`);
      if (c.securityContext?.allowPrivilegeEscalation !== false) out.push(`${cn}: allowPrivilegeEscalation must be false`);
      if (c.securityContext?.readOnlyRootFilesystem !== true) out.push(`${cn}: readOnlyRootFilesystem must be true`);
    }
    for (const v of spec.volumes || []) {
      if (v.configMap && !configMaps.has(v.configMap.name)) out.push(`${name}: volume ${v.name} names ConfigMap ${v.configMap.name}, not rendered`);
    }
    if (owner.kind === "StatefulSet" && !byKind("Service").some((s) => s.metadata.name === owner.spec.serviceName && s.spec?.clusterIP === "None"))
      out.push(`${name}: serviceName ${owner.spec.serviceName} is not a rendered headless Service`);
  }

  for (const svc of byKind("Service")) {
    const sel = svc.spec?.selector;
    if (sel && !templates.some(({ t }) => matches(sel, t?.metadata?.labels)))
      out.push(`Service/${svc.metadata.name}: selector matches no pod template`);
  }
  for (const pdb of byKind("PodDisruptionBudget")) {
    const sel = pdb.spec?.selector?.matchLabels;
    if (!templates.some(({ t }) => matches(sel, t?.metadata?.labels)))
      out.push(`PodDisruptionBudget/${pdb.metadata.name}: selector matches no pod template`);
  }
  for (const hpa of byKind("HorizontalPodAutoscaler")) {
    const ref = hpa.spec?.scaleTargetRef;
    if (!docs.some((d) => d.kind === ref?.kind && d.metadata.name === ref?.name))
      out.push(`HorizontalPodAutoscaler/${hpa.metadata.name}: target ${ref?.kind}/${ref?.name} not rendered`);
    if ((hpa.spec?.minReplicas ?? 1) > hpa.spec?.maxReplicas)
      out.push(`HorizontalPodAutoscaler/${hpa.metadata.name}: minReplicas > maxReplicas`);
  }
  if (byKind("NetworkPolicy").length === 0) out.push("no NetworkPolicy rendered");

  // Sharding: the frontends' ordered --statesvc list names every statesvc pod, in ordinal order,
  // and the statesvc's --shards equals the StatefulSet's replicas.
  const flagsOf = (spec, c) => {
    const flagFile = (c.args || []).find((a) => a.startsWith("--flagfile="));
    if (!flagFile) return (c.args || []).join("\n");
    const vol = (c.volumeMounts || []).find((m) => flagFile.slice(11).startsWith(m.mountPath + "/"));
    const cmName = vol && (spec.volumes || []).find((v) => v.name === vol.name)?.configMap?.name;
    const cm = byKind("ConfigMap").find((x) => x.metadata.name === cmName);
    return (cm ? Object.values(cm.data || {}).join("\n") : "") + "\n" + (c.args || []).join("\n");
  };
  const sts = byKind("StatefulSet").find((d) => d.metadata.labels?.["app.kubernetes.io/component"] === "statesvc");
  if (sts) {
    const replicas = sts.spec.replicas ?? 1;
    const expected = Array.from({ length: replicas }, (_, i) => `${sts.metadata.name}-${i}.${sts.spec.serviceName}`);
    for (const c of sts.spec.template.spec.containers) {
      const shards = (flagsOf(sts.spec.template.spec, c).match(/--shards=(\d+)/) || [])[1];
      if (shards !== undefined && Number(shards) !== replicas)
        out.push(`StatefulSet/${sts.metadata.name}: --shards=${shards} but replicas ${replicas}`);
    }
    for (const d of byKind("Deployment")) {
      for (const c of d.spec.template.spec.containers) {
        const list = (flagsOf(d.spec.template.spec, c).match(/--statesvc=(\S+)/) || [])[1];
        if (list === undefined) continue;
        const hosts = list.split(",").map((h) => h.replace(/:\d+$/, ""));
        if (hosts.join(",") !== expected.join(","))
          out.push(`Deployment/${d.metadata.name}: --statesvc lists ${hosts.join(",")}, the StatefulSet has ${expected.join(",")}`);
      }
    }
  }

  // The frontend's drain must finish inside the grace period.
  for (const d of byKind("Deployment")) {
    const spec = d.spec.template.spec;
    for (const c of spec.containers) {
      const flagFile = (c.args || []).find((a) => a.startsWith("--flagfile="));
      if (!flagFile) continue;
      const vol = (c.volumeMounts || []).find((m) => flagFile.slice(11).startsWith(m.mountPath + "/"));
      const cmName = vol && (spec.volumes || []).find((v) => v.name === vol.name)?.configMap?.name;
      const cm = byKind("ConfigMap").find((x) => x.metadata.name === cmName);
      const text = cm ? Object.values(cm.data || {}).join("\n") : "";
      const drain = Number((text.match(/--drain_timeout_seconds=(\d+)/) || [])[1] || 0);
      const pre = c.lifecycle?.preStop?.exec?.command || [];
      const sleep = pre.length && /sleep$/.test(pre[0]) ? Number(pre[1]) : 0;
      const grace = spec.terminationGracePeriodSeconds ?? 30;
      if (sleep + drain >= grace)
        out.push(`Deployment/${d.metadata.name}: terminationGracePeriodSeconds ${grace} <= preStop ${sleep}s + drain ${drain}s`);
    }
  }
  return out;
}

// ---------- main ----------
const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node validate.mjs FILE.yaml [...]");
  process.exit(2);
}
let failed = 0;
for (const f of files) {
  const docs = YAML.parseAllDocuments(fs.readFileSync(f, "utf8")).map((d) => {
    if (d.errors.length) throw new Error(`${f}: ${d.errors[0].message}`);
    return d.toJS();
  }).filter((d) => d);
  const errors = [];
  for (const doc of docs) {
    if (!doc.apiVersion || !doc.kind) {
      errors.push(`document without apiVersion/kind`);
      continue;
    }
    const name = `${doc.kind}/${doc.metadata?.name}`;
    for (const e of await schemaErrors(doc)) errors.push(`${name}: schema: ${e}`);
    for (const e of unknownFieldErrors(doc)) errors.push(`schema: ${e}`);
  }
  errors.push(...hadronErrors(docs));
  if (errors.length) {
    failed++;
    console.log(`INVALID ${f} (${docs.length} objects):`);
    for (const e of errors) console.log(`  ${e}`);
  } else {
    console.log(`valid ${f} (${docs.length} objects: ${docs.map((d) => d.kind).join(", ")})`);
  }
}
process.exit(failed ? 1 : 0);
