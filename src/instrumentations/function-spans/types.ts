// Public configuration of function spans: which exported functions of which modules become spans (parsed by spec.ts).

export interface FunctionAttributeSpec {
  /** Attribute name. */
  name: string;
  /** Argument index, then property names. */
  path: (number | string)[];
}

export interface FunctionSpanSpec {
  /** Export path inside the module, e.g. ['createResources'] or ['Scheduler', 'prototype', 'build']. */
  exportPath: string[];
  spanName: string;
  attributes: FunctionAttributeSpec[];
}

export interface ModuleFunctionsSpec {
  /** As written: a relative path (to the working directory), an absolute path, or a package name. */
  module: string;
  functions: FunctionSpanSpec[];
}
