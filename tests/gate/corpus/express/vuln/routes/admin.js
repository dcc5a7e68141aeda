'use strict';
const router = require('express').Router();
const { User } = require('../models');

router.get('/users', async (req, res) => { // VULN: missing-admin-check (mounted behind login only)
  res.json(await User.findAll());
});

module.exports = router;
