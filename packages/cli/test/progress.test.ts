import { PassThrough } from 'node:stream';
import { createHooks } from '@nncompress/core';
import { ProgressReporter } from '../src/progress';

function capture(tty: boolean): { reporter: ProgressReporter; text: () => string; hooks: ReturnType<typeof createHooks> } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const reporter = new ProgressReporter(stream as unknown as NodeJS.WriteStream, false, tty);
  const hooks = createHooks();
  reporter.attach(hooks);
  return { reporter, text: () => text, hooks };
}

describe('ProgressReporter', () => {
  it('redraws one bar in place on a TTY and clears it before log lines', () => {
    const { reporter, text, hooks } = capture(true);
    for (let done = 1; done <= 4; done++) hooks.progress.call({ phase: 'finetune', message: 'r1', done, total: 4 });
    reporter.info('stage done');
    const out = text();
    expect(out.match(/\r\x1b\[K\[/g)).toHaveLength(4);
    expect(out).toContain('[##############################] 100% finetune: r1');
    expect(out.endsWith('\r\x1b[Kstage done\n')).toBe(true);
    expect(out.split('\n')).toHaveLength(2); // the bar itself never adds lines
  });

  it('writes plain lines without control characters otherwise: each step once, then quarters', () => {
    const { text, hooks } = capture(false);
    for (let done = 1; done <= 100; done++) hooks.progress.call({ phase: 'finetune', message: 'r1', done, total: 100 });
    hooks.progress.call({ phase: 'evaluate', message: 'final' });
    const lines = text().trim().split('\n');
    expect(lines).toEqual(['finetune: r1 1%', 'finetune: r1 25%', 'finetune: r1 50%', 'finetune: r1 75%', 'finetune: r1 100%', 'evaluate: final']);
    expect(text()).not.toMatch(/[\r\x1b]/);
  });
});
