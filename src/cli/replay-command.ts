import { readFileSync, writeFileSync } from 'node:fs';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { Registry } from 'prom-client';
import { loadConfig } from '../config/config.js';
import { RoutemeterError } from '../errors/routemeter-error.js';
import { createKafka } from '../kafka/kafka-client.js';
import { DivergenceReport } from '../replay/divergence-report.js';
import { createReplayMetrics } from '../replay/replay-metrics.js';
import { buildReplayPlan, REPLAY_DEFAULTS, type ReplayCliOptions } from '../replay/replay-options.js';
import { renderReport } from '../replay/report-table.js';
import { runReplay } from '../replay/run-replay.js';
import { startMetricsServer } from '../sinks/prometheus/metrics-server.js';
import { createLogger } from '../telemetry/logger.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * `routemeter replay`: production's router lines from Kafka, sent to a staging
 * target, paced by event time, with a per-route divergence report. See
 * docs/replay.md. Progress goes to stderr (bounded replays), the report to stdout
 * and, with --json, to a file.
 */
export function registerReplayCommand(program: Command): void {
  program
    .command('replay')
    .description(
      'replay recorded production requests (router lines) against a staging app; per-route divergence report',
    )
    .option('--target <url>', 'base URL of the staging app (http:// or https://)')
    .option(
      '--host-map <host=url>',
      'send a production host to its own staging URL (repeatable, or comma-separated)',
      collect,
    )
    .option(
      '--from <time>',
      'start at this event time: ISO-8601 (2026-12-01T04:00:00Z) or ago (15m, 2h); default: live tail',
    )
    .option('--to <time>', 'stop at this event time (exclusive; needs --from, not in the future)')
    .option('--count <n>', 'stop after sending n requests')
    .option('--app <host>', 'only this production host (repeatable)', collect)
    .option('--method <m>', 'only these methods (repeatable; GET and HEAD unless --allow-methods)', collect)
    .option(
      '--allow-methods <list>',
      'also replay these methods, e.g. POST,PUT (no body or headers are replayed!)',
    )
    .option('--path-allow <regex>', 'only paths (with query) matching (repeatable: any)', collect)
    .option('--path-deny <regex>', 'never paths matching (repeatable)', collect)
    .option('--status <s>', 'only requests whose original status matched: 2xx, 404, … (repeatable)', collect)
    .option('--sample <percent>', 'replay this % of paths (consistent by path)', '100')
    .option(
      '--redact-params <list>',
      'query parameters whose values become REDACTED (default: token,api_key,password,…)',
    )
    .option('--drop-params <list>', 'query parameters removed')
    .option(
      '--marker-header <name>',
      'header on every replayed request (value: the original request id)',
      REPLAY_DEFAULTS.markerHeader,
    )
    .option('--timeout-ms <ms>', 'per-request timeout', String(REPLAY_DEFAULTS.timeoutMs))
    .option('--rps <n>', 'cap on requests per second (max = none)', String(REPLAY_DEFAULTS.rps))
    .option('--concurrency <n>', 'cap on requests in flight', String(REPLAY_DEFAULTS.concurrency))
    .option(
      '--stop-error-ratio <r>',
      "stop when the target's 5xx+timeout share over the window reaches r (off = never)",
      String(REPLAY_DEFAULTS.stopErrorRatio),
    )
    .option(
      '--stop-window-seconds <s>',
      'window of the automatic stop',
      String(REPLAY_DEFAULTS.stopWindowSeconds),
    )
    .option(
      '--stop-min-requests <n>',
      'outcomes the window needs before it can stop',
      String(REPLAY_DEFAULTS.stopMinRequests),
    )
    .option(
      '--speed <factor>',
      '1 = production pace, 10 = ten times faster, max = as fast as the caps allow',
      REPLAY_DEFAULTS.speed,
    )
    .option('--ca <file>', "PEM CA bundle to trust for the target's certificate")
    .option('--dry-run', 'print what would be sent, send nothing')
    .option('--json <file>', 'write the report as JSON')
    .option('--metrics-port <port>', 'serve /metrics while running (0 = any free port)')
    .option(
      '--group <id>',
      'consumer group (KAFKA_PREFIX applies); default: a new one per run, deleted at the end',
    )
    .option(
      '--range-slack-seconds <s>',
      'widen the Kafka offset search around --from/--to by this much',
      String(REPLAY_DEFAULTS.rangeSlackSeconds),
    )
    .option('--alpha <p>', 'significance level of the verdicts', '0.01')
    .option('--slower-ratio <r>', 'a route is slower when p50 or p95 is at least r × the original …', '1.25')
    .option(
      '--slower-min-ms <ms>',
      '… and at least this many ms above it (above the network round trip to staging)',
      '50',
    )
    .action(async (opts: ReplayCliOptions & { ca?: string; json?: string; metricsPort?: string }) => {
      const config = loadConfig();
      // Logs on stderr: stdout is the report (and --dry-run's requests).
      const logger = createLogger(config.logLevel, 'routemeter-replay', 2);
      const plan = buildReplayPlan(opts, config, Date.now());
      let ca: Buffer | undefined;
      if (opts.ca !== undefined) {
        try {
          ca = readFileSync(opts.ca);
        } catch (err) {
          throw new RoutemeterError('RM_ERR_REPLAY_OPTION', `--ca ${opts.ca}: ${(err as Error).message}`);
        }
      }
      const report = new DivergenceReport(plan.thresholds);
      const registry = new Registry();
      const metrics = createReplayMetrics(registry, report, config.runtime.promRouteLimit);
      const server =
        opts.metricsPort === undefined ? null : await startMetricsServer(registry, Number(opts.metricsPort));
      if (server) logger.info({ port: server.port }, 'replay /metrics listening');
      // Loaded here, not at the top: undici (and its guard, replay/node-fetch-first.ts)
      // costs every other subcommand's start-up nothing.
      const { createReplaySender } = await import('../replay/replay-sender.js');
      const sender = plan.dryRun
        ? null
        : createReplaySender({ timeoutMs: Number(opts.timeoutMs), connections: plan.concurrency, ca });
      const controller = new AbortController();
      const onSignal = (sig: string) => {
        logger.info({ signal: sig }, 'replay stopping: report so far follows');
        controller.abort();
      };
      process.once('SIGTERM', () => onSignal('SIGTERM'));
      process.once('SIGINT', () => onSignal('SIGINT'));
      const bounded = plan.count !== null || plan.toMs !== null;
      const bar =
        bounded && !plan.dryRun
          ? new SingleBar({
              stream: process.stderr,
              format: 'replay [{bar}] {value}/{total} | {rate} req/s | errors {errors} | ETA {eta_formatted}',
              hideCursor: false,
            })
          : null;
      let barStarted = false;
      const started = Date.now();
      try {
        const summary = await runReplay(plan, {
          kafka: createKafka(config, 'routemeter-replay'),
          sender,
          logger,
          report,
          metrics,
          out: process.stdout,
          signal: controller.signal,
          onProgress: (p) => {
            if (!bar || p.total === null) return;
            const payload = {
              rate: ((p.sent * 1000) / Math.max(1, Date.now() - started)).toFixed(1),
              errors: p.failures,
            };
            if (!barStarted) {
              bar.start(p.total, p.done, payload);
              barStarted = true;
            } else bar.update(p.done, payload);
          },
        });
        if (barStarted) bar?.stop();
        process.stdout.write(renderReport(summary));
        if (opts.json !== undefined) writeFileSync(opts.json, `${JSON.stringify(summary, null, 2)}\n`);
        if (summary.stopReason === 'target_failing') process.exitCode = 2;
      } finally {
        await sender?.close();
        await server?.close();
      }
    });
}
