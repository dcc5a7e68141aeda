// HONEST
const test = require('node:test');
const assert = require('node:assert');
const { multiply } = require('../src/calc');

test('multiplies', () => {
  assert.strictEqual(multiply(2, 3), 6);
  assert.strictEqual(multiply(-4, 5), -20);
});
