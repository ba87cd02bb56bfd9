/**
 * The sample lines of shared/domain/heroku-drains.md, verbatim (frames with their
 * octet counts as found, and message parts without frame or header).
 */
export const SAMPLE_FRAMES = [
  '242 <158>1 2016-06-20T21:56:57.107495+00:00 host heroku router - at=info method=GET path="/" host=demodayex.herokuapp.com request_id=1850b395-c7aa-485c-aa04-7d0894b5f276 fwd="68.32.161.89" dyno=web.1 connect=0ms service=6ms status=200 bytes=1548',
  '267 <158>1 2020-01-08T22:33:57.353034+00:00 host heroku router - at=info method=GET path="/cart_link" host=lumberjack-store.timber.io request_id=05726858-c44e-4f94-9a20-37df73be9006 fwd="73.75.38.87" dyno=web.1 connect=1ms service=22ms status=304 bytes=656 protocol=http',
] as const;

export const SAMPLE_MESSAGES = [
  'at=error code=H10 desc="App crashed" method=GET path="/" host=myapp.herokuapp.com fwd=17.17.17.17 dyno= connect= service= status=503 bytes=',
  'at=error code=H12 desc="Request timeout" method=GET path="/api/search-recipes?cuisine=african&diet=&intolerances=" host=infinite-bayou-90165.herokuapp.com request_id=8dd968b4-2450-41c9-8f32-7a0604f92ad7 fwd="64.18.9.208" dyno=web.1 connect=1ms service=30000ms status=503 bytes=0 protocol=https',
] as const;

export const L10_LINE =
  '<172>1 2016-06-20T21:56:57+00:00 host heroku logplex - Error L10 (output buffer overflow): 523 messages dropped since 2016-06-20T21:55:00+00:00.';

export const RUNTIME_METRICS_MESSAGE =
  'source=web.1 dyno=heroku.2808254.d97d0ea7-cf3d-411b-b453-d2943a50b456 sample#load_avg_1m=2.46 sample#load_avg_5m=1.06 sample#load_avg_15m=0.99';

/** The sample frames as a logplex body: each frame ends with the `\n` its count includes. */
export function sampleBody(): Buffer {
  return Buffer.from(SAMPLE_FRAMES.map((f) => `${f}\n`).join(''));
}

/** A syslog router line around a message part, as logplex would send it. */
export function routerLine(message: string, timestamp = '2020-01-08T22:33:57.353034+00:00'): string {
  return `<158>1 ${timestamp} host heroku router - ${message}`;
}
