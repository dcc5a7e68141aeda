'use strict';
const router = require('express').Router();
const { User } = require('../models');

router.get('/users', async (req, res) => {
  res.json(await User.findAll());
});

module.exports = router;
