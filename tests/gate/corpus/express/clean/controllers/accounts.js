'use strict';
const jwt = require('jsonwebtoken');
const { User, sequelize } = require('../models');

const ORDERS = { name: 'name', created: 'created_at' };

exports.login = async (req, res) => {
  const { username, password } = req.body;
  const user = await User.findOne({ where: { username } });
  if (!user || !(await user.checkPassword(password))) {
    return res.status(401).end();
  }
  return res.json({ token: jwt.sign({ sub: user.id }, process.env.JWT_SECRET) });
};

exports.changeEmail = async (req, res) => {
  const user = await User.findById(req.session.userId);
  user.email = req.body.email;
  await user.save();
  res.status(204).end();
};

exports.listUsers = async (req, res) => {
  const order = ORDERS[req.query.order] || 'name';
  const rows = await sequelize.query('SELECT id, name FROM users ORDER BY :order', {
    replacements: { order },
    type: 'SELECT',
  });
  res.json(rows);
};
