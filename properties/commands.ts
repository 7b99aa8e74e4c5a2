// The commands a failure report prints for the user to paste: one place, so every printed
// command is built (and quoted) the same way.

/** Re-runs one saved fixture against a kernel. */
export const replayCommand = (fixture: string, kernel: string): string => `npx bitexact replay ${fixture} --kernel ${kernel}`;

/** Re-runs the gate on one kernel with the seed that found the failure. */
export const rerunCommand = (kernel: string, seed: number): string => `npx bitexact conform --kernel ${kernel} --seed ${seed}`;
