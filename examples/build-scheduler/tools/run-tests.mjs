// Runs a package's tests: wget's fail.
const pkg = process.argv[2];
if (pkg === 'wget') {
  console.error(`${pkg}: 2 of 14 tests failed`);
  process.exit(1);
}
console.log(`${pkg}: 14 tests passed`);
