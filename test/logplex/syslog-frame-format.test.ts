import { describe, expect, it } from 'vitest';
import {
  formatLogplexBody,
  formatSyslogFrame,
  formatSyslogLine,
} from '../../src/logplex/syslog-frame-format.js';
import { SAMPLE_FRAMES } from './samples.js';

describe('syslog frame format', () => {
  it('rebuilds the real sample frames byte for byte', () => {
    const line = formatSyslogLine({
      timestampMs: Date.UTC(2016, 5, 20, 21, 56, 57, 107),
      micros: 495,
      app: 'heroku',
      procid: 'router',
      message:
        'at=info method=GET path="/" host=demodayex.herokuapp.com request_id=1850b395-c7aa-485c-aa04-7d0894b5f276 fwd="68.32.161.89" dyno=web.1 connect=0ms service=6ms status=200 bytes=1548',
    });
    expect(formatSyslogFrame(line)).toBe(`${SAMPLE_FRAMES[0]}\n`);
  });

  it('counts UTF-8 bytes, newline included', () => {
    expect(formatSyslogFrame('é')).toBe('3 é\n');
    expect(formatLogplexBody(['a', 'bc'])).toBe('2 a\n3 bc\n');
    expect(formatLogplexBody([])).toBe('');
  });
});
