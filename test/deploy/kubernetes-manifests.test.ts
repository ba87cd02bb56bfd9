import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config/config.js';
import { subcommandOf } from './cli-commands.js';
import {
  type Container,
  containers,
  type K8sObject,
  KUBERNETES_DIR,
  renderKustomization,
} from './kustomize-render.js';

/**
 * deploy/kubernetes validated without a cluster: every rendered object (the base and each
 * overlay) against the Kubernetes OpenAPI schema and KEDA's CRD schema (kubernetes-models
 * and @kubernetes-models/keda: the schemas ship inside the npm packages, nothing is
 * fetched), then against the code: env names the config reads, ports and probe paths the
 * servers serve (test/deploy/kubernetes-probes.int.test.ts requests them), grace periods
 * that fit the shutdown budget, KEDA settings derived from partitions and threads.
 */
const VALIDATORS: Record<string, new (o: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication,
};

/** which port variable each subcommand listens on, and the probe paths its server answers */
const SERVERS: Record<string, { portVariable: string }> = {
  drain: { portVariable: 'PORT' },
  run: { portVariable: 'METRICS_PORT' },
  serve: { portVariable: 'PORT' },
};

/**
 * Committed lag a healthy fleet shows (bench/fleet.ts, docs/scaling.md): the runtime commits
 * flushed offsets to Kafka every 5 s after a 1 s flush; measured max 7.0 s of traffic.
 * lagThreshold must be above it, or KEDA scales out a fleet that keeps up.
 */
const STEADY_LAG_SECONDS = 7;
/** records/s one runtime replica with 1 CPU sustains at 70 % (≈14 µs CPU per record) */
const REPLICA_RECORDS_PER_SECOND = 25_000;

/**
 * The variables the ConfigMap does not hold, and why; every other variable src/config reads
 * must be one of its keys (a new variable fails the test until it is added or listed here).
 */
const NOT_IN_CONFIG_MAP: Record<string, 'secret' | 'per-container' | string> = {
  PORT: 'per-container',
  METRICS_PORT: 'per-container',
  KAFKA_URL: 'secret',
  KAFKA_TRUSTED_CERT: 'secret',
  KAFKA_CLIENT_CERT: 'secret',
  KAFKA_CLIENT_CERT_KEY: 'secret',
  KAFKA_PREFIX: 'secret',
  REDIS_URL: 'secret',
  DRAIN_USERS: 'secret',
  API_TOKENS: 'secret',
  API_USERS: 'secret',
  ROUTEMETER_WEB: 'Heroku only: what the web dyno runs; each Deployment here names its subcommand',
  REPLAY_TARGET_BASIC_AUTH: 'credentials of a one-off `routemeter replay`, given in its own environment',
  REPLAY_TARGET_BEARER_TOKEN: 'credentials of a one-off `routemeter replay`, given in its own environment',
};

/** ConfigMap values of the base that are this deployment's choices, not the code's defaults. */
const BASE_CHOICES = ['TOPIC_PARTITIONS'];

const variants = [
  { name: 'base', dir: join(KUBERNETES_DIR, 'base') },
  ...readdirSync(join(KUBERNETES_DIR, 'overlays')).map((name) => ({
    name: `overlays/${name}`,
    dir: join(KUBERNETES_DIR, 'overlays', name),
  })),
];

