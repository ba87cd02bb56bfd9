import { RoutemeterError } from '../errors/routemeter-error.js';

/**
 * Heroku's `KAFKA_URL` is a comma-separated list of broker URLs:
 *   kafka+ssl://ec2-1-2-3-4.compute-1.amazonaws.com:9096,kafka+ssl://ec2-…:9096
 * and plain `kafka://127.0.0.1:9092` locally. All URLs must share one scheme.
 */
export interface KafkaConnection {
  brokers: string[];
  ssl: false | { ca: string[]; cert?: string; key?: string };
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** `KAFKA_TRUSTED_CERT` may hold several PEM certificates during a CA rotation. */
function splitPemBundle(bundle: string): string[] {
  return bundle.match(PEM_BLOCK) ?? [];
}

export function parseKafkaUrl(
  raw: string,
  tls: { trustedCert?: string; clientCert?: string; clientCertKey?: string } = {},
): KafkaConnection {
  const parts = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (parts.length === 0) throw new RoutemeterError('RM_ERR_CONFIG', 'KAFKA_URL: no broker URL given');
  let scheme: string | undefined;
  const brokers: string[] = [];
  for (const part of parts) {
    let url: URL;
    try {
      url = new URL(part);
    } catch {
      throw new RoutemeterError(
        'RM_ERR_CONFIG',
        `KAFKA_URL: "${part}" is not a URL (expected kafka://host:port)`,
      );
    }
    if (url.protocol !== 'kafka:' && url.protocol !== 'kafka+ssl:') {
      throw new RoutemeterError(
        'RM_ERR_CONFIG',
        `KAFKA_URL: scheme ${url.protocol}// is not kafka:// or kafka+ssl://`,
      );
    }
    if (scheme !== undefined && scheme !== url.protocol) {
      throw new RoutemeterError('RM_ERR_CONFIG', 'KAFKA_URL: mixes kafka:// and kafka+ssl:// URLs');
    }
    scheme = url.protocol;
    if (!url.hostname || !url.port) {
      throw new RoutemeterError('RM_ERR_CONFIG', `KAFKA_URL: "${part}" needs a host and a port`);
    }
    brokers.push(`${url.hostname}:${url.port}`);
  }
  if (scheme !== 'kafka+ssl:') return { brokers, ssl: false };
  if (!tls.trustedCert) {
    throw new RoutemeterError('RM_ERR_CONFIG', 'KAFKA_TRUSTED_CERT: required with kafka+ssl:// URLs');
  }
  const ca = splitPemBundle(tls.trustedCert);
  if (ca.length === 0)
    throw new RoutemeterError('RM_ERR_CONFIG', 'KAFKA_TRUSTED_CERT: no PEM certificate found');
  if (Boolean(tls.clientCert) !== Boolean(tls.clientCertKey)) {
    throw new RoutemeterError(
      'RM_ERR_CONFIG',
      'KAFKA_CLIENT_CERT and KAFKA_CLIENT_CERT_KEY: set both or neither',
    );
  }
  return { brokers, ssl: { ca, cert: tls.clientCert, key: tls.clientCertKey } };
}
