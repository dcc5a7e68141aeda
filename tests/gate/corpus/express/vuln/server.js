'use strict';
const express = require('express');
const session = require('express-session');
const cookieParser = require('cookie-parser');
const { requireAuth, isAuthenticated } = require('./middleware/auth');
const adminRouter = require('./routes/admin');
const toolsRouter = require('./routes/tools');
const accounts = require('./controllers/accounts');
const config = require('./config');

const app = express();
app.use(express.json());
app.use(cookieParser());
app.use(session({ secret: config.cookieSecret, resave: false, saveUninitialized: false }));

app.use('/admin', requireAuth, adminRouter);
app.use('/tools', requireAuth, toolsRouter);

app.get('/internal/stats', (req, res) => res.json({ up: process.uptime() })); // VULN: missing-auth
app.post('/login', accounts.login);
app.post('/account/email', isAuthenticated, accounts.changeEmail);
app.get('/admin-panel/users', isAuthenticated, accounts.listUsers); // VULN: missing-admin-check

module.exports = app;
