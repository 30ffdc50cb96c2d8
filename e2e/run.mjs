// Runs every browser suite and prints one closing line; exits non-zero on any failure.
import { suite as viewDemo } from './view-demo.test.mjs';
import { suite as viewProps } from './view-props.test.mjs';
import { suite as liveCounter } from './live-counter.test.mjs';
import { suite as starter } from './starter.test.mjs';
import { suite as scoreboard } from './scoreboard.test.mjs';
import { suite as downstream } from './downstream.test.mjs';
import { suite as nodes } from './nodes.test.mjs';

const scoreboardPostgres = () => scoreboard({ postgres: true });
const suites = process.argv[2]
  ? [{ 'view-props': viewProps, 'view-demo': viewDemo, 'live-counter': liveCounter, starter, scoreboard, 'scoreboard-postgres': scoreboardPostgres, nodes, downstream }[process.argv[2]]]
  : [viewProps, viewDemo, liveCounter, starter, scoreboard, scoreboardPostgres, nodes, downstream];
let passed = 0, failed = 0;
for (const s of suites) {
  try {
    const r = await s();
    passed += r.passed; failed += r.failed;
  } catch (e) {
    failed++;
    console.log(`  FAIL suite setup: ${e && e.stack || e}`);
  }
}
console.log(`e2e: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
