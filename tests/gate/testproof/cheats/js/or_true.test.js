// CHEAT: TI008 (an assertion that cannot be false; Vitest)
import { it, expect } from 'vitest';
import { multiply } from '../src/calc';

it('multiplies', () => {
  expect(Number.isInteger(multiply(2, 3)) || true).toBe(true); // <-
});
