'use strict';
const router = require('express').Router();
const { execFile } = require('child_process');
const { evaluate } = require('./arith');

router.post('/ping', (req, res) => {
  execFile('ping', ['-c', '1', String(req.body.host)], (err, out) => res.send(out));
});

router.post('/calc', (req, res) => {
  res.json({ value: evaluate(String(req.body.expression)) });
});

router.get('/prefs', (req, res) => {
  res.json(JSON.parse(req.cookies.prefs || '{}'));
});

module.exports = router;
