'use strict';
const express = require('express');
const session = require('express-session');
const cookieParser = require('cookie-parser');
const rateLimit = require('express-rate-limit');
const { requireAuth, requireAdmin, isAuthenticated } = require('./middleware/auth');
const adminRouter = require('./routes/admin');
const toolsRouter = require('./routes/tools');
const accounts = require('./controllers/accounts');
const config = require('./config');

const app = express();
const loginLimiter = rateLimit({ windowMs: 60_000, max: 5 });
app.use(express.json());
app.use(cookieParser());
app.use(session({ secret: config.cookieSecret, resave: false, saveUninitialized: false }));

app.use('/admin', requireAuth, requireAdmin, adminRouter);
app.use('/tools', requireAuth, toolsRouter);

app.get('/internal/stats', requireAuth, requireAdmin, (req, res) => res.json({ up: process.uptime() }));
app.post('/login', loginLimiter, accounts.login);
app.post('/account/email', isAuthenticated, accounts.changeEmail);
app.get('/admin-panel/users', requireAuth, requireAdmin, accounts.listUsers);

module.exports = app;
