// Preloaded (`node --import`) into a process the benchmark does not control (tsc), to report its
// peak memory and CPU time when it exits: MESHC_BENCH_RSS_FILE receives `process.resourceUsage()` as JSON.
import fs from "node:fs";

const file = process.env.MESHC_BENCH_RSS_FILE;
if (file) process.on("exit", () => fs.writeFileSync(file, JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS, total: performance.now(), cpu: (process.resourceUsage().userCPUTime + process.resourceUsage().systemCPUTime) / 1000 })));
