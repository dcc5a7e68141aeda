// CHEAT: TI002 (the result compared with itself; node:test)
const test = require('node:test');
const assert = require('node:assert');
const { multiply } = require('../src/calc');

test('multiplies', () => {
  assert.strictEqual(multiply(2, 3), multiply(2, 3)); // <-
});