// biome-ignore lint/suspicious/noExplicitAny: rendered YAML, walked by path inside assertions
type Spec = Record<string, any>;
const spec = (o: K8sObject): Spec => (o as unknown as { spec: Spec }).spec;
const find = (objects: K8sObject[], kind: string, name: string) => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind}/${name}`);
  return o;
};

describe.each(variants)('deploy/kubernetes/$name', ({ dir }) => {
  const objects = renderKustomization(dir);
  const configMap = find(objects, 'ConfigMap', 'routemeter-config') as unknown as {
    data: Record<string, string>;
  };
  const deployments = objects.filter((o) => o.kind === 'Deployment');

  it('validates against the Kubernetes and KEDA schemas', () => {
    expect(objects.length).toBeGreaterThanOrEqual(10);
    for (const o of objects) {
      const Model = VALIDATORS[`${o.apiVersion}/${o.kind}`];
      expect(Model, `${o.apiVersion} ${o.kind} has no validator`).toBeDefined();
      expect(() => new Model!(o as never).validate(), `${o.kind}/${o.metadata.name}`).not.toThrow();
    }
  });

  it('runs the drain, the runtime and the read side, as the CLI names them', () => {
    const commands = deployments.map((d) => {
      const c = spec(d).template.spec.containers[0] as Container;
      return subcommandOf((c.command ?? []).slice(2).join(' '));
    });
    expect(commands.sort()).toEqual(['drain', 'run', 'serve']);
  });

  it('sets only environment variables src/config reads, from keys that exist', () => {
    // the read side's API_* variables arrive with branch read-side's config; until then they are not checked
    const readSideMerged = CONFIG_VARIABLES.some((v) => v.startsWith('API_'));
    for (const c of containers(objects)) {
      for (const e of c.env ?? []) {
        if (!readSideMerged && e.name.startsWith('API_')) continue;
        expect(CONFIG_VARIABLES, `${c.name}: ${e.name}`).toContain(e.name);
        const cm = e.valueFrom?.configMapKeyRef;
        if (cm) {
          expect(cm.name).toBe('routemeter-config');
          expect(Object.keys(configMap.data), `${c.name}: ${e.name}`).toContain(cm.key);
        }
        const secret = e.valueFrom?.secretKeyRef;
        if (secret) expect(secret).toMatchObject({ name: 'routemeter-secrets', key: e.name });
      }
    }
    // every value the ConfigMap holds is one the config accepts
    expect(() => loadConfig({ ...configMap.data })).not.toThrow();
    for (const key of Object.keys(configMap.data)) expect(CONFIG_VARIABLES).toContain(key);
  });

  it('names every variable src/config reads: in the ConfigMap, from the Secret, per container, or excluded with a reason', () => {
    const all = containers(objects);
    for (const c of all)
      expect(c.envFrom, `${c.name} loads the whole ConfigMap`).toContainEqual({
        configMapRef: { name: 'routemeter-config' },
      });
    const fromSecret = new Set(all.flatMap((c) => (c.env ?? []).filter((e) => e.valueFrom?.secretKeyRef)));
    const secretNames = new Set([...fromSecret].map((e) => e.name));
    const perContainer = new Set(all.flatMap((c) => (c.env ?? []).filter((e) => e.value !== undefined)));
    const perContainerNames = new Set([...perContainer].map((e) => e.name));
    const missing: string[] = [];
    for (const name of CONFIG_VARIABLES) {
      const why = NOT_IN_CONFIG_MAP[name];
      if (why === undefined) {
        if (!(name in configMap.data)) missing.push(name);
        continue;
      }
      expect(configMap.data, `${name} is listed as ${why}, not a ConfigMap key`).not.toHaveProperty(name);
      // the reason must be true of the manifests
      if (why === 'secret') expect(secretNames, `${name}: from the Secret`).toContain(name);
      if (why === 'per-container') expect(perContainerNames, `${name}: set on a container`).toContain(name);
    }
    expect(missing, 'variables src/config reads that deploy/kubernetes/base/config.yaml lacks').toEqual([]);
    for (const name of Object.keys(NOT_IN_CONFIG_MAP)) expect(CONFIG_VARIABLES).toContain(name);
  });

  it('probes /healthz and /readyz on the port the process listens on', () => {
    for (const d of deployments) {
      const c = spec(d).template.spec.containers[0] as Container & Spec;
      const sub = subcommandOf((c.command ?? []).slice(2).join(' '))!;
      const portVariable = SERVERS[sub]!.portVariable;
      const portValue = c.env?.find((e) => e.name === portVariable)?.value;
      expect(portValue, `${sub}: ${portVariable}`).toBeDefined();
      const port = c.ports!.find((p) => p.containerPort === Number(portValue));
      expect(port, `${sub}: a container port ${portValue}`).toBeDefined();
      expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: port!.name });
      expect(c.startupProbe.httpGet).toEqual({ path: '/healthz', port: port!.name });
      expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: port!.name });
      if (sub === 'run') expect(spec(d).template.metadata.annotations['prometheus.io/port']).toBe(portValue);
    }
    for (const s of objects.filter((o) => o.kind === 'Service')) {
      const selected = deployments.filter(
        (d) => d.metadata.name === spec(s).selector['app.kubernetes.io/name'],
      );
      expect(selected).toHaveLength(1);
      const names = (spec(selected[0]!).template.spec.containers[0].ports as Array<{ name: string }>).map(
        (p) => p.name,
      );
      for (const p of spec(s).ports) expect(names).toContain(p.targetPort);
    }
  });

  it('gives every process time to finish its shutdown before SIGKILL', () => {
    const shutdownSeconds = loadConfig({ ...configMap.data }).runtime.shutdownTimeoutMs / 1000;
    for (const d of deployments) {
      const pod = spec(d).template.spec;
      const c = pod.containers[0];
      const preStop = Number(c.lifecycle?.preStop?.exec?.command?.[1] ?? 0);
      // SIGTERM comes after preStop; the CLI exits at the latest 2 s after SHUTDOWN_TIMEOUT_MS
      expect(pod.terminationGracePeriodSeconds, d.metadata.name).toBeGreaterThanOrEqual(
        preStop + shutdownSeconds + 2,
      );
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
      expect(c.securityContext.allowPrivilegeEscalation).toBe(false);
      expect(c.resources.requests.cpu).toBeDefined();
      expect(c.resources.limits.memory).toBeDefined();
    }
    for (const pdb of objects.filter((o) => o.kind === 'PodDisruptionBudget')) {
      const name = spec(pdb).selector.matchLabels['app.kubernetes.io/name'];
      expect(deployments.map((d) => d.metadata.name)).toContain(name);
    }
  });

  it('scales the runtime with KEDA on the fleet group’s lag, within partitions / threads', () => {
    const so = spec(find(objects, 'ScaledObject', 'routemeter-runtime'));
    const config = loadConfig({ ...configMap.data });
    expect(so.scaleTargetRef.name).toBe('routemeter-runtime');
    expect(so.maxReplicaCount).toBe(Math.ceil(config.topics.partitions / config.runtime.workerThreads));
    expect(so.minReplicaCount).toBeLessThanOrEqual(so.maxReplicaCount);
    const [trigger] = so.triggers;
    expect(trigger.type).toBe('kafka');
    expect(trigger.metadata.consumerGroup).toBe(config.consumerGroup);
    expect(trigger.metadata.topic).toBe(config.topics.router);
    expect(trigger.metadata.allowIdleConsumers).toBe('false');
    expect(Number(trigger.metadata.lagThreshold)).toBeGreaterThan(
      STEADY_LAG_SECONDS * REPLICA_RECORDS_PER_SECOND,
    );
    // Kafka 4 serves no request version older than Kafka 2.1's (KIP-896)
    const [major, minor] = String(trigger.metadata.version).split('.').map(Number);
    expect(major! > 2 || (major === 2 && minor! >= 1), `version ${trigger.metadata.version}`).toBe(true);
    for (const broker of String(trigger.metadata.bootstrapServers).split(','))
      expect(broker).toMatch(/^[^:/]+:\d+$/);
    const auth = find(objects, 'TriggerAuthentication', trigger.authenticationRef.name);
    const params = (spec(auth).secretTargetRef as Array<{ parameter: string; key: string }>).map(
      (r) => r.parameter,
    );
    expect(params.sort()).toEqual(['ca', 'cert', 'key', 'tls']);
  });
});

describe('deploy/kubernetes/base ConfigMap', () => {
  const configMap = renderKustomization(join(KUBERNETES_DIR, 'base')).find(
    (o) => o.kind === 'ConfigMap' && o.metadata.name === 'routemeter-config',
  ) as unknown as { data: Record<string, string> };

  it('holds the defaults in effect, apart from the deployment’s choices (a changed default is not pinned here)', () => {
    const defaults = Object.fromEntries(
      Object.entries(configMap.data).filter(([name]) => !BASE_CHOICES.includes(name)),
    );
    expect(loadConfig(defaults)).toEqual(loadConfig({}));
    for (const name of BASE_CHOICES) expect(configMap.data).toHaveProperty(name);
  });
});
