'use strict';
// Whether a value is a number, through a third-party check.
const isNumber = require('is-number');

function even(value) {
  return isNumber(value) && Number(value) % 2 === 0;
}

module.exports = { even };
