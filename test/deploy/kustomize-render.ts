import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

/**
 * Test support: renders a Kustomize folder the way `kubectl apply -k` would, for the small
 * subset our overlays use (so CI needs no kustomize binary and no cluster):
 *
 *   resources   YAML files and other kustomization folders
 *   namespace   set on every namespaced object
 *   labels      `pairs` added to metadata.labels
 *   images      `name` → `newName:newTag` in container images
 *   patches     JSON 6902 (`- {op, path, value}`) with a `target` of kind + name
 *
 * Any other field makes it throw, so an overlay can never silently use a feature that
 * the test does not render.
 */
export type K8sObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
};

const SUPPORTED = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'labels', 'images', 'patches']);
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);

interface Kustomization {
  resources?: string[];
  namespace?: string;
  labels?: Array<{ pairs: Record<string, string> }>;
  images?: Array<{ name: string; newName?: string; newTag?: string }>;
  patches?: Array<{ target: { kind: string; name: string }; patch: string }>;
}

export function renderKustomization(dir: string): K8sObject[] {
  const k = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as Kustomization &
    Record<string, unknown>;
  for (const key of Object.keys(k)) {
    if (!SUPPORTED.has(key))
      throw new Error(`${dir}/kustomization.yaml: field "${key}" is not rendered by the test`);
  }
  let objects: K8sObject[] = [];
  for (const r of k.resources ?? []) {
    const path = join(dir, r);
    if (r.endsWith('.yaml') || r.endsWith('.yml')) objects.push(...readObjects(path));
    else objects.push(...renderKustomization(path));
  }
  for (const { pairs } of k.labels ?? []) {
    for (const o of objects) o.metadata.labels = { ...(o.metadata.labels ?? {}), ...pairs };
  }
  for (const p of k.patches ?? []) {
    const matches = objects.filter((o) => o.kind === p.target.kind && o.metadata.name === p.target.name);
    if (matches.length !== 1)
      throw new Error(
        `${dir}: patch target ${p.target.kind}/${p.target.name} matches ${matches.length} objects`,
      );
    const ops = parse(p.patch) as Array<{ op: string; path: string; value?: unknown }>;
    objects = objects.map((o) => (o === matches[0] ? applyJsonPatch(o, ops) : o));
  }
  for (const image of k.images ?? []) {
    for (const c of containers(objects)) {
      const [name] = String(c.image).split(':');
      if (name === image.name) c.image = `${image.newName ?? image.name}:${image.newTag ?? 'latest'}`;
    }
  }
  if (k.namespace) {
    for (const o of objects) if (!CLUSTER_SCOPED.has(o.kind)) o.metadata.namespace = k.namespace;
  }
  return objects;
}

function readObjects(path: string): K8sObject[] {
  return parseAllDocuments(readFileSync(path, 'utf8'))
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`${path}: ${d.errors[0]!.message}`);
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

/** RFC 6902 add / replace / remove with RFC 6901 pointers (what our overlays use). */
export function applyJsonPatch<T>(doc: T, ops: Array<{ op: string; path: string; value?: unknown }>): T {
  const out = structuredClone(doc) as unknown as Record<string, unknown>;
  for (const { op, path, value } of ops) {
    const parts = path
      .split('/')
      .slice(1)
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = parts.pop()!;
    let node: Record<string, unknown> = out;
    for (const part of parts) {
      const next = node[part];
      if (next === null || typeof next !== 'object') throw new Error(`patch ${op} ${path}: no ${part}`);
      node = next as Record<string, unknown>;
    }
    if ((op === 'replace' || op === 'remove') && !(last in node))
      throw new Error(`patch ${op} ${path}: nothing there`);
    if (op === 'add' || op === 'replace') node[last] = structuredClone(value);
    else if (op === 'remove') delete node[last];
    else throw new Error(`patch op ${op} is not rendered by the test`);
  }
  return out as unknown as T;
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: Array<{
    name: string;
    value?: string;
    valueFrom?: {
      configMapKeyRef?: { name: string; key: string };
      secretKeyRef?: { name: string; key: string; optional?: boolean };
    };
  }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  [k: string]: unknown;
}

export function containers(objects: K8sObject[]): Container[] {
  return objects
    .filter((o) => o.kind === 'Deployment')
    .flatMap(
      (o) =>
        (o as unknown as { spec: { template: { spec: { containers: Container[] } } } }).spec.template.spec
          .containers,
    );
}

/** `deploy/kubernetes` of this repository */
export const KUBERNETES_DIR = join(
  dirname(new URL(import.meta.url).pathname),
  '..',
  '..',
  'deploy',
  'kubernetes',
);
