import { RoutemeterError } from '../errors/routemeter-error.js';

/**
 * Where a production request goes. One drain can carry several apps (one
 * `host=` each); `--host-map shop.example.com=https://shop-staging.example.com,…`
 * sends each mapped host to its own staging base URL, and `--target` takes the
 * rest. A host with neither is skipped (reason `no_target`) rather than sent to
 * the wrong app.
 */
export interface TargetBase {
  /** scheme://host[:port], the URL's origin */
  origin: string;
  /** path prefix of the base URL without a trailing slash ('' for none) */
  prefix: string;
  /** userinfo of the URL, if any (`user:pass`), for basic auth */
  userinfo: string | null;
}

export function parseTargetUrl(raw: string, option = '--target'): TargetBase {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new RoutemeterError('RM_ERR_REPLAY_OPTION', `${option} ${JSON.stringify(raw)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RoutemeterError(
      'RM_ERR_REPLAY_OPTION',
      `${option}: only http:// and https:// targets are supported`,
    );
  }
  if (url.search || url.hash) {
    throw new RoutemeterError(
      'RM_ERR_REPLAY_OPTION',
      `${option}: a base URL takes no query string or fragment`,
    );
  }
  const userinfo = url.username
    ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`
    : null;
  return { origin: url.origin, prefix: url.pathname.replace(/\/+$/, ''), userinfo };
}

export interface HostMap {
  /** the target of a production host, or null when it has none */
  resolve(app: string): TargetBase | null;
  readonly targets: readonly TargetBase[];
}

/** `host=url` pairs, comma separated. */
export function parseHostMap(entries: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of entries.flatMap((e) => e.split(','))) {
    const item = entry.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0 || eq === item.length - 1) {
      throw new RoutemeterError(
        'RM_ERR_REPLAY_OPTION',
        `--host-map ${JSON.stringify(item)}: expected host=https://url`,
      );
    }
    out.set(item.slice(0, eq).toLowerCase(), item.slice(eq + 1));
  }
  return out;
}

export function createHostMap(target: string | undefined, map: ReadonlyMap<string, string>): HostMap {
  if (target === undefined && map.size === 0) {
    throw new RoutemeterError('RM_ERR_REPLAY_OPTION', '--target or --host-map is required');
  }
  const fallback = target === undefined ? null : parseTargetUrl(target);
  const byHost = new Map<string, TargetBase>();
  for (const [host, url] of map) byHost.set(host, parseTargetUrl(url, `--host-map ${host}`));
  const targets = [...(fallback ? [fallback] : []), ...byHost.values()];
  return {
    resolve: (app) => byHost.get(app.toLowerCase()) ?? fallback,
    targets,
  };
}
