// Test helper for the kube feature tests: positions found in the dump text itself, never typed-in numbers.
import { strict as assert } from 'node:assert';
import type { TextPosition } from '../../../server/src/features/kubeHover';

/** The position of `needle` on the first line matching `line`, plus `offset` characters. */
export function positionOf(text: string, line: RegExp, needle: string, offset = 1): TextPosition {
  const lines = text.split('\n');
  const index = lines.findIndex((l) => line.test(l));
  assert.ok(index >= 0, `no line matches ${line}`);
  const character = lines[index].indexOf(needle);
  assert.ok(character >= 0, `${needle} not on line ${index + 1}`);
  return { line: index, character: character + offset };
}
