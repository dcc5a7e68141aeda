'use strict';
const router = require('express').Router();
const { exec } = require('child_process');
const vm = require('vm');
const serialize = require('node-serialize');

router.post('/ping', (req, res) => {
  exec('ping -c 1 ' + req.body.host, (err, out) => res.send(out)); // VULN: command-injection
});

router.post('/calc', (req, res) => {
  res.json({ value: eval(req.body.expression) }); // VULN: code-injection
});

router.post('/formula', (req, res) => {
  const fn = new Function('x', req.body.formula); // VULN: code-injection
  res.json({ value: fn(2) });
});

router.get('/sandbox', (req, res) => {
  res.json({ value: vm.runInNewContext(req.query.code, {}) }); // VULN: code-injection
});

router.get('/prefs', (req, res) => {
  res.json(serialize.unserialize(req.cookies.prefs)); // VULN: unsafe-deserialization
});

module.exports = router;
