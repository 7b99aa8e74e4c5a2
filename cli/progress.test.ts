// The live view: on a terminal, cli-progress bars whose every line fits the terminal's width
// (60 columns included); under TERM=dumb or without a TTY, plain lines with no escape sequence;
// colour on or off by NO_COLOR / FORCE_COLOR.
import { describe, expect, test } from 'vitest';
import type { ConformEvent, PropertyResult } from '../conform/engine.js';
import { barLine, colorEnabled, colors, liveView, type ProgressStream } from './progress.js';
import { bufferIo } from './util.js';

// CSI sequences (cursor moves, erase, colour) and the two-byte ESC 7 / ESC 8
// eslint-disable-next-line no-control-regex
const ESC = /\u001b\[[0-9;?]*[A-Za-z]|\u001b[78]/g;
const visible = (s: string) => s.replace(ESC, '');

const result = (property: string, status: PropertyResult['status']): PropertyResult =>
  ({ property, status, ran: 36, passed: status === 'failed' ? 35 : 36, failed: status === 'failed' ? 1 : 0, refused: 0, seed: 1, seconds: 0.5, interrupted: false, edges: 25, sweep: 6 });

/** A run of two kernels, one failing: the engine's events in order. */
function events(): ConformEvent[] {
  const ks = ['x86_avx512vnni_i32_16x16_k4', 'generic_i32_4x4'];
  const props = ['tile', 'frame', 'interleave'];
  const out: ConformEvent[] = [{ type: 'start', seed: 1, units: ks.flatMap((kernel) => props.map((property) => ({ kernel, property, runs: 36 }))) }];
  for (const kernel of ks) for (const property of props) {
    out.push({ type: 'unit-start', kernel, property, runs: 36, edges: 25, sweep: 6 });
    for (const ran of [10, 20, 36]) out.push({ type: 'progress', kernel, property, ran, runs: 36 });
    out.push({ type: 'unit-end', kernel, property, result: result(property, kernel.startsWith('x86') && property === 'frame' ? 'failed' : 'passed') });
  }
  return out;
}

function fakeTty(columns: number): ProgressStream & { text: string } {
  const s = { text: '', isTTY: true, columns, write(t: string) { s.text += t; return true; } };
  return s;
}

describe('live view', () => {
  test.each([60, 80, 132, 30])('TTY at %i columns: bars through cli-progress, no line wider than the terminal', (columns) => {
    const stream = fakeTty(columns);
    const io = bufferIo();
    const live = liveView(io, { stream, env: { TERM: 'xterm-256color', FORCE_COLOR: '1' } });
    for (const e of events()) live.onEvent(e);
    live.end();
    expect(io.stderr).toBe(''); // on a terminal the bars replace the plain lines
    expect(stream.text).toMatch(ESC); // cursor moves and colour
    const lines = visible(stream.text).split(/[\r\n]/).filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l.length, JSON.stringify(l)).toBeLessThanOrEqual(columns);
    const last = lines.slice(-2);
    expect(last[0]).toMatch(/100%/);
    expect(last.join('\n')).toMatch(/100%  FAIL/);
  });

  test('TERM=dumb on a TTY, and no TTY: plain lines only, no escape sequence', () => {
    for (const [stream, env] of [[fakeTty(80), { TERM: 'dumb' }], [undefined, { TERM: 'xterm' }]] as const) {
      const io = bufferIo();
      const live = liveView(io, { stream, env });
      for (const e of events()) live.onEvent(e);
      live.end();
      if (stream) expect(stream.text).toBe('');
      expect(io.stderr).not.toMatch(ESC);
      expect(io.stderr.split('\n').filter(Boolean)).toHaveLength(6);
      expect(io.stderr).toContain('x86_avx512vnni_i32_16x16_k4 / frame: FAILED: 36 run, 35 passed, 1 failed, 0 refused; 5 random + 31 deterministic (25 edge cases, 6 coverage sweep) [0.50 s]');
    }
  });

  test('barLine fits any width and marks a failed kernel', () => {
    const c = colors(false, {});
    for (const w of [20, 40, 59, 60, 100, 200]) {
      const l = barLine({ name: 'arm64_sme2_i32_32x32_k4', total: 100, done: 40, state: 'interleave 12/40  FAILED tile, frame', failed: true }, 27, w, c);
      expect(l.length, `${w}: ${l}`).toBeLessThanOrEqual(w);
      expect(l).toContain('40%');
    }
  });

  test('colour: NO_COLOR wins, then FORCE_COLOR, then a TTY whose TERM is not dumb', () => {
    expect(colorEnabled(true, {})).toBe(true);
    expect(colorEnabled(true, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled(true, { NO_COLOR: '1', FORCE_COLOR: '1' })).toBe(false);
    expect(colorEnabled(false, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorEnabled(true, { FORCE_COLOR: '0' })).toBe(false);
    expect(colorEnabled(true, { TERM: 'dumb' })).toBe(false);
    expect(colorEnabled(false, {})).toBe(false);
    expect(colors(false, { FORCE_COLOR: '1' }).red('x')).toBe('\u001b[31mx\u001b[39m');
    expect(colors(true, { NO_COLOR: '1' }).red('x')).toBe('x');
  });
});
