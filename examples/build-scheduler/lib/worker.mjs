// One scheduler worker: takes ready packages until none are left; builds (retried once), tests and license-checks each.
import { buildPackage, checkLicense, runTests } from './scheduler.mjs';

const MAX_ATTEMPTS = 2;

/** One worker: takes ready packages until none are left. */
export async function runWorker(workerId, state) {
  for (;;) {
    const pkg = state.next();
    if (!pkg) return;
    let built = false;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS && !built; attempt++) built = await buildPackage(pkg, attempt, state.stateDir);
    if (built && pkg.tests) await runTests(pkg);
    if (built) await checkLicense(pkg);
    state.done(pkg, built);
  }
}

