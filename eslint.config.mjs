// ESLint for the agent's TypeScript (src/, test/) and the plain scripts around it (scripts/, bench/, examples/).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'build/**', 'node_modules/**', '.ci/out/**', 'bench/out/**', 'coverage/**'] },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // Unused arguments named `_x` are kept on purpose (callback signatures).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Modules are required lazily, where they are first needed, to keep start-up small (a design rule here).
      '@typescript-eslint/no-require-imports': 'off',
      // A patch's wrapper keeps `this` of the patched call; the instrumentation is then named `instrumentation`.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['instrumentation'] }],
    },
  },
  {
    // Wrappers around patched functions hand `arguments` on unchanged: same arity, no array per call.
    files: ['src/instrumentations/**/*.ts'],
    rules: { 'prefer-rest-params': 'off' },
  },
  {
    // The HTML view's page script runs in the browser, not in Node.
    files: ['src/cli/view/browser/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // Tests match terminal escape sequences and NUL bytes on purpose.
    files: ['test/**/*.ts'],
    rules: { 'no-control-regex': 'off' },
  },
  {
    // Plain JavaScript run by Node: CommonJS where the extension says so.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },
);
