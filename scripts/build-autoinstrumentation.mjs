// Builds build/autoinstrumentation/: the agent as one self-contained folder for the OpenTelemetry Operator's
// Node.js injection (NODE_OPTIONS=--require <folder>/autoinstrumentation.js), from dist/ and node_modules.
//
// Layout: a small node_modules tree in which every package the agent shares or loads lazily is ONE bundled
// file (node_modules/<pkg>/index.js, or <pkg>/<subpath>.js). Every bundle requires the other split packages
// by relative path to their file (never from the app's node_modules), so each exists once in the process:
// @opentelemetry/api, @opentelemetry/instrumentation, require-in-the-middle and import-in-the-middle are
// shared by the agent and every instrumentation, and each upstream instrumentation is its own file, loaded
// (by name, from the folder) only when the app loads a module it patches.
// Usage: node scripts/build-autoinstrumentation.mjs [out dir, default build/autoinstrumentation] (after tsc).
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');
// Default: the folder for the image; `npm run build` also writes dist/autoinstrumentation, which the npm package's entry loads.
const OUT = path.resolve(ROOT, process.argv[2] ?? path.join('build', 'autoinstrumentation'));
const ENTRY = 'autoinstrumentation.js';
const rootRequire = createRequire(path.join(ROOT, 'package.json'));
const AUTO_DIR = path.dirname(rootRequire.resolve('@opentelemetry/auto-instrumentations-node'));
const autoRequire = createRequire(path.join(AUTO_DIR, 'index.js'));

const { UPSTREAM_INSTRUMENTATIONS } = rootRequire(path.join(DIST, 'instrumentations', 'upstream', 'table.js'));
const { STANDALONE_FILES } = rootRequire(path.join(DIST, 'runtime', 'agent-files.js'));
const { INSTRUMENTATIONS } = rootRequire(path.join(DIST, 'instrumentations', 'registry.js'));
const pkgJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

/** Loaded by name at run time (not found by following imports): the instrumentations and the cloud resource detectors. */
const loadedByName = [
  ...UPSTREAM_INSTRUMENTATIONS.filter((row) => INSTRUMENTATIONS.some((e) => e.id === row.id)).map((row) => row.pkg),
  '@opentelemetry/resource-detector-aws',
  '@opentelemetry/resource-detector-gcp',
  '@opentelemetry/resource-detector-azure',
  '@opentelemetry/resource-detector-alibaba-cloud',
];
/** Packages that get their own file; everything else is inlined where it is used. */
const isSplit = (name) => name.startsWith('@opentelemetry/') || name in pkgJson.dependencies;
/** import-in-the-middle's ESM hook finds lib/register.js next to itself: built by hand below. */
const IITM = 'import-in-the-middle';

/**
 * Packages the agent reads files of by path, next to their entry (their exports map hides those files), and the
 * packages it resolves from their directory: entry and files are bundled at their own places inside the package,
 * under a package.json naming the entry. Only when the agent asks for it (require.resolve) and it is installed.
 */
const PATH_LOADED = { '@opentelemetry/configuration': { files: ['dist/generated/validator.cjs'], deps: ['yaml'] } };

const packageNameOf = (spec) => {
  if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:')) return undefined;
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
};

const COMMON = {
  bundle: true,
  platform: 'node',
  target: 'node22.15',
  format: 'cjs',
  // Identifiers stay as written: stack traces through the agent remain readable (mangling them saved size, not memory).
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'eof',
  logLevel: 'error',
  // Optional peers some packages try to require inside try/catch.
  external: ['@opentelemetry/exporter-jaeger', 'pino-pretty'],
};

/** Built by hand (buildIitm), not from the wanted list. */
const IITM_FILES = new Set([IITM, ...['register-hooks.mjs', 'hook.mjs', 'supports-sync-hooks.mjs'].map((f) => `${IITM}/${f}`)]);

/**
 * Marks every other split package external, as a relative path from `outfile` to that package's file:
 * Node then loads it directly, without a node_modules search (fewer stats and package.json reads at
 * start), and never from outside the folder. Records it, so it gets built too.
 */
