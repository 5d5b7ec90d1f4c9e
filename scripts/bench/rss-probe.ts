/**
 * Preloaded into a benchmarked process (`node --import …/rss-probe.js …`): when the process exits, writes its
 * peak resident set size (KiB, `process.resourceUsage().maxRSS`) and CPU time (ms, user + system, all threads) to the file named by `MESHLINT_BENCH_PROBE`.
 */
import { writeFileSync } from 'node:fs';

const out = process.env.MESHLINT_BENCH_PROBE;
if (out) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(out, JSON.stringify({ maxRssKiB: usage.maxRSS, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000 }));
  });
}
