'use strict';
const jwt = require('jsonwebtoken');

function requireAuth(req, res, next) {
  try {
    req.user = jwt.verify(req.headers.authorization, process.env.JWT_SECRET);
    return next();
  } catch (err) {
    return res.status(401).end();
  }
}

function isAuthenticated(req, res, next) {
  if (!req.session.userId) {
    return res.redirect('/login');
  }
  return next();
}

module.exports = { requireAuth, isAuthenticated };
