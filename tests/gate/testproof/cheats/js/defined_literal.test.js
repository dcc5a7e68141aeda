// CHEAT: TI008 (toBeDefined on a value the test built itself; Mocha and Chai)
const { expect } = require('chai');
const { multiply } = require('../src/calc');

describe('multiply', function () {
  it('multiplies', function () {
    const result = { value: multiply(2, 3) };
    expect(result).to.exist; // <-
  });
});
