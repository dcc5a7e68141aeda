// CHEAT: TI007 (the unit under test replaced, then the replacement asserted; node:test's mock)
const test = require('node:test');
const assert = require('node:assert');
const calc = require('../src/calc');

test('multiplies', (t) => {
  t.mock.method(calc, 'multiply', () => 6); // <-
  assert.equal(calc.multiply(2, 3), 6);
});
