export { ChildProcessInstrumentation, DEFAULT_MAX_COMMAND_LENGTH } from './child-process';
export type { ChildProcessInstrumentationConfig } from './types';
export { applyRules, compileRules, loadRulesFile, type CommandRuleSpec, type CompiledRule, type RuleMatch } from './command-rules';
export { recognizeCommand, type RecognizedCommand } from './known-commands';
