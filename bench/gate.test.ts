import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { childrenCpu, jobsScaling } from './gate.js';

describe('bench --jobs scaling', () => {
  it('alternates the job counts and keeps the median run of each, with its CPU seconds', () => {
    const calls: number[] = [];
    // wall seconds per call, in call order: jobs 1 gets 5, 3, 4 and jobs 2 gets 9, 1, 2
    const walls = [5, 9, 3, 1, 4, 2];
    const rows = jobsScaling([1, 2], 7, 1000, 3, (jobs, seed, runs) => {
      expect([seed, runs]).toEqual([7, 1000]);
      calls.push(jobs);
      const seconds = walls[calls.length - 1]!;
      return { seconds, cpuSeconds: seconds * 1.5, status: 0 };
    });
    expect(calls).toEqual([1, 2, 1, 2, 1, 2]);
    expect(rows).toEqual([
      { jobs: 1, runs: 1000, seconds: 4, cpuSeconds: 6, reps: 3, status: 0 },
      { jobs: 2, runs: 1000, seconds: 2, cpuSeconds: 3, reps: 3, status: 0 },
    ]);
  });

  it('reports a repetition whose exit status differs from the first', () => {
    let i = 0;
    const rows = jobsScaling([1], 1, undefined, 3, () => ({ seconds: 1, cpuSeconds: 1, status: i++ === 1 ? 1 : 0 }));
    expect(rows[0]!.status).toBe(1);
  });

  it('counts the CPU time of reaped children (Linux: /proc/self/stat)', () => {
    const before = childrenCpu();
    // the child spins until it has used 300 ms of CPU itself, however loaded the machine is
    const r = spawnSync(process.execPath, ['-e', 'while (process.cpuUsage().user < 300000);']);
    expect(r.status).toBe(0);
    expect(childrenCpu() - before).toBeGreaterThanOrEqual(0.25);
  });
});
