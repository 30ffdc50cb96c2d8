// Runs every browser suite and prints one closing line; exits non-zero on any failure.
import { suite as viewDemo } from './view-demo.test.mjs';
import { suite as viewProps } from './view-props.test.mjs';

const suites = [viewProps, viewDemo];
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
