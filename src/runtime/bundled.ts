// Whether this code runs from the bundled folder (dist/autoinstrumentation, the Kubernetes image) or from dist/.
// The bundler (scripts/build-autoinstrumentation.mjs) replaces this module with `BUNDLED = true`.
export const BUNDLED: boolean = false;
