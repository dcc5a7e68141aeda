'use strict';
// Durations for people, through a third-party formatter.
const ms = require('ms');

function describe(milliseconds) {
  return ms(milliseconds, { long: true });
}

module.exports = { describe };