function splitPlugin(self, wanted, outfile) {
  const relativeTo = (spec) => {
    const rel = path.relative(path.dirname(outfile), outFileOf(spec)).split(path.sep).join('/');
    return rel.startsWith('.') ? rel : `./${rel}`;
  };
  return {
    name: 'split-packages',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        const name = packageNameOf(args.path);
        if (!name || name === self || !isSplit(name)) return undefined;
        if (args.kind === 'entry-point') return undefined;
        const spec = args.path;
        if (IITM_FILES.has(spec)) return { path: relativeTo(spec), external: true };
        // require.resolve() stays as it is: a fallback to an npm install's layout, or a package read by path (PATH_LOADED).
        if (args.kind === 'require-resolve' && !wanted.has(spec)) {
          resolvedByName.add(spec);
          return { path: spec, external: true };
        }
        // Optional packages nobody installed (required inside try/catch by their users) stay bare, and absent.
        if (!resolveSpec(spec, args.resolveDir)) {
          missing.add(spec);
          return { path: spec, external: true };
        }
        if (!wanted.has(spec)) wanted.set(spec, args.resolveDir);
        return { path: relativeTo(spec), external: true };
      });
    },
  };
}
const missing = new Set();
/**
 * Optional packages the agent does not ship on purpose: @opentelemetry/winston-transport is only a
 * development dependency upstream, and the published one is built on an older api-logs (README,
 * "Loggers": winston records are correlated, not sent).
 */
const NOT_SHIPPED = new Set(['@opentelemetry/winston-transport']);
/** Packages some bundle asks require.resolve() for. */
const resolvedByName = new Set();

/** Where Node will look for `spec` inside the folder: node_modules/<pkg>/index.js or node_modules/<pkg>/<sub>(.js). */
const pathLoadedMains = new Map();

function outFileOf(spec) {
  const name = packageNameOf(spec);
  const sub = spec.slice(name.length + 1);
  if (!sub && pathLoadedMains.has(name)) return path.join(OUT, 'node_modules', name, pathLoadedMains.get(name));
  if (!sub) return path.join(OUT, 'node_modules', name, 'index.js');
  return path.join(OUT, 'node_modules', name, /\.(m?js|cjs)$/.test(sub) ? sub : `${sub}.js`);
}

function resolveSpec(spec, fromDir) {
  for (const req of [createRequire(path.join(fromDir, 'x.js')), rootRequire, autoRequire]) {
    try {
      return req.resolve(spec);
    } catch {
      // not resolvable from here: try the next place
    }
  }
  return undefined;
}

async function buildIitm() {
  const dir = path.dirname(rootRequire.resolve(`${IITM}/package.json`));
  const out = path.join(OUT, 'node_modules', IITM);
  const wanted = new Map();
  // The CJS side (Hook, used by @opentelemetry/instrumentation) and the ESM hooks share lib/register.js as a file.
  const registerExternal = {
    name: 'iitm-register',
    setup(build) {
      build.onResolve({ filter: /lib\/register(\.js)?$/ }, () => ({ path: './lib/register.js', external: true }));
    },
  };
  await esbuild.build({ ...COMMON, entryPoints: [path.join(dir, 'index.js')], outfile: path.join(out, 'index.js'), plugins: [registerExternal, splitPlugin(IITM, wanted, path.join(out, 'index.js'))] });
  await esbuild.build({ ...COMMON, entryPoints: [path.join(dir, 'lib', 'register.js')], outfile: path.join(out, 'lib', 'register.js'), plugins: [splitPlugin(IITM, wanted, path.join(out, 'lib', 'register.js'))] });
  for (const file of ['register-hooks.mjs', 'hook.mjs']) {
    await esbuild.build({ ...COMMON, format: 'esm', entryPoints: [path.join(dir, file)], outfile: path.join(out, file), plugins: [registerExternal, splitPlugin(IITM, wanted, path.join(out, file))] });
  }
  fs.copyFileSync(path.join(dir, 'supports-sync-hooks.mjs'), path.join(out, 'supports-sync-hooks.mjs'));
  return wanted;
}

