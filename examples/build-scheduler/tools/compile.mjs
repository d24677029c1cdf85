// A "compiler": a Node program that runs more processes (sh, then node), as real build tools do.
import { execFileSync } from 'node:child_process';

const pkg = process.argv[2];
execFileSync('sh', ['-c', `echo "compiling ${pkg}" && node -e "console.log('linking ${pkg}')"`], { stdio: 'inherit' });
