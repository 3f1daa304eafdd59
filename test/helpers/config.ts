import { parseConfig } from '../../src/config/load';
import type { Config, TransitionRule } from '../../src/config/types';

/** A validated configuration for tests: the file-free defaults plus the given document. */
export function testConfig(doc: Record<string, unknown> = {}): Config {
  return parseConfig({ pbx: 'none', defaultCountry: 'CZ', ...doc });
}

/** The first transition of a configuration built from one rule document. */
export function testRule(rule: Record<string, unknown> = {}): TransitionRule {
  return testConfig({ transitions: [{ name: 'support', sourceQueue: 'support', ...rule }] }).transitions[0];
}