async function main() {
  if (!fs.existsSync(path.join(DIST, 'preload.js'))) throw new Error('dist/ is missing: run npm run build first');
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });
  // Nothing above the folder decides how its .js files load.
  fs.writeFileSync(path.join(OUT, 'package.json'), `${JSON.stringify({ name: '@org/otel-agent-autoinstrumentation', version: pkgJson.version, private: true, type: 'commonjs' }, null, 2)}\n`);

  /** spec -> the directory it was first imported from. */
  const wanted = new Map(loadedByName.map((spec) => [spec, AUTO_DIR]));
  const agentEntries = [
    { in: path.join(DIST, 'preload.js'), out: path.join(OUT, ENTRY) },
    ...STANDALONE_FILES.map((file) => ({ in: file, out: path.join(OUT, path.relative(DIST, file)) })),
  ];
  // The agent's code learns that it runs bundled (src/runtime/bundled.ts).
  const bundledFlag = {
    name: 'bundled-flag',
    setup(build) {
      build.onLoad({ filter: /[\\/]bundled\.js$/ }, (args) => (args.path === path.join(DIST, 'runtime', 'bundled.js') ? { contents: 'exports.BUNDLED = true;', loader: 'js' } : undefined));
    },
  };
  for (const entry of agentEntries) {
    await esbuild.build({
      ...COMMON,
      entryPoints: [entry.in],
      outfile: entry.out,
      plugins: [bundledFlag, splitPlugin(undefined, wanted, entry.out)],
    });
  }

  const built = new Set();
  for (const [spec, dir] of await buildIitm()) if (!wanted.has(spec)) wanted.set(spec, dir);
  for (const [name, { files, deps }] of Object.entries(PATH_LOADED)) {
    const pkgDir = resolvedByName.has(name) ? packageDirOf(name) : undefined;
    if (!pkgDir) continue;
    const meta = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
    const main = path.normalize(meta.main ?? 'index.js');
    pathLoadedMains.set(name, main);
    const out = path.join(OUT, 'node_modules', name);
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'package.json'), `${JSON.stringify({ name, version: meta.version, main: `./${main.split(path.sep).join('/')}` })}\n`);
    for (const file of [main, ...files]) {
      await esbuild.build({ ...COMMON, entryPoints: [path.join(pkgDir, file)], outfile: path.join(out, file), plugins: [splitPlugin(name, wanted, path.join(out, file))] });
    }
    built.add(name);
    for (const dep of deps) if (!wanted.has(dep)) wanted.set(dep, pkgDir);
  }
  built.add(IITM);
  for (const sub of ['register-hooks.mjs', 'hook.mjs', 'supports-sync-hooks.mjs']) built.add(`${IITM}/${sub}`);
  while ([...wanted.keys()].some((s) => !built.has(s))) {
    for (const [spec, dir] of [...wanted].filter(([s]) => !built.has(s))) {
      built.add(spec);
      const outfile = outFileOf(spec);
      await esbuild.build({ ...COMMON, entryPoints: [resolveSpec(spec, dir)], outfile, plugins: [splitPlugin(packageNameOf(spec), wanted, outfile)] });
    }
  }
  // Deliberately not shipped (README says so once): announcing them at every build is noise.
  const unexpected = [...missing].filter((spec) => !NOT_SHIPPED.has(packageNameOf(spec)));
  if (unexpected.length) console.log(`not installed, left out (optional): ${unexpected.join(', ')}`);
  const files = listFiles(OUT);
  const bytes = files.reduce((n, f) => n + fs.statSync(f).size, 0);
  console.log(`${path.relative(ROOT, OUT)}: ${files.length} files, ${(bytes / 1048576).toFixed(2)} MiB (entry: ${ENTRY})`);
}

/** An installed package's directory (its exports map may hide package.json), or undefined. */
function packageDirOf(name) {
  const entry = resolveSpec(name, ROOT);
  if (!entry) return undefined;
  for (let dir = path.dirname(entry); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file) && JSON.parse(fs.readFileSync(file, 'utf8')).name === name) return dir;
  }
  return undefined;
}

function listFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? listFiles(path.join(dir, d.name)) : [path.join(dir, d.name)]));
}

await main();
