import type { ConnectionOptions } from 'node:tls';
import { Kafka, type KafkaConfig, logLevel as KafkaLogLevel } from 'kafkajs';
import type { Config } from '../config/config.js';
import type { KafkaConnection } from '../config/kafka-url.js';

/**
 * The TLS options of every broker connection, kafkajs's and the partition
 * fetchers' (broker-connection.ts) alike. With `kafka+ssl://`, the chain is
 * verified against KAFKA_TRUSTED_CERT (`rejectUnauthorized: true`). Heroku's broker
 * certificates name the cluster, not each broker host, so the hostname check is
 * replaced by a check of the chain only (what Heroku's own client examples do).
 */
export function brokerTlsOptions(ssl: Exclude<KafkaConnection['ssl'], false>): ConnectionOptions {
  return {
    rejectUnauthorized: true,
    ca: ssl.ca,
    cert: ssl.cert,
    key: ssl.key,
    checkServerIdentity: () => undefined,
  };
}

/** Builds the kafkajs client from the config (TLS: brokerTlsOptions). */
export function kafkaClientConfig(config: Pick<Config, 'kafka'>, clientId: string): KafkaConfig {
  const { brokers, ssl, client } = config.kafka;
  return {
    clientId,
    brokers,
    logLevel: KafkaLogLevel.NOTHING,
    connectionTimeout: client.connectionTimeoutMs,
    requestTimeout: client.requestTimeoutMs,
    retry: {
      retries: client.retries,
      initialRetryTime: client.initialRetryTimeMs,
      maxRetryTime: client.maxRetryTimeMs,
    },
    ssl: ssl ? brokerTlsOptions(ssl) : false,
  };
}

export function createKafka(config: Pick<Config, 'kafka'>, clientId: string): Kafka {
  return new Kafka(kafkaClientConfig(config, clientId));
}
