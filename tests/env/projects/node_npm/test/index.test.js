'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { describe } = require('../index');

test('a minute', () => {
  assert.strictEqual(describe(60000), '1 minute');
});
