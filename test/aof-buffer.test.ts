/**
 * The AOF's write buffer encodes commands as RESP bytes directly: the bytes must be exactly the
 * multibulk Redis writes for the same argv, across growth, partial consumption and clearing.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AofBuffer } from '../src/persistence/aof/aof-buffer';
import { respCommand } from '../src/persistence/aof/resp';

/** latin1 strings: every byte value, short and long (the two copy paths) */
const arg = fc.oneof(
  fc.string({ maxLength: 40, unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)) }),
  fc.integer({ min: 0, max: 70000 }).map((n) => 'x'.repeat(n)),
);
const argv = fc.array(arg, { minLength: 1, maxLength: 12 });

type Op = { kind: 'cmd'; argv: string[] } | { kind: 'text'; s: string } | { kind: 'consume'; n: number } | { kind: 'clear' };
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: argv.map((a) => ({ kind: 'cmd' as const, argv: a })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 2e9 }).map((t) => ({ kind: 'text' as const, s: `#TS:${t}\r\n` })) },
  { weight: 2, arbitrary: fc.nat({ max: 200000 }).map((n) => ({ kind: 'consume' as const, n })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
);

describe('AofBuffer', () => {
  test('holds the RESP of what was appended, less what was consumed', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const b = new AofBuffer();
        let model = '';
        for (const o of ops) {
          if (o.kind === 'cmd') {
            b.appendCommand(o.argv);
            model += respCommand(o.argv);
          } else if (o.kind === 'text') {
            b.appendText(o.s);
            model += o.s;
          } else if (o.kind === 'consume') {
            b.consume(o.n);
            model = model.slice(o.n);
          } else {
            b.clear();
            model = '';
          }
          assert.equal(b.length, model.length);
        }
        assert.equal(b.view().toString('latin1'), model);
      }),
      { numRuns: 300 },
    );
  });

  test('a burst far past the initial size is encoded whole, and the buffer starts small again once written', () => {
    const b = new AofBuffer();
    const big = 'v'.repeat(3 * 1024 * 1024);
    b.appendCommand(['SET', 'k', big]);
    b.appendCommand(['SELECT', '10']);
    assert.equal(b.view().toString('latin1'), respCommand(['SET', 'k', big]) + '*2\r\n$6\r\nSELECT\r\n$2\r\n10\r\n');
    b.consume(b.length);
    assert.equal(b.length, 0);
    b.appendCommand(['PING']);
    assert.equal(b.view().toString('latin1'), '*1\r\n$4\r\nPING\r\n');
  });
});
