'use strict';
const jwt = require('jsonwebtoken');
const { User, sequelize } = require('../models');

exports.login = async (req, res) => {
  const { username, password } = req.body; // VULN(medium): missing-rate-limit
  const user = await User.findOne({ where: { username } });
  if (!user || !(await user.checkPassword(password))) {
    return res.status(401).end();
  }
  return res.json({ token: jwt.sign({ sub: user.id }, 'shhh-not-a-secret') }); // VULN: hardcoded-jwt-secret
};

exports.changeEmail = async (req, res) => {
  const user = await User.findById(req.body.id); // VULN: idor
  user.email = req.body.email;
  await user.save();
  res.status(204).end();
};

exports.listUsers = async (req, res) => {
  const order = req.query.order || 'name';
  const rows = await sequelize.query('SELECT id, name FROM users ORDER BY ' + order, { type: 'SELECT' }); // VULN: sql-injection
  res.json(rows);
};
