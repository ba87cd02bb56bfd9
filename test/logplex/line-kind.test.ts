import { describe, expect, it } from 'vitest';
import { classifyLine, LineKind } from '../../src/logplex/line-kind.js';
import { createSyslogHeader, parseSyslogHeader } from '../../src/logplex/syslog-header.js';
import { L10_LINE, RUNTIME_METRICS_MESSAGE, SAMPLE_FRAMES } from './samples.js';

function kind(line: string) {
  const buf = Buffer.from(line);
  const h = createSyslogHeader();
  expect(parseSyslogHeader(buf, 0, buf.length, h)).toBe(true);
  return classifyLine(buf, h);
}

describe('classifyLine', () => {
  it.each([
    [SAMPLE_FRAMES[0].slice(4), LineKind.Router],
    [L10_LINE, LineKind.Platform],
    [`<45>1 2020-01-08T22:33:57Z host heroku web.1 - ${RUNTIME_METRICS_MESSAGE}`, LineKind.Platform],
    ['<45>1 2020-01-08T22:33:57Z host heroku web.1 - Error R14 (Memory quota exceeded)', LineKind.Platform],
    ['<190>1 2020-01-08T22:33:57Z host app web.1 - Started GET "/"', LineKind.App],
    ['<190>1 2020-01-08T22:33:57Z host app router - at=info host=x', LineKind.App],
    ['<190>1 2020-01-08T22:33:57Z host papertrail web.1 - x', LineKind.App],
  ])('%s', (line, want) => {
    expect(kind(line)).toBe(want);
  });
});
