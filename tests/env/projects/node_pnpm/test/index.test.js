'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { even } = require('../index');

test('strings that are numbers count', () => {
  assert.strictEqual(even('4'), true);
  assert.strictEqual(even('four'), false);
});
